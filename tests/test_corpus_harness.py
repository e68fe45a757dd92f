"""The corpus harness itself (no backend): the data file is well formed, facets read drafts right, predicates
and the never-touch rule catch what they must. The corpus run is tests/test_agent_corpus.py."""
from __future__ import annotations

from collections import Counter

import pytest
from corpus.cases import KINDS, STYLES, case, load
from corpus.expect import parse_check
from corpus.facets import snapshot
from corpus.judge import Reading, judge
from corpus.runner import reading_reply_problems, reply_problems

MAX_MESSAGE = 20_000  # the embedded backend refuses longer messages (4000)


def draft(*tracks: dict, canvas=(320, 180), **meta) -> dict:
    m = {"canvas": {"w": canvas[0], "h": canvas[1], "fit": "fit"}, **meta} if canvas else dict(meta)
    return {"draft": {"t": list(tracks), "m": m},
            "video_infos": [{"media_id": "med_clip", "filename": "clip.mp4"},
                            {"media_id": "med_song", "filename": "song.mp3"}]}


def clip(*pieces: tuple[int, int, int], volume: int = 100) -> dict:
    """Video segments (start on the timeline, in-point, duration) in ms."""
    return {"tt": 0, "sg": [{"k": "video", "src": "med_clip", "st": st, "ss": ss, "d": d, "v": volume}
                            for st, ss, d in pieces]}


def music(volume: int = 40, src: str = "med_song") -> dict:
    return {"tt": 1, "n": "Music", "sg": [{"k": "music", "src": src, "st": 0, "d": 24000, "v": volume,
                                           "fi": 1000, "fo": 2000}]}


def title(text: str, colour: str = "yellow", pos: str = "top", st: int = 2000, d: int = 3000) -> dict:
    return {"k": "title", "tx": text, "c": colour, "pos": pos, "st": st, "d": d}


def titles(*segments: dict) -> dict:
    return {"tt": 7, "n": "Title", "sg": list(segments)}


def edit(**checks) -> Reading:
    return Reading("edit", tuple(parse_check(k.replace("__", "."), v) for k, v in checks.items()))


# -- the data file ------------------------------------------------------------------------------------------
def test_the_corpus_is_large_broad_and_well_formed():
    cases = load()
    assert len(cases) >= 320
    kinds, styles = Counter(c.kind for c in cases), Counter(c.style for c in cases)
    assert set(kinds) == set(KINDS) and min(kinds.values()) >= 15, kinds
    assert set(styles) == set(STYLES), styles
    assert all(len(m) <= MAX_MESSAGE for c in cases for m in c.say)
    for kind in KINDS:  # numbered from 001 without gaps, so the next id is obvious
        numbers = sorted(int(c.id.rsplit("-", 1)[1]) for c in cases if c.kind == kind)
        assert numbers == list(range(1, len(numbers) + 1)), kind
    assert sum(1 for c in cases if c.style == "chinese") >= 30
    assert any(r.mode == "asks" for c in cases for r in c.readings)


@pytest.mark.parametrize("raw,message", [
    ({"id": "slot-999", "setup": "clip", "say": "x", "expect": {"music.loudness": 3}}, "unknown facet"),
    ({"id": "slot-999", "setup": "nowhere", "say": "x", "expect": "nothing"}, "unknown setup"),
    ({"id": "wrong-001", "setup": "clip", "say": "x", "expect": "nothing"}, "<kind>-NNN"),
    ({"id": "slot-999", "setup": "clip", "say": "x", "expect": {"canvas.ratio": "wide"}}, "not a ratio"),
    ({"id": "slot-999", "setup": "clip", "say": "x", "expect": {"title.colour": "sparkly"}}, "not a colour"),
    ({"id": "slot-999", "setup": "clip", "say": "x", "expect": {"music.volume": "< baseline"}}, "baseline message"),
    ({"id": "slot-999", "setup": "clip", "say": "x", "expect": "nothing", "colour": 1}, "unknown keys"),
    ({"id": "slot-999", "setup": "clip", "say": "x", "expect": "nothing", "wait": True}, "two messages"),
])
def test_malformed_cases_are_refused(raw, message):
    with pytest.raises(ValueError, match=message):
        case(raw)


