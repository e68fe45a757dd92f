"""The timeline model's views: DataFrames, the summary line, diffs, and tolerance of odd drafts."""
from __future__ import annotations

import copy
import subprocess
import sys
from typing import Any

import pytest

from nemo_nb.draft import AUDIO, SEGMENT_COLUMNS, SEGMENT_ID_COLUMNS, TEXT, TRACK_COLUMNS, VIDEO, Draft

SEED_SUMMARY = ('Timeline (3 tracks): 1. Video: city timelapse (0-10s) 2. BGM: Lo-fi (0-10s, 35%) '
                '3. Title: "Urban Dreams" (0-3s)')


def seed_json() -> dict[str, Any]:
    """The timeline of the seed documents' example summary."""
    return {
        "t": [
            {"tt": VIDEO, "sg": [{"id": "v1", "k": "video", "st": 0, "d": 10_000, "n": "city timelapse",
                                  "src": "med_city", "ss": 2_000, "v": 100}]},
            {"tt": AUDIO, "sg": [{"id": "a1", "k": "music", "st": 0, "d": 10_000, "n": "Lo-fi", "v": 35}]},
            {"tt": TEXT, "sg": [{"id": "x1", "k": "title", "st": 0, "d": 3_000, "tx": "Urban Dreams"}]},
        ],
        "d": 10_000,
        "m": {"canvas": {"w": 1920, "h": 1080, "fit": "fit"}},
    }


def edited(change) -> Draft:
    """The seed draft after ``change(json)``."""
    data = seed_json()
    change(data)
    return Draft(data)


# -- summary ------------------------------------------------------------------------------------
def test_summary_reproduces_the_seed_example():
    assert Draft(seed_json()).summary() == SEED_SUMMARY


def test_summary_of_an_empty_draft():
    assert Draft().summary() == "Timeline (0 tracks): empty"
    assert Draft({"t": "not a list"}).summary() == "Timeline (0 tracks): empty"


@pytest.mark.parametrize(("track", "label"), [
    ({"tt": 0, "sg": [{"k": "image", "n": "logo"}]}, "Video"),
    ({"tt": 1, "sg": [{"k": "music", "n": "x"}]}, "BGM"),
    ({"tt": 1, "n": "Background Music", "sg": [{"k": "audio", "n": "x"}]}, "BGM"),
    ({"tt": 1, "n": "bgm", "sg": [{"n": "x"}]}, "BGM"),
    ({"tt": 1, "sg": [{"k": "voiceover", "n": "x"}]}, "Voiceover"),
    ({"tt": 1, "sg": [{"k": "audio", "n": "x"}]}, "Audio"),
    ({"tt": 1, "sg": [{"n": "x"}]}, "Audio"),
    ({"tt": 7, "sg": [{"k": "title", "tx": "x"}]}, "Title"),
    ({"tt": 7, "sg": [{"tx": "x"}]}, "Title"),
    ({"tt": 7, "sg": [{"k": "caption", "tx": "x"}]}, "Captions"),
    ({"tt": 7, "sg": [{"k": "sticker", "tx": "x"}]}, "Text"),
    ({"tt": 3, "sg": [{"n": "x"}]}, "Track"),
    ({"sg": [{"n": "x"}]}, "Track"),
])
def test_track_labels(track, label):
    assert Draft({"t": [track]}).summary().startswith(f"Timeline (1 track): 1. {label}: ")


def test_summary_times_volume_and_quoting():
    draft = Draft({"t": [
        {"tt": 0, "sg": [{"n": "a.mp4", "st": 2500, "d": 4500, "v": 40}]},
        {"tt": 1, "sg": [{"k": "voiceover", "n": "Narration", "st": 1234, "d": 1000, "v": 100}]},
        {"tt": 1, "sg": [{"k": "music", "n": "Jazz", "st": 0, "d": 7000}]},
        {"tt": 7, "sg": [{"k": "caption", "tx": "Hello\n  world", "st": 0, "d": 1000}]},
    ]})
    assert draft.summary() == (
        "Timeline (4 tracks): 1. Video: a.mp4 (2.5-7s) 2. Voiceover: Narration (1.2-2.2s) "
        '3. BGM: Jazz (0-7s) 4. Captions: "Hello world" (0-1s)'
    )


def test_summary_of_several_segments_names_three_then_counts():
    captions = [{"k": "caption", "tx": f"line {i}", "st": 1000 * i, "d": 1000} for i in range(1, 6)]
    clips = [{"n": "b", "st": 5000, "d": 5000}, {"n": "a", "st": 0, "d": 5000}]
    summary = Draft({"t": [{"tt": 0, "sg": clips}, {"tt": 7, "sg": captions}]}).summary()
    assert summary == ('Timeline (2 tracks): 1. Video: b, a (0-10s) '
                       '2. Captions: "line 1", "line 2", "line 3" +2 more (1-6s)')


def test_summary_of_an_empty_track_and_long_text():
    text = "A very long title that goes on and on and on and on and on"
    summary = Draft({"t": [{"tt": 0}, {"tt": 7, "sg": [{"tx": text, "d": 1000}]}]}).summary()
    assert summary.startswith("Timeline (2 tracks): 1. Video: empty 2. Title: \"A very long title")
    assert "…\" (0-1s)" in summary and len(summary) < 100


