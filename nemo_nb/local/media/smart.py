"""Smart rendering: re-encode only the frames a picture change touches, copy every other packet.

When the picture is one H.264 source shown as it is (whole, or trimmed and cut, on the source's own
canvas) and only titles are drawn over parts of it, the splice worker (``splice_worker``, a process of
its own: PyAV and x264 are GPL) writes the video as one H.264 stream of copied packets and re-encoded
pieces; the render then only mixes the sound and muxes that video, copied. Anything else — several
sources, a canvas change, gaps, images, a variable frame rate, open GOPs — is rendered in full, and the
reason is kept for the render log.
"""
from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from nemo_nb.local.media import children
from nemo_nb.local.media.timeline import Timeline
from nemo_nb.local.media.titles import DrawnText

# The full render's quality (and its speed): a piece starting where the full render's GOP starts comes out
# bit for bit the same.
SEGMENT_CRF = 23
SEGMENT_PRESET = "ultrafast"
MAX_ENCODED_SHARE = 0.7  # past this share of re-encoded frames one full encode is as fast
# Splicing costs ~0.5 s of its own (a process, reading the source twice): below this much picture
# (pixels x frames, ~1 s of 1080p encoding on 2 cores) one full encode is quicker.
MIN_PIXEL_FRAMES = 300_000_000
_STOP_POLL_S = 0.05


@dataclass(frozen=True)
class SpliceJob:
    """What the splice worker is asked to do (see ``splice_worker`` for the fields)."""

    source: Path
    out: Path
    work: Path
    rate: Fraction
    size: tuple[int, int]
    clips: list[tuple[int, int]]  # (in-point ms, frames)
    captions: list[DrawnText] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps({
            "source": str(self.source), "out": str(self.out), "work": str(self.work),
            "rate": [self.rate.numerator, self.rate.denominator], "size": list(self.size),
            "clips": [list(c) for c in self.clips], "captions": [asdict(c) for c in self.captions],
            "crf": SEGMENT_CRF, "preset": SEGMENT_PRESET, "max_share": MAX_ENCODED_SHARE,
        })


@dataclass(frozen=True)
class SpliceResult:
    """How the splice went: ``ok``, else ``reason`` (the render falls back to a full encode)."""

    ok: bool
    reason: str = ""
    copied: int = 0
    encoded: int = 0
    splices: tuple[float, ...] = ()  # output times (s) where a copied and a re-encoded piece meet
    timings: dict[str, float] = field(default_factory=dict)  # the worker's stages: read_s, encode_s, write_s


def splice_job(timeline: Timeline, size: tuple[int, int], rate: Fraction, work_dir: Path,
               captions: list[DrawnText], *, force: bool = False) -> SpliceJob | str:
    """The job that splices ``timeline``'s picture, or why it cannot be spliced (then: a full encode).

    ``captions`` are the drawn titles with their output frames; ``size`` and ``rate`` the output's.
    ``force`` splices even a picture small enough to encode in full as quickly.
    """
    if importlib.util.find_spec("av") is None:
        return "PyAV is not installed (pip install 'nemo-nb[local]')"

    def frame(ms: int) -> int:
        return round(ms * rate / 1000)

    visuals = timeline.visuals
    if not visuals:
        return "the draft has no video clip"
    if timeline.overlays:
        return "a picture-in-picture is drawn over the clip"
    source = visuals[0].ref
    if any(v.ref.path != source.path for v in visuals):
        return "the picture comes from several sources"
    info = source.info
    if info.kind != "video" or info.video_codec != "h264" or info.pix_fmt != "yuv420p":
        return f"the source is {info.video_codec or info.kind} {info.pix_fmt}, not H.264 yuv420p"
    if (info.width, info.height) != size:
        return f"the canvas ({size[0]}x{size[1]}) differs from the source ({info.width}x{info.height})"
    clips: list[tuple[int, int]] = []
    cursor = 0
    for visual in visuals:
        start, end = frame(visual.start_ms), frame(visual.start_ms + visual.dur_ms)
        if start != cursor:
            return "the timeline has a gap (black frames)"
        if end > start:
            clips.append((visual.in_ms, end - start))
        cursor = end
    if frame(timeline.duration_ms) != cursor:
        return "the timeline runs past its last clip (black frames)"
    if not force and size[0] * size[1] * cursor < MIN_PIXEL_FRAMES:
        return "the picture is small enough to encode in full as quickly"
    work = work_dir.resolve()
    return SpliceJob(source.path.resolve(), work / "spliced.mp4", work, rate, size, clips, captions)


def run_splice(job: SpliceJob, on_progress: Callable[[float], None] | None = None,
               cancel: threading.Event | None = None) -> SpliceResult:
    """Run the splice worker; progress 0–100 to ``on_progress``. Raises ``RenderCancelled`` when cancelled."""
    from nemo_nb.local.media.ffmpeg import RenderCancelled

    answer: dict[str, Any] = {}
    stopped = threading.Event()
    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty worker must never block on it
        # Dies with the backend and spends the render's budget (its ffmpeg's CPU too, once reaped).
        proc = children.spawn([sys.executable, "-m", "nemo_nb.local.media.splice_worker"], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=errors, text=True)

        def watch() -> None:
            while not stopped.wait(_STOP_POLL_S):
                if cancel is not None and cancel.is_set():
                    children.stop(proc)
                    return

        threading.Thread(target=watch, daemon=True).start()
        try:
            if proc.stdin is None or proc.stdout is None:
                raise OSError("the splice worker's pipes did not open")
            proc.stdin.write(job.to_json())
            proc.stdin.close()
            for line in proc.stdout:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue
                if "progress" not in message:
                    answer = message
                elif on_progress is not None:
                    on_progress(float(message["progress"]))
            children.reap(proc)
        finally:
            stopped.set()
            if proc.returncode is None:
                children.stop(proc)
                children.reap(proc)
        errors.seek(0)
        stderr = errors.read().decode("utf-8", "replace")
    if cancel is not None and cancel.is_set():
        raise RenderCancelled("render cancelled")
    if answer.get("ok"):
        splices = tuple(round(float(start / job.rate), 3) for _, start, _ in answer["pieces"][1:])
        return SpliceResult(True, copied=int(answer["copied"]), encoded=int(answer["encoded"]), splices=splices,
                            timings=dict(answer.get("timings", {})))
    reason = answer.get("reason") or answer.get("error") or f"the splice worker stopped: {stderr.strip()[-300:]}"
    return SpliceResult(False, str(reason))
