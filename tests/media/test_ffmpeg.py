"""run_ffmpeg(): progress, errors and cancellation."""
from __future__ import annotations

import subprocess
import threading
import time
from pathlib import Path

import pytest

from nemo_nb.local.media import ffmpeg as ff
from nemo_nb.local.media.ffmpeg import FFmpegError, RenderCancelled, run_ffmpeg


def test_progress_is_monotonic_and_ends_at_100(tmp_path: Path) -> None:
    seen: list[float] = []
    run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3", "-c:v", "libx264", "-preset", "ultrafast",
                str(tmp_path / "p.mp4")], duration_s=3.0, on_progress=seen.append)
    assert seen and seen[-1] == 100.0
    assert seen == sorted(seen) and all(0 <= p <= 100 for p in seen)


def test_error_carries_stderr_tail(tmp_path: Path) -> None:
    with pytest.raises(FFmpegError, match="No such file") as info:
        run_ffmpeg(["-i", str(tmp_path / "absent.mp4"), str(tmp_path / "x.mp4")], duration_s=1.0)
    assert len(str(info.value)) < 800


@pytest.mark.slow
def test_cancel_kills_the_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[subprocess.Popen[bytes]] = []

    class Recording(subprocess.Popen):  # type: ignore[type-arg]
        def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(ff.subprocess, "Popen", Recording)
    cancel = threading.Event()
    seen: list[float] = []

    def progress(p: float) -> None:
        seen.append(p)
        cancel.set()

    t0 = time.monotonic()
    with pytest.raises(RenderCancelled):
        run_ffmpeg(["-f", "lavfi", "-i", "testsrc2=s=640x360:r=25:d=600", "-c:v", "libx264", "-preset", "ultrafast",
                    str(tmp_path / "long.mp4")], duration_s=600.0, on_progress=progress, cancel=cancel)
    assert time.monotonic() - t0 < 10
    assert seen and seen[-1] < 100
    assert len(started) == 1 and started[0].poll() is not None