# -- DataFrames ---------------------------------------------------------------------------------
def test_tracks_df():
    pytest.importorskip("pandas")
    data = seed_json()
    data["t"].append({"tt": 9, "n": "extra"})
    df = Draft(data).tracks_df()
    assert tuple(df.columns) == TRACK_COLUMNS
    assert df["track"].tolist() == [1, 2, 3, 4]
    assert df["type"].tolist() == ["video", "audio", "text", "other"]
    assert df["name"].tolist() == ["", "", "", "extra"]
    assert df["segments"].tolist() == [1, 1, 1, 0]
    assert df["start_s"].tolist()[:3] == [0.0, 0.0, 0.0]
    assert df["end_s"].tolist()[:3] == [10.0, 10.0, 3.0]
    assert df["end_s"].isna().tolist() == [False, False, False, True]
    assert df["volume"].tolist()[:2] == [100, 35] and df["volume"].isna().tolist()[2:] == [True, True]


def test_segments_df():
    pytest.importorskip("pandas")
    df = Draft(seed_json()).segments_df(ids=True)
    assert tuple(df.columns) == SEGMENT_COLUMNS + SEGMENT_ID_COLUMNS
    first = df.iloc[0].to_dict()
    assert first == {"track": 1, "type": "video", "kind": "video", "start_s": 0.0, "end_s": 10.0,
                     "duration_s": 10.0, "label": "city timelapse", "volume": 100, "source_in_s": 2.0,
                     "text": "", "src": "med_city", "id": "v1"}
    assert df["track"].tolist() == [1, 2, 3]
    assert df["text"].tolist() == ["", "", "Urban Dreams"]
    assert df["volume"].isna().tolist() == [False, False, True]


def test_segments_df_reads_names_kinds_times_and_labels_first_and_hides_ids():
    pytest.importorskip("pandas")
    draft = Draft(seed_json())
    df = draft.segments_df()
    assert tuple(df.columns[:7]) == ("track", "type", "kind", "label", "start_s", "end_s", "duration_s")
    assert not {"src", "id"} & set(df.columns)
    assert "med_" not in df.to_string() and "med_" not in df.to_html()
    with_ids = draft.segments_df(ids=True)
    assert tuple(with_ids.columns[-2:]) == ("src", "id") and with_ids["src"].tolist()[0] == "med_city"
    assert with_ids.drop(columns=["src", "id"]).equals(df)


def test_empty_frames_keep_their_columns_and_dtypes():
    pytest.importorskip("pandas")
    full, empty = Draft(seed_json()), Draft()
    assert empty.segments_df().empty and tuple(empty.segments_df().columns) == SEGMENT_COLUMNS
    assert tuple(empty.tracks_df().columns) == TRACK_COLUMNS
    assert tuple(empty.segments_df(ids=True).columns) == SEGMENT_COLUMNS + SEGMENT_ID_COLUMNS
    for name in ("track", "start_s", "volume"):
        assert empty.segments_df()[name].dtype == full.segments_df()[name].dtype


def test_frames_count_every_segment_of_a_big_draft():
    pytest.importorskip("pandas")
    clips = [{"id": f"s{i}", "st": i * 10, "d": 10, "n": f"c{i}"} for i in range(2000)]
    draft = Draft({"t": [{"tt": 0, "sg": clips}, {"tt": 1, "sg": clips[:5]}]})
    assert len(draft.segments_df()) == 2005
    assert draft.tracks_df()["segments"].tolist() == [2000, 5]
    assert draft.tracks_df()["end_s"].tolist() == [20.0, 0.05]


def test_import_of_draft_does_not_load_pandas():
    code = "import sys, nemo_nb.draft; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# -- diff ---------------------------------------------------------------------------------------
def test_diff_of_identical_drafts_is_empty():
    assert Draft(seed_json()).diff(Draft(seed_json())) == []
    assert Draft().diff(Draft()) == []


def test_diff_ignores_unknown_key_noise():
    def noise(data):
        data["x-rev"] = 7
        data["m"]["etag"] = "abc"
        data["t"][0]["extra"] = {"a": 1}
        data["t"][0]["sg"][0]["url"] = "https://cdn.example/other"
        data["t"][1]["sg"][0]["x-fx"] = [1, 2]
        data["t"][2]["n"] = "renamed"

    assert edited(noise).diff(Draft(seed_json())) == []


def test_diff_added_track():
    before = Draft({k: v for k, v in seed_json().items() if k != "t"} | {"t": seed_json()["t"][:2]})
    assert Draft(seed_json()).diff(before) == ['Added a Title track: "Urban Dreams" (0-3s).']


def test_diff_removed_track():
    def drop_bgm(data):
        del data["t"][1]

    assert edited(drop_bgm).diff(Draft(seed_json())) == ["Removed the BGM track."]