# -- facets -------------------------------------------------------------------------------------------------
def test_kept_ranges_join_continuous_pieces_and_split_at_cuts():
    whole = snapshot(draft(clip((0, 0, 10000), (10000, 10000, 14000))))
    assert whole["video.kept"] == (("clip.mp4", 0.0, 24.0),)
    cut = snapshot(draft(clip((0, 0, 10000), (10000, 20000, 4000))))
    assert cut["video.kept"] == (("clip.mp4", 0.0, 10.0), ("clip.mp4", 20.0, 24.0))
    assert cut["duration"] == 14.0 and cut["canvas.ratio"] == pytest.approx(16 / 9, abs=1e-3)


def test_voiceover_dubs_and_caption_language_are_told_apart():
    voice = {"tt": 1, "n": "Voiceover", "sg": [{"k": "voiceover", "st": 500, "d": 2000, "n": "Hello there.",
                                                "lang": "en", "v": 100}]}
    dub = {"tt": 1, "n": "Dub Spanish", "sg": [{"k": "voiceover", "lang": "es", "st": 500, "d": 2000,
                                                 "n": "Hola a todos."}]}
    captions = {"tt": 7, "n": "Captions", "sg": [{"k": "caption", "tx": "Hola a todos.", "st": 500, "d": 2000}]}
    facets = snapshot(draft(clip((0, 0, 24000), volume=25), voice, dub, captions,
                            voiceover={"language": "en", "voice": "en-us+f3", "pace": 0.95},
                            dub={"es": {"cues": []}}))
    assert facets["voiceover.text"] == "Hello there." and facets["voiceover.gender"] == "female"
    assert facets["dubs"] == ("es",) and facets["dub.es.text"] == "Hola a todos."
    assert facets["captions.language"] == "es" and facets["captions.position"] == "bottom"
    assert facets["video.volume"] == 25 and facets["voiceover.pace"] == 0.95


def test_music_source_titles_and_presenter():
    presenter = {"tt": 0, "n": "Presenter", "sg": [{"k": "video", "src": "med_generated", "st": 0, "d": 3000}]}
    facets = snapshot(draft(clip((0, 0, 24000)), music(), titles(title("Sale")), presenter))
    assert facets["music.source"] == "song.mp3" and facets["music.fade_out"] == 2.0
    assert [t.text for t in facets["titles"]] == ["Sale"] and facets["titles"][0].end == 5.0
    assert facets["presenter.present"] and facets["video.kept"] == (("clip.mp4", 0.0, 24.0),)
    overlay = {"tt": 9, "sg": [{"k": "overlay", "src": "med_avatar", "st": 0, "d": 3000}]}
    state = draft(clip((0, 0, 24000)), overlay)
    assert not snapshot(state)["presenter.present"] and snapshot(state)["other"]
    state["generated_media"] = [{"media_id": "med_avatar", "kind": "avatar"}]
    assert snapshot(state)["presenter.present"] and not snapshot(state)["other"]


# -- predicates ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("facet,spec,actual,before,holds", [
    ("music.volume", "< before", 30, 40, True),
    ("music.volume", "< before", 60, 40, False),
    ("music.volume", "before*0.5±4", 22, 40, True),
    ("music.volume", "before*0.5±4", 30, 40, False),
    ("music.volume", "< before & >= before*0.5", 10, 40, False),
    ("music.volume", "in 30, 36 ±1", 36, 40, True),
    ("canvas.ratio", "21:9", 2560 / 1080, None, True),
    ("canvas.ratio", "in 4:5, 1:1", 1.0, None, True),
    ("canvas.ratio", "4:5", 1.0, None, False),
    ("title.colour", "red", "#e53935", None, True),
    ("title.colour", "red", "white", None, False),
    ("title.colour", "#FF5733", "#ff5733", None, True),
    ("title.colour", "#FF5733", "orange", None, False),
    ("title.position", "top-left", "Top_Left", None, True),
    ("title.position", "top-left", "top", None, False),
    ("title.start", 1, 1.1, None, True),
    ("title.start", 1, 1.3, None, False),
    ("voiceover.text", 'contains "hola a todos"', "¡Hola a  todos!", None, True),
    ("voiceover.text", 'contains "x" & !contains "4:5"', "x. also make it 4:5", None, False),
    ("video.kept", [[3, 24]], (("clip.mp4", 3.0, 24.0),), None, True),
    ("video.kept", [[3, 24]], (("clip.mp4", 0.0, 24.0),), None, False),
    ("video.kept", [["broll.mp4", 0, 8]], (("clip.mp4", 0.0, 8.0),), None, False),
    ("dubs", ["fr", "de"], ("de", "fr"), None, True),
    ("voiceover.language", "Español", "es", None, True),
    ("music.present", False, None, None, False),
])
def test_predicates(facet, spec, actual, before, holds):
    assert parse_check(facet, spec).holds(actual, before, None) is holds


