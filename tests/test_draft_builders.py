"""The draft's typed builders and setters, its field schema, and the shared colour and language tables."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from nemo_nb.draft import AUDIO, SEGMENT_FIELDS, TEXT, VIDEO, Draft, FieldError
from nemo_nb.draft.colours import COLOURS, colour_hex
from nemo_nb.draft.fields import KINDS, Number
from nemo_nb.draft.languages import LANGUAGES, NAMED, UNDERSTOOD, language_name


def cloud_json() -> dict[str, Any]:
    """A draft as the cloud might send it: documented keys plus keys nemo_nb does not know, at every level."""
    return {
        "t": [
            {"tt": VIDEO, "n": "Video", "fx": ["blur"], "sg": [
                {"id": "v1", "k": "video", "st": 0, "d": 8000, "src": "med_a", "v": 100, "cloudKey": {"keep": 1}},
                "not a segment",
            ]},
            {"tt": AUDIO, "n": "Voiceover", "sg": [{"id": "a1", "k": "voiceover", "st": 500, "d": 2000,
                                                    "src": "med_v", "x-gain": 3}]},
            {"tt": 9, "n": "stickers", "sg": [{"sticker": "🙂"}]},
        ],
        "d": 8000,
        "m": {"cloud": {"project": "p1"}, "canvas": {"w": 1920, "h": 1080, "fit": "fit", "x-dpi": 72}},
        "x-top": [1, {"deep": True}],
    }


# -- builders ---------------------------------------------------------------------------------------
def test_builders_write_the_documented_keys() -> None:
    draft = Draft()
    video = draft.track(VIDEO, "Video").add_video("image", 0, 5000, src="med_1", url="/m/1", name="logo.png")
    music = draft.track(AUDIO, "Music").add_audio("music", 0, 5000, src="med_2", volume=30, fade_in_ms=1000,
                                                  fade_out_ms=2000, duck=True)
    dub = draft.track(AUDIO, "Dub Spanish").add_audio("voiceover", 100, 900, src="med_3", name="Hola", lang="es")
    title = draft.track(TEXT, "Title").add_text("title", "Urban Dreams", 0, 3000, pos="top", colour="gold",
                                                font_px=90)
    assert {k: v for k, v in video.raw.items() if k != "id"} == {
        "k": "image", "st": 0, "d": 5000, "src": "med_1", "url": "/m/1", "ss": 0, "n": "logo.png", "v": 100}
    assert {k: v for k, v in music.raw.items() if k != "id"} == {
        "k": "music", "st": 0, "d": 5000, "src": "med_2", "url": "", "ss": 0, "v": 30, "fi": 1000, "fo": 2000,
        "duck": True}
    assert dub.raw["lang"] == "es" and dub.raw["n"] == "Hola"
    assert {k: v for k, v in title.raw.items() if k != "id"} == {
        "k": "title", "st": 0, "d": 3000, "tx": "Urban Dreams", "n": "Urban Dreams", "pos": "top", "c": "gold",
        "fs": 90}
    ids = [seg.id for _, seg in draft.segments()]
    assert all(isinstance(i, str) and i.startswith("seg_") for i in ids) and len(set(ids)) == 4
    assert draft.track(TEXT).add_text("caption", "hi", 0, 10, segment_id="mine").raw["id"] == "mine"
    assert draft.summary() == ('Timeline (4 tracks): 1. Video: logo.png (0-5s) 2. BGM: music (0-5s, 30%) '
                               '3. Voiceover: Hola (0.1-1s) 4. Title: "Urban Dreams", "hi" (0-3s)')


@pytest.mark.parametrize(("track_type", "build"), [
    (AUDIO, lambda t: t.add_video("video", 0, 1000, src="m")),
    (VIDEO, lambda t: t.add_audio("music", 0, 1000, src="m")),
    (VIDEO, lambda t: t.add_text("title", "x", 0, 1000)),
    (TEXT, lambda t: t.add_audio("voiceover", 0, 1000, src="m")),
])
def test_a_segment_goes_only_on_its_own_track_type(track_type: int, build: Any) -> None:
    track = Draft().track(track_type)
    with pytest.raises(FieldError, match="cannot go on"):
        build(track)
    assert track.raw["sg"] == []


@pytest.mark.parametrize(("build", "message"), [
    (lambda d: d.track(VIDEO).add_video("clip", 0, 1000, src="m"), "'k' must be one of video, image"),
    (lambda d: d.track(VIDEO).add_video("video", 0, 0, src="m"), r"'d' = 0 is outside 1\.\."),
    (lambda d: d.track(VIDEO).add_video("video", -1, 10, src="m"), "'st' = -1 is outside"),
    (lambda d: d.track(VIDEO).add_video("video", 4 * 3_600_000, 10, src="m"), "ends after 4 h"),
    (lambda d: d.track(VIDEO).add_video("video", 0, 10, src=""), "'src' .a media id. is required"),
    (lambda d: d.track(VIDEO).add_video("video", 0, 10, src="m", volume=401), "'v' = 401 is outside 0..400"),
    (lambda d: d.track(AUDIO).add_audio("music", 0, 1000, src="m", fade_out_ms=1001), "'fo' = 1001 is outside 0..1000"),
    (lambda d: d.track(AUDIO).add_audio("music", 0, 1000, src="m", lang="español"), "'lang' must be a language code"),
    (lambda d: d.track(AUDIO).add_audio("music", 0, 1000, src="m", duck="yes"), "'duck' must be true or false"),
    (lambda d: d.track(AUDIO).add_audio("music", 0, 1000, src="m", name=5), "'n' must be a string"),
    (lambda d: d.track(TEXT).add_text("title", "x" * 501, 0, 1000), "'tx' is 501 characters"),
    (lambda d: d.track(TEXT).add_text("title", "x", 0, 1000, pos="left"), "'pos' must be one of top, center"),
    (lambda d: d.track(TEXT).add_text("title", "x", 0, 1000, colour="red;drawtext"), "'c' must be #rrggbb"),
    (lambda d: d.track(TEXT).add_text("title", "x", 0, 1000, colour="#fff"), "'c' must be #rrggbb"),
    (lambda d: d.track(TEXT).add_text("title", "x", 0, 1000, font_px=401), "'fs' = 401 is outside 8..400"),
])
def test_builders_refuse_what_the_renderer_would(build: Any, message: str) -> None:
    draft = Draft()
    with pytest.raises(FieldError, match=message):
        build(draft)
    assert all(not track.raw["sg"] for track in draft.tracks)  # nothing half-written


def test_every_number_field_accepts_its_range_and_refuses_outside_it() -> None:
    """Walks the schema itself, so a new number field is covered without a new test."""
    numbers = [f for f in SEGMENT_FIELDS.values() if isinstance(f, Number)]
    assert {f.key for f in numbers} >= {"st", "d", "ss", "v", "fs", "fi", "fo"}
    for field in numbers:
        segment = Draft().track(field.tracks[0]).add({"d": field.hi})
        hi = field.hi
        for good in (field.lo, hi):
            segment.set(field.key, good)
            assert segment.raw[field.key] == good
        for bad in (field.lo - 1, hi + 1, float("nan"), True, "5"):
            with pytest.raises(FieldError, match=f"'{field.key}'"):
                segment.set(field.key, bad)
        assert segment.raw[field.key] == hi  # a refused value leaves the old one


# -- setters ----------------------------------------------------------------------------------------
def test_typed_setters() -> None:
    draft = Draft(cloud_json())
    video = draft.segments_of(VIDEO)[0]
    video.set_volume(25)
    video.set_duck(True)
    voice = draft.segments_of(AUDIO)[0]
    voice.set_lang("pt-BR")
    assert (video.raw["v"], video.raw["duck"], voice.raw["lang"]) == (25, True, "pt-BR")
    voice.set_lang(None)
    assert "lang" not in voice.raw
    with pytest.raises(FieldError, match="does not belong on a video track"):
        video.set_lang("es")
    with pytest.raises(FieldError, match="'v' = -1"):
        video.set_volume(-1)
    with pytest.raises(FieldError, match="'duck' must be true or false"):
        video.set_duck(1)  # type: ignore[arg-type]
    with pytest.raises(FieldError, match="not a field of the draft schema"):
        video.set("opacity", 50)
    assert video.raw["v"] == 25 and "opacity" not in video.raw


def test_track_and_draft_edits() -> None:
    draft = Draft(cloud_json())
    music = draft.track(AUDIO, "Music")
    music.add_audio("music", 0, 8000, src="med_m", volume=40)
    music.add_audio("audio", 0, 1000, src="med_s")
    music.set_volume(10)
    assert [s.volume for s in music.segments] == [10, 10]
    assert music.remove_segments(lambda s: s.kind == "audio") == 1 and len(music.segments) == 1
    video = draft.track(VIDEO)
    assert video.remove_segments(lambda s: True) == 1
    assert video.raw["sg"] == ["not a segment"]  # what is not a segment passes through
    assert draft.remove_tracks(lambda t: t.type == AUDIO and t.name == "Voiceover") == 1
    draft.remove_track(music)
    assert [t.name for t in draft.tracks] == ["Video", "stickers"]


def test_retimed_is_a_copy_that_keeps_unknown_keys() -> None:
    segment = Draft(cloud_json()).segments_of(VIDEO)[0]
    before = copy.deepcopy(segment.raw)
    tail = segment.retimed(start_ms=3000, duration_ms=2000, in_ms=3000, new_id=True)
    assert segment.raw == before
    assert tail.raw == {**before, "id": tail.id, "st": 3000, "d": 2000, "ss": 3000}
    assert tail.id != "v1" and next(iter(tail.raw)) == "id"
    with pytest.raises(FieldError, match="'d' = 0"):
        segment.retimed(duration_ms=0)


def test_metadata_setters() -> None:
    draft = Draft(cloud_json())
    draft.set_canvas(1080, 1920, "fill")
    assert draft.canvas == {"w": 1080, "h": 1920, "fit": "fill"}
    for width, height, fit in ((4096, 2160, "fit"), (8, 8, "fit"), (1080, 1920, "stretch")):
        with pytest.raises(FieldError, match=r"m\.canvas"):
            draft.set_canvas(width, height, fit)
    assert draft.canvas == {"w": 1080, "h": 1920, "fit": "fill"}
    draft.set_languages(["es", "fr", "en"])
    assert draft.languages == ["es", "fr", "en"]
    with pytest.raises(FieldError, match=r"each of m\.languages"):
        draft.set_languages(["es", "Spanish!"])
    with pytest.raises(FieldError, match="at most 16"):
        draft.set_languages([f"x{chr(97 + i)}" for i in range(17)])
    draft.set_voiceover(language="en", voice="joe", srt="med_srt", cues=[(0, 900, "Hi."), (900, 2000, "Bye.")],
                        pace=1.1)
    assert draft.voiceover == {"language": "en", "voice": "joe", "pace": 1.1, "srt": "med_srt",
                               "cues": [[0, 900, "Hi."], [900, 2000, "Bye."]]}
    with pytest.raises(FieldError, match="a cue is"):
        draft.set_voiceover(language="en", voice="joe", srt="s", cues=[(900, 100, "backwards")])
    draft.set_dub("es", origin="your message", srt="med_es", cues=[(0, 800, "Hola.")])
    draft.set_dub("fr", origin="talk.fr.srt", srt="med_fr", cues=[(0, 800, "Salut.")])
    assert draft.dub("es") == {"origin": "your message", "srt": "med_es", "cues": [[0, 800, "Hola."]]}
    assert draft.dub("fr") is not None and draft.dub("de") is None


def test_builders_and_setters_keep_unknown_keys() -> None:
    """A cloud draft edited through the typed writers comes back with every key it had."""
    original = cloud_json()
    draft = Draft(original)
    draft.track(TEXT, "Captions").add_text("caption", "Hello", 0, 900, colour="white")
    draft.segments_of(VIDEO)[0].set_volume(30)
    draft.set_canvas(1080, 1920)
    draft.set_languages(["en"])
    draft.refresh_duration()
    out = draft.to_json()
    assert original == cloud_json()  # the input is not touched
    assert out["x-top"] == original["x-top"] and out["m"]["cloud"] == original["m"]["cloud"]
    assert out["t"][0]["fx"] == ["blur"] and out["t"][0]["sg"][1] == "not a segment"
    assert out["t"][0]["sg"][0] == {**original["t"][0]["sg"][0], "v": 30}
    assert out["t"][1] == original["t"][1] and out["t"][2] == original["t"][2]
    out["t"].pop()
    out["t"][0]["sg"][0]["v"] = 100
    out["m"]["canvas"] = original["m"]["canvas"]
    del out["m"]["languages"]
    assert out == original


def test_a_field_added_to_the_schema_is_used_by_builders_setters_and_diffs(monkeypatch: pytest.MonkeyPatch) -> None:
    """One entry in SEGMENT_FIELDS is all a new field needs (the render check: tests/media/test_schema_render.py)."""
    monkeypatch.setitem(SEGMENT_FIELDS, "op", Number("op", "opacity", "opacity in percent", (VIDEO,), hi=100))
    draft = Draft()
    segment = draft.track(VIDEO).add_video("video", 0, 1000, src="m")
    before = Draft(draft.to_json())
    segment.set("op", 60)
    with pytest.raises(FieldError, match=r"'op' = 101 is outside 0\.\.100"):
        segment.set("op", 101)
    assert draft.diff(before) == ["Video: changed opacity."]
    with pytest.raises(FieldError, match="does not belong on a text track"):
        draft.track(TEXT).add_text("title", "x", 0, 100).set("op", 50)


# -- one colour table, one language table --------------------------------------------------------
def test_every_colour_the_agent_names_is_one_the_renderer_draws() -> None:
    from nemo_nb.local import intents

    for name, hexcode in COLOURS.items():
        said = intents.colour(f"make the title {name.upper()}")
        assert said is not None and colour_hex(said) == "#" + hexcode
        Draft().track(TEXT).add_text("title", "x", 0, 100, colour=said)
    assert intents.colour("in gold") == "gold" and colour_hex("gold") == "#ffd700"
    assert intents.colour("text in #A1B2C3 please") == "#a1b2c3"


def test_one_language_table_serves_the_agent_the_voices_and_the_renderer() -> None:
    from nemo_nb.local import intents
    from nemo_nb.local.media import tts
    from nemo_nb.local.media.render import LANGUAGES as TAGS
    from nemo_nb.local.media.render import language_tag

    assert set(NAMED.values()) == set(UNDERSTOOD) and set(UNDERSTOOD) <= set(LANGUAGES)
    for word, code in NAMED.items():
        assert intents.language(f"dub it into {word} please") == code
    assert intents.languages("French, then Deutsch and 西班牙语") == ["fr", "de", "es"]
    for code, name in tts.LANGUAGES.items():
        assert LANGUAGES[code].name == name and tts.normalize_language(name) == code
    assert tts.normalize_language("Español") == "es"
    assert {code: tag for code, (tag, _) in TAGS.items()} == {c: lang.tag for c, lang in LANGUAGES.items()}
    assert language_tag("pt-br") == ("por", "Portuguese (BR)")
    assert language_name("es") == "Spanish" and language_name("xx") == "xx"
    assert len({lang.tag for lang in LANGUAGES.values()}) == len(LANGUAGES)


def test_kinds_in_the_schema_are_the_kinds_skills_write() -> None:
    assert KINDS == {VIDEO: ("video", "image"), AUDIO: ("voiceover", "music", "audio"), TEXT: ("title", "caption")}
