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


def pitch_track(samples: Any, rate: int = PCM_RATE, fmin: float = 60.0, fmax: float = 400.0) -> Any:
    """Pitch (Hz) of the voiced 40 ms frames (10 ms apart): the first autocorrelation peak within 85% of the
    best in ``fmin``–``fmax``, for frames at least 0.3× the mean level whose best peak is ≥ 0.5, median-smoothed
    over five frames."""
    size, hop = int(rate * 0.04), int(rate * 0.01)
    lo, hi = int(rate / fmax), int(rate / fmin)
    level = rms(samples)
    track = []
    for start in range(0, len(samples) - size, hop):
        f = np.asarray(samples[start:start + size], np.float64)
        f = f - f.mean()
        if rms(f) < 0.3 * level:
            track.append(np.nan)
            continue
        ac = np.correlate(f, f, "full")[size - 1:]
        ac = ac[lo:hi] / (ac[0] + 1e-12)
        if ac.max() < 0.5:
            track.append(np.nan)
            continue
        peaks = [j for j in range(1, len(ac) - 1) if ac[j] >= 0.85 * ac.max() and ac[j - 1] <= ac[j] >= ac[j + 1]]
        track.append(rate / (lo + (peaks[0] if peaks else int(np.argmax(ac)))))
    f0 = np.array(track)
    smooth = np.array([np.nanmedian(f0[max(0, i - 2):i + 3]) if not np.isnan(x) else np.nan for i, x in enumerate(f0)])
    return smooth[~np.isnan(smooth)]


def pitch_variation(samples: Any, rate: int = PCM_RATE) -> float:
    """How much the pitch moves: the standard deviation of the voiced frames' pitch, in semitones. Measured here
    (``benchmarks/bench_voices.py``): about 6 for the neural English voice, 1.1–3.7 for espeak-ng's formant voices."""
    f0 = pitch_track(samples, rate)
    assert len(f0) >= 20, "too little voiced speech to measure"
    return float(np.std(12 * np.log2(f0 / np.median(f0))))


def loudness(path: Path, stream: int = 0) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of an audio stream, measured by ffmpeg's ebur128."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path), "-map", f"0:a:{stream}",
                           "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True, timeout=120)
    summary = done.stderr.rpartition("Summary:")[2]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?(?:inf|[\d.]+)) dBFS", summary)
    assert integrated and peak, done.stderr[-500:]
    return float(integrated.group(1)), float(peak.group(1))


def black_bars(path: Path, at: tuple[float, ...] = (0.3, 0.5, 0.7)) -> str:
    """'top/bottom' or 'left/right' when both opposite edge bands (3% of the frame, at least 4 px) are
    near-black on every frame sampled at these shares of the duration; '' when there are no bars."""
    info = probe(path)
    found = {"top/bottom": True, "left/right": True}
    for share in at:
        picture = frame(path, info.duration_s * share)
        rows, cols = max(4, picture.shape[0] * 3 // 100), max(4, picture.shape[1] * 3 // 100)
        bands = {"top/bottom": (picture[:rows], picture[-rows:]), "left/right": (picture[:, :cols], picture[:, -cols:])}
        for name, pair in bands.items():
            found[name] &= all((band.max(axis=2) < 24).mean() > 0.98 for band in pair)
    return next((name for name, bars in found.items() if bars), "")
