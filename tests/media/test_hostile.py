"""Hostile drafts are refused with RenderError before ffmpeg runs; user text never enters the graph."""
from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from nemo_nb.draft import AUDIO, TEXT, VIDEO, Draft
from nemo_nb.local.media.render import RenderError, RenderPlan, plan_render

Make = Callable[..., RenderPlan]
CLIP = {"src": "clip", "d": 1000}


@pytest.mark.parametrize(("tracks", "canvas", "message"), [
    ([], None, "nothing to render"),
    ([(VIDEO, [{"src": "nope"}])], None, "not found"),
    ([(VIDEO, [{"src": 42}])], None, "'src'"),
    ([(VIDEO, [{"src": "clip", "st": -1}])], None, "'st'"),
    ([(VIDEO, [{"src": "clip", "d": 0}])], None, "'d'"),
    ([(VIDEO, [{"src": "clip", "d": 10**12}])], None, "'d'"),
    ([(VIDEO, [{"src": "clip", "d": math.inf}])], None, "'d'"),
    ([(VIDEO, [{"src": "clip", "d": 10**400}])], None, "'d'"),
    ([(VIDEO, [{"src": "clip", "st": -(10**5000)}])], None, "'st'"),
    ([(VIDEO, [{"src": "clip", "d": math.nan}])], None, "'d'"),
    ([(VIDEO, [{"src": "clip", "d": "1000"}])], None, "must be a number"),
    ([(VIDEO, [{"src": "clip", "d": True}])], None, "must be a number"),
    ([(VIDEO, [{"src": "clip", "st": 4 * 3_600_000, "d": 1000}])], None, "4 h"),
    ([(VIDEO, [{"src": "clip", "ss": 9000, "d": 1000}])], None, "past the end"),
    ([(VIDEO, [{"src": "clip", "k": "explosion"}])], None, "'k'"),
    ([(VIDEO, [{"src": "tone"}])], None, "no picture"),
    ([(VIDEO, [{"src": "still", "k": "image"}])], None, "'d' is required"),
    ([(AUDIO, [{"src": "silent"}])], None, "no sound"),
    ([(AUDIO, [{"src": "tone", "v": -5}])], None, "'v'"),
    ([(AUDIO, [{"src": "tone", "v": 10**6}])], None, "'v'"),
    ([(AUDIO, [{"src": "tone", "d": 1000, "fo": 5000}])], None, "'fo'"),
    ([(AUDIO, [{"src": "tone", "duck": "yes"}])], None, "'duck'"),
    ([(TEXT, [{"tx": ["a"], "d": 1000}])], None, "'tx'"),
    ([(TEXT, [{"tx": None, "d": 1000}])], None, "'tx'"),
    ([(TEXT, [{"tx": "x" * 5000, "d": 1000}])], None, "at most"),
    ([(TEXT, [{"tx": "hi"}])], None, "'d' is required"),
    ([(TEXT, [{"tx": "hi", "d": 1000, "pos": "left"}])], None, "'pos'"),
    ([(TEXT, [{"tx": "hi", "d": 1000, "c": "red:drawtext=text=x"}])], None, "'c'"),
    ([(TEXT, [{"tx": "hi", "d": 1000, "c": "#fff"}])], None, "'c'"),
    ([(TEXT, [{"tx": "hi", "d": 1000, "fs": 100000}])], None, "'fs'"),
    ([(VIDEO, [CLIP])], {"w": -5, "h": 100}, "m.canvas"),
    ([(VIDEO, [CLIP])], {"w": "1080", "h": 1920}, "m.canvas"),
    ([(VIDEO, [CLIP])], {"w": 3840, "h": 3840}, "larger than"),
    ([(VIDEO, [CLIP])], {"w": 1080, "h": 1920, "fit": "stretch;rm"}, "'fit'"),
    ([(VIDEO, [CLIP])], "1080x1920", "m.canvas"),
])
def test_bad_values_are_refused(make: Make, tracks: list[Any], canvas: Any, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        make(*tracks, canvas=canvas)


def test_error_names_the_segment(make: Make) -> None:
    with pytest.raises(RenderError, match=r"track 2 segment 2 \('bad-one'\)"):
        make((VIDEO, [CLIP]), (AUDIO, [{"src": "tone"}, {"id": "bad-one", "src": "tone", "st": -3}]))


def test_too_many_segments(make: Make) -> None:
    with pytest.raises(RenderError, match="at most 500"):
        make((TEXT, [{"tx": "x", "d": 10, "st": i * 10} for i in range(501)]))


def test_only_resolvable_media_is_used(refs: dict[str, Any], tmp_path: Path) -> None:
    asked: list[str] = []

    def resolve(media_id: str) -> Any:
        asked.append(media_id)
        return None

    draft = Draft({"t": [{"tt": VIDEO, "sg": [{"src": "../../etc/passwd", "d": 1000}]}]})
    with pytest.raises(RenderError, match="not found"):
        plan_render(draft, resolve, tmp_path / "o.mp4", tmp_path / "w")
    assert asked == ["../../etc/passwd"]


def test_user_text_stays_out_of_the_graph_and_args(make: Make, tmp_path: Path) -> None:
    evil = "x'[out];movie=/etc/passwd[a];[a]%{eif:1:d}\\"
    plan = make((VIDEO, [CLIP]), (TEXT, [{"tx": evil, "d": 1000}]), work_dir=tmp_path / "w")
    graph = (tmp_path / "w" / "filtergraph.txt").read_text()
    assert "passwd" not in graph and not any("passwd" in a for a in plan.args)
    assert "expansion=none" in graph
    assert (tmp_path / "w" / "text0.txt").read_text().replace("\n", "") == evil  # wrapped, else verbatim


def test_unknown_tracks_keys_and_non_objects_are_ignored(make: Make) -> None:
    plan = make((VIDEO, [1, "x", None, [CLIP], dict(CLIP, zz={"nested": True})]), (99, [{"anything": object()}]))
    assert plan.duration_s == 1.0