def test_diff_trim_volume_canvas_duration():
    before = edited(lambda d: d.update(d=30_000))

    def change(data):
        video = data["t"][0]["sg"][0]
        video.update(st=10_000, d=30_000, ss=5_000)
        data["t"][1]["sg"][0]["v"] = 20
        data["m"]["canvas"] = {"w": 1080, "h": 1920, "fit": "fill"}
        data["d"] = 20_000

    assert edited(change).diff(before) == [
        "Canvas changed from 1920x1080 to 1080x1920 (fill).",
        "Video: trimmed to 10-40s.",
        "BGM volume 35% → 20%.",
        "Duration 30s → 20s.",
    ]


def test_diff_move_text_src_and_style():
    def change(data):
        data["t"][0]["sg"][0].update(src="med_beach", n="beach.mp4")
        data["t"][1]["sg"][0].update(fi=500, duck=True)
        data["t"][2]["sg"][0].update(st=1_500, tx="City Nights", pos="top")

    assert edited(change).diff(Draft(seed_json())) == [
        "Video: replaced city timelapse with beach.mp4.",
        "BGM: changed fade in, ducking.",
        "Title: moved to 1.5-4.5s.",
        'Title text "Urban Dreams" → "City Nights".',
        "Title: changed position.",
    ]


def test_diff_matches_segments_by_id_not_position():
    clips = [{"id": "a", "n": "a.mp4", "st": 0, "d": 5000}, {"id": "b", "n": "b.mp4", "st": 5000, "d": 5000}]
    before = Draft({"t": [{"tt": 0, "sg": clips}]})
    after = Draft({"t": [{"tt": 0, "sg": [copy.deepcopy(clips[1])]}]})
    assert after.diff(before) == ["Video: removed a.mp4."]


def test_diff_matches_segments_without_id_by_position():
    clips = [{"n": "a.mp4", "st": 0, "d": 5000}, {"n": "b.mp4", "st": 5000, "d": 5000}]
    before = Draft({"t": [{"tt": 0, "sg": clips}]})
    grown = Draft({"t": [{"tt": 0, "sg": clips + [{"n": "c.mp4", "st": 10_000, "d": 2_500}]}]})
    assert grown.diff(before) == ["Video: added c.mp4 (10-12.5s).", "Duration 10s → 12.5s."]
    quieter = copy.deepcopy(before.to_json())
    quieter["t"][0]["sg"][1]["v"] = 0
    assert Draft(quieter).diff(before) == ["Video (b.mp4) volume 100% → 0%."]


def test_diff_canvas_set_and_removed():
    bare = edited(lambda d: d["m"].clear())
    assert Draft(seed_json()).diff(bare) == ["Canvas set to 1920x1080."]
    assert bare.diff(Draft(seed_json())) == ["Canvas setting removed (was 1920x1080)."]


def test_diff_from_an_empty_draft_adds_every_track():
    changes = Draft(seed_json()).diff(Draft())
    assert changes == [
        "Canvas set to 1920x1080.",
        "Added a Video track: city timelapse (0-10s).",
        "Added a BGM track: Lo-fi (0-10s, 35%).",
        'Added a Title track: "Urban Dreams" (0-3s).',
        "Duration 0s → 10s.",
    ]


# -- tolerance ----------------------------------------------------------------------------------
def odd_json() -> dict[str, Any]:
    return {
        "t": [
            "not a track",
            {"tt": "0", "sg": [{"st": "1500", "d": "2500.0", "v": "80", "n": 42}, "junk", None]},
            {"tt": "1"},
            {"tt": None, "sg": [{"st": float("nan"), "d": "inf", "v": [1], "ss": {}, "tx": 5}]},
            {"tt": 7, "sg": [{"st": True, "d": -5, "k": None, "tx": "ok"}]},
        ],
        "d": "oops",
        "m": {"canvas": {"w": "1080", "h": None, "fit": 3}},
    }


def test_odd_types_parse_without_raising():
    draft = Draft(odd_json())
    assert len(draft.tracks) == 4
    assert draft.summary() == ('Timeline (4 tracks): 1. Video: 42 (1.5-4s) 2. Audio: empty '
                               '3. Track: 5 (0-0s) 4. Title: "ok" (0-0s)')
    assert draft.duration_ms == 4000
    assert Draft().diff(draft) and draft.diff(Draft())
    pytest.importorskip("pandas")
    assert len(draft.segments_df()) == 3
    assert draft.tracks_df()["segments"].tolist() == [1, 0, 1, 1]


def test_unknown_keys_round_trip_unchanged():
    data = seed_json()
    data["x-top"] = {"nested": [1, {"deep": True}]}
    data["m"]["cloud"] = {"project": "p1"}
    data["t"][0]["fx"] = ["blur"]
    data["t"][0]["sg"][0]["cloudKey"] = {"keep": "me"}
    data["t"][2]["sg"][0]["anim"] = "fade"
    original = copy.deepcopy(data)
    draft = Draft(data)
    draft.summary(), draft.diff(Draft()), draft.segments()
    draft.track(AUDIO).add({"k": "voiceover", "d": 1000, "x-new": 1})
    out = draft.to_json()
    assert data == original  # the input dict is not touched
    out["t"][1]["sg"].pop()
    assert out == original