# -- the never-touch rule -----------------------------------------------------------------------------------
def test_an_unasked_change_is_caught_and_a_named_one_is_not():
    before = snapshot(draft(clip((0, 0, 24000)), music(40)))
    louder_and_replaced = snapshot(draft(clip((0, 0, 24000)), music(60, src="med_other")))
    verdict = judge(edit(music__volume="< before"), before, louder_and_replaced, False)
    assert verdict.problems and any(c.startswith("music.source") for c in verdict.collateral)
    quieter = snapshot(draft(clip((0, 0, 24000)), music(30)))
    assert judge(edit(music__volume="< before"), before, quieter, False).ok
    muted_music = snapshot(draft(clip((0, 0, 24000), volume=0)))
    verdict = judge(edit(video__volume=0), before, muted_music, False)
    assert not verdict.problems and any(c.startswith("music.present") for c in verdict.collateral)


def test_a_trim_moves_things_but_may_not_restyle_titles():
    before = snapshot(draft(clip((0, 0, 24000)), music(), titles(title("Sale", st=10000))))
    trimmed = snapshot(draft(clip((0, 3000, 21000)), music(), titles(title("Sale", st=7000))))
    assert judge(edit(video__kept=[[3, 24]]), before, trimmed, False).ok
    restyled = snapshot(draft(clip((0, 3000, 21000)), music(), titles(title("Sale", colour="red", st=7000))))
    assert judge(edit(video__kept=[[3, 24]]), before, restyled, False).collateral


def test_a_voiceover_may_lower_the_original_sound_but_never_raise_it():
    voice = {"tt": 1, "n": "Voiceover", "sg": [{"k": "voiceover", "st": 0, "d": 2000, "n": "Hi."}]}
    before = snapshot(draft(clip((0, 0, 24000), volume=50)))
    reading = edit(voiceover__text='contains "Hi"')
    assert judge(reading, before, snapshot(draft(clip((0, 0, 24000), volume=25), voice)), False).ok
    assert judge(reading, before, snapshot(draft(clip((0, 0, 24000), volume=80), voice)), False).collateral


def test_editing_one_title_keeps_the_others():
    before = snapshot(draft(clip((0, 0, 24000)), titles(title("Sale"), title("Logo", pos="bottom", st=0))))
    recoloured = snapshot(draft(clip((0, 0, 24000)), titles(title("Sale", colour="red"),
                                                            title("Logo", pos="bottom", st=0))))
    assert judge(edit(title__colour="red", title__text="Sale"), before, recoloured, False).ok
    lost_one = snapshot(draft(clip((0, 0, 24000)), titles(title("Sale", colour="red"))))
    assert judge(edit(title__colour="red"), before, lost_one, False).collateral
    two_new = snapshot(draft(clip((0, 0, 24000)), titles(title("Sale"), title("Logo", pos="bottom", st=0),
                                                         title("A"), title("B", st=9000))))
    assert judge(edit(title__text="A"), before, two_new, False).problems


def test_nothing_and_asks():
    before = snapshot(draft(clip((0, 0, 24000))))
    changed = snapshot(draft(clip((0, 0, 24000)), canvas=(1080, 1920)))
    verdict = judge(Reading("asks"), before, changed, False)
    assert verdict.problems and any(c.startswith("canvas") for c in verdict.collateral)
    assert judge(Reading("nothing"), before, before, True).ok
    assert reading_reply_problems(Reading("asks"), "Which words should the title show?") == []
    assert reading_reply_problems(Reading("asks"), "Done.") == ["the reply asks no question"]
    assert reading_reply_problems(Reading("nothing"), "  ") == ["no reply at all"]


def test_reply_checks_fill_in_the_balance():
    asked = case({"id": "question-999", "setup": "clip", "say": "credits?", "expect": "nothing",
                  "reply": ["{balance}"], "reply_not": ["error"]})
    assert reply_problems(asked, "You have 93 credits left.", 93) == []
    assert reply_problems(asked, "You have 100 credits left.", 93) == ["the reply does not say '93'"]
