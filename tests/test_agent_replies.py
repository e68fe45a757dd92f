"""What the agent does with what people type, through the HTTP API: partial requests charge only what was done,
questions never edit, a presenter over footage goes in a corner (checked in the exported frames), voiceover lines
follow each other with natural pauses, and replies read well."""
from __future__ import annotations

from itertools import pairwise
from pathlib import Path

import numpy as np
import pytest
from media_helpers import frame
from rawapi import RawApi

from nemo_nb import samples
from nemo_nb.draft.fields import DEFAULT_FIT
from nemo_nb.local.media.probe import probe
from nemo_nb.local.skills.grammar import article, listing, plural

SCRIPT = "Welcome to the spring sale. Everything is ten percent off. See you soon."


def replies(events) -> str:
    return "".join(e["content"] for e in events if e and e.get("type") == "text")


def balance(api: RawApi) -> int:
    return api.call("GET", "/api/credits/balance/simple").json()["data"]["available"]


@pytest.fixture(scope="module")
def colours(media_dir: Path) -> Path:
    """A silent 6 s clip: red, green, blue, 2 s each."""
    return samples.make_color_sequence(media_dir / "reply-colours.mp4", seconds_each=2)


@pytest.fixture(scope="module")
def long_clip(media_dir: Path) -> Path:
    return samples.make_clip(media_dir / "reply-long.mp4", seconds=12, audio=False)


def placed(api: RawApi, clip: Path) -> str:
    sid = api.session()
    api.upload(sid, clip)
    api.sse(sid, "add my clip to the timeline")
    return sid


def test_grammar_of_replies() -> None:
    assert [article(w) for w in ("English", "Spanish", "Italian", "hour", "MP4", "SRT", "user", "one", "8-second",
                                 "11 s", "9:16")] == ["an", "a", "an", "an", "an", "an", "a", "a", "an", "an", "a"]
    assert plural(1, "line") == "1 line" and plural(3, "sentence") == "3 sentences"
    assert listing(["a"]) == "a" and listing(["a", "b"]) == "a and b" and listing(["a", "b", "c"], "or") == "a, b or c"


def test_a_partial_request_says_what_was_not_done_and_charges_only_the_rest(api: RawApi, colours: Path) -> None:
    sid = placed(api, colours)
    before = balance(api)
    text = replies(api.sse(sid, "make it 9:16 and add some explosion sound effects"))
    canvas = api.state(sid)["state"]["draft"]["m"]["canvas"]
    assert (canvas["w"], canvas["h"]) == (1080, 1920)
    assert "sound effects" in text and "Nothing was charged for that part" in text
    assert before - balance(api) == 1


def test_questions_and_held_edits_change_nothing_and_cost_nothing(api: RawApi, colours: Path) -> None:
    sid = placed(api, colours)
    draft = api.state(sid)["state"]["draft"]
    before = balance(api)
    for message in ("how many credits do I have left?", "what size should a video for TikTok be?",
                    "is 9:16 right for Reels? don't change anything yet", "thanks!",
                    "I'm thinking of adding a title 'Sale', but not yet"):
        text = replies(api.sse(sid, message))
        assert text and "without a reply" not in text
        assert api.state(sid)["state"]["draft"] == draft, message
    assert balance(api) == before
    assert str(before) in replies(api.sse(sid, "credits?"))
    assert "9:16" in replies(api.sse(sid, "what's the best format for YouTube Shorts?"))


@pytest.mark.slow
def test_a_presenter_over_footage_goes_in_a_corner(api: RawApi, colours: Path, tmp_path: Path) -> None:
    sid = placed(api, colours)
    text = replies(api.sse(sid, "add a presenter in the top left corner who says: Hello there."))
    assert "top left" in text and "unchanged" in text
    draft = api.state(sid)["state"]["draft"]
    clips = [s for t in draft["t"] if t["tt"] == 0 for s in t["sg"] if not s.get("box")]
    overlay = [s for t in draft["t"] if t["tt"] == 0 for s in t["sg"] if s.get("box")]
    assert len(clips) == 1 and clips[0]["d"] == 6000 and overlay and overlay[0]["box"] == "top-left"
    assert draft["m"]["canvas"] == {"w": 320, "h": 240, "fit": DEFAULT_FIT}  # the frame as the clip made it
    assert api.render(sid, "render_pip").status_code == 200
    done = api.wait_render("render_pip")["data"]
    assert done["status"] == "completed", done
    out = tmp_path / "pip.mp4"
    out.write_bytes(api.call("GET", "/api/render/proxy/render_pip/download").content)
    info = probe(out)
    assert (info.width, info.height) == (320, 240) and abs(info.duration_s - 6.0) < 0.15 and info.has_audio
    picture = frame(out, 1.0).astype(int)
    corner, elsewhere = picture[20:60, 20:60], picture[180:230, 250:310]
    assert elsewhere[..., 0].mean() > 150 and elsewhere[..., 1].mean() < 80  # the red clip is still there
    assert abs(corner[..., 0].mean() - elsewhere[..., 0].mean()) > 60  # and the presenter is drawn over it
    later = frame(out, 5.0).astype(int)[20:60, 20:60]  # after the speech: the blue clip again
    assert later[..., 2].mean() > 150 and np.abs(later[..., 0]).mean() < 80


@pytest.mark.slow
def test_voiceover_lines_follow_each_other_with_natural_pauses(api: RawApi, long_clip: Path) -> None:
    sid = placed(api, long_clip)
    replies(api.sse(sid, f"add a voiceover: {SCRIPT}"))
    lines = next(t for t in api.state(sid)["state"]["draft"]["t"] if t.get("n") == "Voiceover")["sg"]
    gaps = [b["st"] - (a["st"] + a["d"]) for a, b in pairwise(lines)]
    assert lines[0]["st"] <= 500 and all(300 <= gap <= 800 for gap in gaps), (lines[0]["st"], gaps)
    replies(api.sse(sid, f"add a voiceover and spread it over the video: {SCRIPT}"))
    spread = next(t for t in api.state(sid)["state"]["draft"]["t"] if t.get("n") == "Voiceover")["sg"]
    assert spread[-1]["st"] + spread[-1]["d"] > 10_000 and spread[1]["st"] - spread[0]["st"] > 2000
