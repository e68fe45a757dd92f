"""Generated music beds: exact length, stereo, a moderate loudness, moods that sound different."""
from __future__ import annotations

import re
import subprocess
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from nemo_nb.local.media.ambient import MOODS, SAMPLE_RATE, TARGET_LUFS, ambient_bed
from nemo_nb.local.media.ffmpeg import ffmpeg_exe
from nemo_nb.local.media.probe import probe

pytestmark = pytest.mark.slow  # music beds synthesised and encoded

SECONDS = 12.0


@pytest.fixture(scope="module")
def beds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("beds")
    return {mood: ambient_bed(folder / f"{mood}.wav", SECONDS, mood=mood) for mood in MOODS}


def stereo(path: Path) -> Any:
    """(frames, 2) float samples of a 16-bit stereo WAV."""
    with wave.open(str(path)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (2, 2, SAMPLE_RATE)
        return np.frombuffer(wav.readframes(wav.getnframes()), "<i2").reshape(-1, 2) / 32768


def loudness(path: Path) -> float:
    """Integrated loudness (LUFS) from ffmpeg's EBU R128 meter."""
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostats", "-i", str(path), "-af", "ebur128", "-f", "null", "-"]
    err = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    return float(re.findall(r"I:\s+(-?[\d.]+) LUFS", err)[-1])


def band_levels(mono: Any) -> Any:
    """Energy share in octave bands from 31 Hz to 16 kHz."""
    spectrum = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(len(mono), 1 / SAMPLE_RATE)
    edges = 31.25 * 2.0 ** np.arange(0, 10)
    bands = np.array([spectrum[(freqs >= lo) & (freqs < 2 * lo)].sum() for lo in edges])
    return bands / bands.sum()


def envelope_modulation(mono: Any, lo_hz: float, hi_hz: float) -> float:
    """How much of the 10 ms RMS envelope's variation lies between ``lo_hz`` and ``hi_hz``."""
    hop = SAMPLE_RATE // 100
    env = np.sqrt(np.mean(mono[: len(mono) // hop * hop].reshape(-1, hop) ** 2, axis=1))
    env = env - env.mean()
    spectrum = np.abs(np.fft.rfft(env)) ** 2
    freqs = np.fft.rfftfreq(len(env), 1 / 100)
    return float(spectrum[(freqs >= lo_hz) & (freqs <= hi_hz)].sum() / spectrum[freqs > 0.05].sum())


def test_exact_length_stereo_and_not_silent(beds: dict[str, Path]) -> None:
    for mood, path in beds.items():
        samples = stereo(path)
        assert len(samples) == SECONDS * SAMPLE_RATE, mood
        middle = samples[len(samples) // 4: 3 * len(samples) // 4]
        assert np.sqrt(np.mean(middle**2)) > 0.03, mood
        assert np.abs(samples).max() < 0.9, mood  # headroom: no clipping
        assert np.abs(middle[:, 0] - middle[:, 1]).mean() > 0.01, mood  # really two channels


def test_fades_at_both_ends(beds: dict[str, Path]) -> None:
    for mood, path in beds.items():
        mono = stereo(path).mean(axis=1)
        edge = SAMPLE_RATE // 20
        middle = np.sqrt(np.mean(mono[len(mono) // 3: 2 * len(mono) // 3] ** 2))
        assert np.sqrt(np.mean(mono[:edge] ** 2)) < 0.1 * middle, mood
        assert np.sqrt(np.mean(mono[-edge:] ** 2)) < 0.1 * middle, mood


def test_moderate_loudness(beds: dict[str, Path]) -> None:
    for mood, path in beds.items():
        assert loudness(path) == pytest.approx(TARGET_LUFS, abs=1.5), mood


def test_moods_sound_different(beds: dict[str, Path]) -> None:
    mono = {mood: stereo(path).mean(axis=1) for mood, path in beds.items()}
    bands = {mood: band_levels(x) for mood, x in mono.items()}
    moods = list(mono)
    for i, a in enumerate(moods):
        for b in moods[i + 1:]:
            assert np.abs(bands[a] - bands[b]).sum() > 0.2, (a, b)
    # Upbeat pumps at the beat (2–4 Hz); calm and cinematic move slowly. Measured between the fades.
    pulse = {mood: envelope_modulation(x[len(x) // 4: 3 * len(x) // 4], 1.5, 5) for mood, x in mono.items()}
    assert pulse["upbeat"] > 0.5 and pulse["calm"] < 0.2 and pulse["cinematic"] < 0.2, pulse
    # Cinematic sits lowest (drone, wind), upbeat reaches highest (ticks).
    low = {mood: bands[mood][:3].sum() for mood in moods}
    high = {mood: bands[mood][7:].sum() for mood in moods}
    assert low["cinematic"] == max(low.values()) and high["upbeat"] == max(high.values())


def test_seed_changes_the_bed_and_repeats_it(tmp_path: Path) -> None:
    a = stereo(ambient_bed(tmp_path / "a.wav", 3, seed=1))
    again = stereo(ambient_bed(tmp_path / "b.wav", 3, seed=1))
    other = stereo(ambient_bed(tmp_path / "c.wav", 3, seed=2))
    assert np.array_equal(a, again)
    assert not np.array_equal(a, other)


def test_m4a_and_fractional_length(tmp_path: Path) -> None:
    info = probe(ambient_bed(tmp_path / "bed.m4a", 7.5, mood="cinematic"))
    assert (info.kind, info.audio_codec) == ("audio", "aac")
    assert info.duration_s == pytest.approx(7.5, abs=0.05)
    assert len(stereo(ambient_bed(tmp_path / "short.wav", 0.3, mood="upbeat"))) == round(0.3 * SAMPLE_RATE)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"seconds": 5, "mood": "sad"}, "moods: calm, upbeat, cinematic"),
    ({"seconds": 0}, "more than 0"),
    ({"seconds": -3}, "more than 0"),
    ({"seconds": float("nan")}, "more than 0"),
    ({"seconds": 1e9}, "at most"),
])
def test_bad_arguments(tmp_path: Path, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ambient_bed(tmp_path / "x.wav", **kwargs)
    with pytest.raises(ValueError, match=r"\.wav or \.m4a"):
        ambient_bed(tmp_path / "x.mp3", 5)
