"""Run the ffmpeg binary from ``imageio-ffmpeg``: progress, cancellation and readable errors."""
from __future__ import annotations

import functools
import queue
import subprocess
import tempfile
import threading
from collections.abc import Callable
from typing import IO

from nemo_nb.local.budget import Budget, active
from nemo_nb.local.media import children

# ffmpeg's AAC encoder with its "fast" coder: at the default bitrates (~69 kb/s mono, 128 kb/s stereo) it is
# 2.5x quicker than the default two-loop coder, closer to the source (SNR 34 vs 26 dB on a mono voice), and it
# keeps a limited voice's peaks where the limiter put them (two-loop lifted mono peaks by up to 4 dB: measured).
# The default bitrate suits each rate and layout; forcing one (e.g. 160k on a 24 kHz mono voice) made encoding
# 2.5x slower, and audio encoding is most of a copied-video render's time.
AAC_AUDIO = ["-c:a", "aac", "-aac_coder", "fast"]
_STDERR_TAIL_LINES = 6
_STDERR_TAIL_CHARS = 600
_POLL_S = 0.1


class FFmpegError(RuntimeError):
    """ffmpeg exited with an error; the message is the tail of its stderr."""


class RenderCancelled(Exception):
    """The run was cancelled and the ffmpeg process killed."""


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """Path of the static ffmpeg binary shipped by ``imageio-ffmpeg``."""
    import imageio_ffmpeg

    return str(imageio_ffmpeg.get_ffmpeg_exe())


def run_ffmpeg(
    args: list[str],
    *,
    duration_s: float,
    on_progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
    loglevel: str = "error",
) -> str:
    """Run ``ffmpeg <args>``; report 0–100 to ``on_progress`` (from this thread), stop on ``cancel``; return
    what ffmpeg logged at ``loglevel`` (filters such as ``ebur128`` log their findings at ``info``).

    Raises ``RenderCancelled`` when ``cancel`` is set (the process is killed first), ``BudgetExceeded``
    when the active budget (``nemo_nb.local.budget``) runs out, and ``FFmpegError`` on a non-zero exit.
    The process dies with the backend (``children``).
    """
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", loglevel, "-y",
           "-progress", "pipe:1", "-nostats", *args]
    budget = active()
    with tempfile.TemporaryFile() as stderr:
        proc = children.spawn(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=stderr)
        try:
            _follow(proc, duration_s, on_progress, cancel, budget)
        except BaseException:
            children.stop(proc)
            raise
        finally:
            children.reap(proc)
            if proc.stdout is not None:
                proc.stdout.close()
        if budget is not None:
            budget.check()  # killed by its CPU limit: say so rather than quote ffmpeg
        if proc.returncode != 0:
            raise FFmpegError(f"ffmpeg failed (exit {proc.returncode}): {_tail(stderr)}")
        stderr.seek(0)
        logged = stderr.read().decode("utf-8", "replace")
    if on_progress is not None:
        on_progress(100.0)
    return logged


def _follow(
    proc: subprocess.Popen[bytes],
    duration_s: float,
    on_progress: Callable[[float], None] | None,
    cancel: threading.Event | None,
    budget: Budget | None = None,
) -> None:
    """Relay progress until ffmpeg closes stdout; kill it and raise when cancelled or over budget."""
    updates: queue.Queue[float | None] = queue.Queue()
    if proc.stdout is None:
        raise ValueError("ffmpeg was started without a stdout pipe for its progress")
    threading.Thread(target=_read_progress, args=(proc.stdout, duration_s, updates), daemon=True).start()
    last = 0.0
    while True:
        if cancel is not None and cancel.is_set():
            children.stop(proc)
            raise RenderCancelled("render cancelled")
        if budget is not None:
            try:
                budget.check()
            except BaseException:
                children.stop(proc)
                raise
        try:
            pct = updates.get(timeout=_POLL_S)
        except queue.Empty:
            continue
        if pct is None:
            return
        if on_progress is not None and pct > last:
            last = pct
            on_progress(pct)


def _read_progress(stream: IO[bytes], duration_s: float, updates: queue.Queue[float | None]) -> None:
    """Turn ``out_time_us=`` / ``out_time_ms=`` lines into percentages below 100 (100 comes on success)."""
    try:
        for raw in stream:
            key, _, value = raw.decode("ascii", "replace").strip().partition("=")
            # out_time_ms is in microseconds too (a long-standing ffmpeg quirk).
            if key in ("out_time_us", "out_time_ms") and duration_s > 0:
                try:
                    seconds = int(value) / 1e6
                except ValueError:
                    continue
                updates.put(round(min(99.9, max(0.0, 100.0 * seconds / duration_s)), 1))
    finally:
        updates.put(None)


def _tail(stderr: IO[bytes]) -> str:
    """The last few non-empty stderr lines, short enough for an error message."""
    stderr.seek(0)
    lines = [ln.strip() for ln in stderr.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    text = " | ".join(lines[-_STDERR_TAIL_LINES:]) or "no error output"
    return text if len(text) <= _STDERR_TAIL_CHARS else "…" + text[-_STDERR_TAIL_CHARS:]
