"""Captions and titles are sized from the output frame (captions ~4-5% of its height), wrapped to its width and
kept inside the platforms' safe zones; measured from rendered pixels, with and without the text."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from media_helpers import ffmpeg, frame

from nemo_nb.draft import Draft
from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.render import MediaRef, plan_render, render

VIDEO, TEXT = 0, 7
SHAPES = {"16:9": (640, 360), "9:16": (360, 640), "1:1": (480, 480), "4:5": (432, 540)}
LINE = "Happy days"  # ascenders and descenders: a whole line's height, short enough for one line


@pytest.fixture(scope="module")
def grey(tmp_path_factory: pytest.TempPathFactory) -> MediaRef:
    path = tmp_path_factory.mktemp("text") / "grey.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=0x707070:s=640x360:r=25:d=1", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", str(path))
    return MediaRef(path, probe(path))


@pytest.fixture()
def shot(grey: MediaRef, tmp_path: Path) -> Callable[..., Any]:
    """The frame at 0.5 s of the grey clip on a ``w``x``h`` canvas with these text segments."""
    counter = iter(range(100))

    def _shot(size: tuple[int, int], *texts: dict[str, Any]) -> Any:
        n = next(counter)
        tracks: list[dict[str, Any]] = [{"tt": VIDEO, "sg": [{"src": "grey"}]}]
        if texts:
            tracks.append({"tt": TEXT, "sg": [{"st": 0, "d": 1000, **t} for t in texts]})
        canvas = {"w": size[0], "h": size[1]}
        plan = plan_render(Draft({"t": tracks, "m": {"canvas": canvas}}), {"grey": grey}.get,
                           tmp_path / f"out{n}.mp4", tmp_path / f"work{n}")
        render(plan)
        return frame(plan.out_path, 0.5)

    return _shot


def _boxes(plain: Any, with_text: Any) -> tuple[tuple[int, int, int, int], tuple[int, int, int, int]]:
    """Bounding boxes (top, bottom, left, right) of the text's box (darker) and of its letters (white)."""
    changed = np.abs(with_text - plain).max(axis=2) > 20
    letters = (with_text.min(axis=2) > 200) & changed
    out = []
    for mask in (changed, letters):
        rows, cols = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
        assert len(rows) and len(cols), "no text was drawn"
        out.append((int(rows.min()), int(rows.max()) + 1, int(cols.min()), int(cols.max()) + 1))
    return out[0], out[1]


@pytest.mark.slow
@pytest.mark.parametrize("shape", list(SHAPES))
def test_a_caption_line_is_four_to_five_percent_of_the_frame_height(shot, shape) -> None:
    size = SHAPES[shape]
    plain = shot(size)
    _, letters = _boxes(plain, shot(size, {"k": "caption", "tx": LINE, "pos": "bottom"}))
    height = (letters[1] - letters[0]) / size[1]
    assert 0.035 <= height <= 0.055, f"{shape}: a caption line is {height:.1%} of the frame height"


@pytest.mark.slow
def test_a_title_is_larger_than_a_caption(shot) -> None:
    size = SHAPES["16:9"]
    plain = shot(size)
    _, caption = _boxes(plain, shot(size, {"k": "caption", "tx": "Happy"}))
    _, title = _boxes(plain, shot(size, {"k": "title", "tx": "Happy"}))
    assert title[1] - title[0] > 1.3 * (caption[1] - caption[0])


@pytest.mark.slow
@pytest.mark.parametrize("pos", ["bottom", "top", "center"])
@pytest.mark.parametrize("kind", ["caption", "title"])
def test_text_on_a_vertical_frame_stays_out_of_the_unsafe_zones(shot, pos, kind) -> None:
    """9:16 (TikTok, Reels, Shorts): nothing in the top 8%, the bottom 20% or the right-hand 13% (the buttons)."""
    width, height = SHAPES["9:16"]
    plain = shot((width, height))
    words = "Our new dashboard shows every sale of the week, by region and by product, as it happens"
    box, letters = _boxes(plain, shot((width, height), {"k": kind, "tx": words, "pos": pos}))
    top, bottom, left, right = box
    assert top >= 0.08 * height and bottom <= 0.80 * height
    assert left >= 0.03 * width and right <= 0.87 * width
    assert letters[1] - letters[0] > 0.1 * height  # long: wrapped over several lines, not cut off


@pytest.mark.slow
def test_a_long_word_is_wrapped_inside_the_frame(shot) -> None:
    width, height = SHAPES["9:16"]
    box, _ = _boxes(shot((width, height)), shot((width, height), {"k": "title", "tx": "W" * 40}))
    assert box[2] >= 0 and box[3] <= 0.87 * width and box[1] <= 0.8 * height

