"""Reframing: a clip of another shape fills a 9:16, 1:1 or 4:5 frame without black bars (over a blurred copy of
itself), "fill" crops where the picture's content is, "fit" keeps plain bars; each choice is in the render log."""
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

VIDEO = 0
FONT_OPTION = "fontcolor=white:fontsize=44:text=SALES"


def _sharpness(picture: Any) -> float:
    """Mean step between neighbouring pixels: high for a sharp picture, low for a blurred one."""
    return float(np.abs(np.diff(picture.astype(float), axis=1)).mean())


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MediaRef]:
    d = tmp_path_factory.mktemp("reframe")
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    from nemo_nb.local.media.fonts import default_font

    font = str(default_font(bold=True)).replace(":", r"\:")
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=2", *x264, str(d / "wide.mp4"))
    # A quiet picture (a soft gradient) with a title near one side, as in a screen recording.
    for side, x in (("right", "w-tw-16"), ("left", "16")):
        ffmpeg("-f", "lavfi", "-i", "gradients=s=640x360:r=25:d=2:c0=0x203040:c1=0x304050:speed=0.001",
               "-vf", f"drawtext=fontfile='{font}':{FONT_OPTION}:x={x}:y=h/2-th/2", *x264, str(d / f"title_{side}.mp4"))
    # Something moving near the left edge of a still picture.
    ffmpeg("-f", "lavfi", "-i", "color=c=0x335577:s=640x360:r=25:d=2", "-f", "lavfi", "-i", "color=c=yellow:s=60x60",
           "-filter_complex", "[0][1]overlay=x='20+10*mod(n,8)':y=150:shortest=1", *x264, str(d / "moving_left.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=480x360", "-frames:v", "1", str(d / "photo.png"))
    # A box crossing the picture from left to right in 4 s.
    ffmpeg("-f", "lavfi", "-i", "color=c=0x335577:s=640x360:r=25:d=4", "-f", "lavfi", "-i", "color=c=yellow:s=60x60",
           "-filter_complex", "[0][1]overlay=x='20+140*t':y=150:shortest=1", *x264, str(d / "across.mp4"))
    # The same with a keyframe every 12 frames (0.48 s), as phones and screen recorders write: sampled at keyframes.
    ffmpeg("-i", str(d / "across.mp4"), *x264, "-g", "12", "-keyint_min", "12", "-sc_threshold", "0",
           str(d / "across_keyframes.mp4"))
    # An even pattern, the same everywhere.
    ffmpeg("-f", "lavfi", "-i", "nullsrc=s=640x360:r=25:d=2", "-vf",
           "geq=lum='255*mod(floor(X/16)+floor(Y/16)\\,2)':cb=128:cr=128", *x264, str(d / "checker.mp4"))
    return {p.stem: MediaRef(p, probe(p)) for p in d.iterdir()}


@pytest.fixture()
def export(sources: dict[str, MediaRef], tmp_path: Path) -> Callable[..., tuple[Path, Any]]:
    counter = iter(range(100))

    def _export(src: str, w: int, h: int, fit: str | None = None) -> tuple[Path, Any]:
        n = next(counter)
        canvas: dict[str, Any] = {"w": w, "h": h, **({"fit": fit} if fit else {})}
        draft = Draft({"t": [{"tt": VIDEO, "sg": [{"src": src, "d": 1000}]}], "m": {"canvas": canvas}})
        plan = plan_render(draft, sources.get, tmp_path / f"out{n}.mp4", tmp_path / f"work{n}")
        return plan.out_path, render(plan)

    return _export


@pytest.mark.slow
@pytest.mark.parametrize("size", [(360, 640), (360, 360), (360, 450)], ids=["9:16", "1:1", "4:5"])
@pytest.mark.parametrize("src", ["wide", "photo"])
def test_a_narrower_frame_has_no_black_bars_but_a_blurred_copy(export, size, src) -> None:
    width, height = size
    out, report = export(src, width, height)
    picture = frame(out, 0.5)
    info = probe(out)
    assert (info.width, info.height) == size
    shown_h = round(width * 360 / (640 if src == "wide" else 480))  # the whole picture, fitted to the width
    band = max(4, (height - shown_h) // 2 - 4)
    top, bottom = picture[:band], picture[height - band:]
    middle = picture[height // 2 - shown_h // 4:height // 2 + shown_h // 4]
    for edge in (top, bottom):
        assert edge.mean() > 20  # not black
        assert (edge.max(axis=2) < 16).mean() < 0.05  # hardly a black pixel
        assert _sharpness(edge) < 0.5 * _sharpness(middle)  # blurred, while the picture itself is sharp
        assert edge.mean() < middle.mean()  # and darkened
    assert "blurred background" in report.frame


def test_fit_by_name_keeps_plain_bars(export) -> None:
    out, report = export("wide", 360, 640, "fit")
    picture = frame(out, 0.5)
    assert picture[:180].max() < 24 and picture[460:].max() < 24
    assert "black bars" in report.frame


@pytest.mark.slow
@pytest.mark.parametrize("side", ["left", "right"])
def test_fill_keeps_a_title_near_the_edge_in_the_crop(export, sources, side) -> None:
    out, report = export(f"title_{side}", 180, 320, "fill")
    source = frame(sources[f"title_{side}"].path, 0.5)
    text_columns = np.nonzero((source.min(axis=2) > 200).any(axis=0))[0]
    assert len(text_columns) > 20 and (text_columns.min() > 400 if side == "right" else text_columns.max() < 240)
    crop_w = round(360 * 180 / 320 / 2) * 2
    x = int(report.frame.split("at x=")[1].split(" ")[0])
    assert x <= text_columns.min() and text_columns.max() < x + crop_w  # the whole title is inside the window
    picture = frame(out, 0.5)
    assert (picture.min(axis=2) > 200).sum() > 100  # and it shows in the export
    assert "fill, cropped to" in report.frame


@pytest.mark.slow
def test_fill_follows_motion(export) -> None:
    _, report = export("moving_left", 180, 320, "fill")
    x = int(report.frame.split("at x=")[1].split(" ")[0])
    assert x < 60  # the window sits over the moving box at the left (20..150), not the centre (219)


def test_fill_of_an_even_picture_is_centred(export) -> None:
    _, report = export("checker", 640, 640, "fill")
    x = int(report.frame.split("at x=")[1].split(" ")[0])
    assert abs(x - 140) <= 28  # (640 - 360) / 2, give or take a tenth of the room


@pytest.mark.slow
@pytest.mark.parametrize("src", ["across", "across_keyframes"])
def test_fill_follows_a_subject_across_the_picture(sources, tmp_path, src) -> None:
    canvas = {"w": 180, "h": 320, "fit": "fill"}
    draft = Draft({"t": [{"tt": VIDEO, "sg": [{"src": src}]}], "m": {"canvas": canvas}})
    plan = plan_render(draft, sources.get, tmp_path / "out.mp4", tmp_path / "work")
    report = render(plan)
    assert "following the content" in report.frame
    for t in (0.5, 1.5, 2.5, 3.5):  # the yellow box is in the picture all the way across
        picture = frame(plan.out_path, t)
        yellow = (picture[..., 0] > 180) & (picture[..., 1] > 180) & (picture[..., 2] < 90)
        assert yellow.sum() > 0.5 * (60 * 320 / 360) ** 2, f"the box left the picture at {t} s"


def test_samples_are_keyframes_when_there_are_enough(sources) -> None:
    """With a keyframe every 0.48 s the samples are keyframes (no decoding up to each time), each at its own
    time; with one keyframe in 4 s, the exact frames are decoded."""
    from nemo_nb.local.media.reframe import _samples
    from nemo_nb.local.media.timeline import Visual

    for name, keyframed in (("across_keyframes", True), ("across", False)):
        clip = Visual(sources[name], start_ms=0, dur_ms=4000, in_ms=0, volume=100)
        frames, times = _samples(clip, 64, 36)
        assert len(frames) == len(times) >= 4
        on_keyframes = all(abs(t / 0.48 - round(t / 0.48)) < 0.01 for t in times)
        assert on_keyframes == keyframed, (name, times)
        assert times == sorted(times) and len(set(times)) == len(times)
