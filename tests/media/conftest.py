"""Small media made with ffmpeg's lavfi sources once per session, and render fixtures."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("imageio_ffmpeg")
pytest.importorskip("numpy")

from media_helpers import ffmpeg  # noqa: E402

from nemo_nb.draft import Draft  # noqa: E402
from nemo_nb.local.media.probe import probe  # noqa: E402
from nemo_nb.local.media.render import MediaRef, RenderPlan, plan_render, render  # noqa: E402


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def media(media_dir: Path) -> dict[str, Path]:
    """Source files by name: clip (640x360, 4 s, 440 Hz sound), silent, still, tone, voice, music, …"""
    d = media_dir
    x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=4", "-f", "lavfi", "-i", "sine=f=440:d=4:sample_rate=48000",
           *x264, "-c:a", "aac", "-shortest", str(d / "clip.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240:r=30:d=2", *x264, str(d / "silent.mp4"))
    ffmpeg("-display_rotation:v:0", "90", "-i", str(d / "silent.mp4"), "-c", "copy", str(d / "rotated.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240", "-frames:v", "1", str(d / "still.png"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x240", "-frames:v", "1", str(d / "still.jpg"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=1", str(d / "anim.gif"))
    ffmpeg("-f", "lavfi", "-i", "sine=f=1000:d=1", str(d / "tone.wav"))
    ffmpeg("-f", "lavfi", "-i", "sine=f=1000:d=3,volume=4", str(d / "voice.wav"))
    ffmpeg("-f", "lavfi", "-i", "sine=f=220:d=5", str(d / "music.wav"))
    ffmpeg("-i", str(d / "tone.wav"), "-i", str(d / "still.png"), "-map", "0", "-map", "1", "-c:a", "libmp3lame",
           "-c:v", "png", "-disposition:v", "attached_pic", str(d / "cover.mp3"))
    (d / "notes.txt").write_text("just some text, not media\n" * 20)
    return {p.stem: p for p in d.iterdir()}


@pytest.fixture(scope="session")
def refs(media: dict[str, Path]) -> dict[str, MediaRef]:
    """Media ids (the file stems) → probed references, as the backend's resolver would give."""
    return {name: MediaRef(path, probe(path)) for name, path in media.items() if name != "notes"}


@pytest.fixture()
def make(refs: dict[str, MediaRef], tmp_path: Path) -> Callable[..., RenderPlan]:
    """Plan a draft dict (tracks given as (tt, segments) pairs) into ``tmp_path``."""
    counter = iter(range(1000))

    def _make(*tracks: tuple[int, list[dict[str, Any]]], canvas: dict[str, Any] | None = None,
              work_dir: Path | None = None, meta: dict[str, Any] | None = None) -> RenderPlan:
        raw: dict[str, Any] = {"t": [{"tt": tt, "sg": sg} for tt, sg in tracks], "m": dict(meta or {})}
        if canvas is not None:
            raw["m"]["canvas"] = canvas
        n = next(counter)
        return plan_render(Draft(raw), refs.get, tmp_path / f"out{n}.mp4", work_dir or tmp_path / f"work{n}")

    return _make


@pytest.fixture()
def rendered(make: Callable[..., RenderPlan]) -> Callable[..., Path]:
    """Plan and render; return the output path."""

    def _rendered(*tracks: tuple[int, list[dict[str, Any]]], **kw: Any) -> Path:
        plan = make(*tracks, **kw)
        render(plan)
        return plan.out_path

    return _rendered
