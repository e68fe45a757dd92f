"""Helpers to look inside media files: frames, decoded PCM, tone levels, packet hashes."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import numpy as np

from nemo_nb.local.media.ffmpeg import ffmpeg_exe
from nemo_nb.local.media.probe import probe, video_packet_hashes  # noqa: F401  (re-exported for tests)

PCM_RATE = 16000


def ffmpeg(*args: str) -> bytes:
    """Run ffmpeg quietly and return its stdout."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y", *args],
                          capture_output=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    return done.stdout


def frame(path: Path, t: float) -> Any:
    """The RGB frame shown at ``t`` seconds, as a (h, w, 3) int array."""
    info = probe(path)
    raw = ffmpeg("-ss", f"{t:.3f}", "-i", str(path), "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    return np.frombuffer(raw, np.uint8).reshape(info.height, info.width, 3).astype(int)


def pcm(path: Path) -> Any:
    """The first audio stream as mono float samples at ``PCM_RATE``."""
    raw = ffmpeg("-i", str(path), "-map", "0:a:0", "-ac", "1", "-ar", str(PCM_RATE), "-f", "f32le", "-")
    return np.frombuffer(raw, np.float32)


def window(samples: Any, start: float, end: float) -> Any:
    return samples[int(start * PCM_RATE):int(end * PCM_RATE)]


def rms(samples: Any) -> float:
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64)))) if len(samples) else 0.0


def tone_level(samples: Any, hz: float) -> float:
    """Amplitude of one frequency in ``samples`` (a single-bin DFT)."""
    t = np.arange(len(samples)) / PCM_RATE
    return float(2 * abs(np.dot(samples, np.exp(-2j * np.pi * hz * t))) / len(samples))


def loudness(path: Path, stream: int = 0) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of an audio stream, measured by ffmpeg's ebur128."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", f"0:a:{stream}",
                           "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True, timeout=120)
    summary = done.stderr.rpartition("Summary:")[2]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?(?:inf|[\d.]+)) dBFS", summary)
    assert integrated and peak, done.stderr[-500:]
    return float(integrated.group(1)), float(peak.group(1))
