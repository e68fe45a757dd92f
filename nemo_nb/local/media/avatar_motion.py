"""How the presenter moves: a slow sway of the head, a breath in each pause, and a nod on some stressed
syllables.

Motion is a ``Pose`` per frame out of a few quantized levels — the head 1 step left or right, 1 or 2 steps
down in a nod, the shoulders (and the head on them) 1 step up on an inhale — so a render draws at most
``len(POSES)`` figure positions and the number of distinct pictures stays bounded (``avatar_art`` turns a
level into pixels from the head's size).

Stress comes from the speech itself: a vowel that is louder and longer than the speaker's usual vowel
(z-scores of its level in dB and of its log length) is stressed. Nods go on the strongest stressed vowels, at
most one every ``NOD_GAP_S`` seconds; each starts just before the vowel and bottoms out on it, the head
coming to the middle as it dips. Breaths come
where a speaker takes them, in the pauses (``PAUSE_S`` or longer): the shoulders rise, and settle as the
speech goes on; a long pause (or no speech) breathes every few seconds. The mouth rests in pauses, so
breathing adds few pictures.
"""
from __future__ import annotations

import bisect
import itertools
import math
import random
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ENVELOPE_HOP_S = 0.01
LEVEL_RATE = 8000              # the speech is decoded at this rate to measure its level
NOD_GAP_S = 2.2                # at most one nod in this long
NOD_MIN_SCORE = 0.9            # how far above a usual vowel (in summed z-scores) a nod's vowel must be
# A nod's levels from the stressed vowel's onset: down one step, two, back to one, up.
NOD_PROFILE = ((-0.08, 1), (0.04, 2), (0.24, 1), (0.40, 0))
SWAY_PERIODS_S = (6.3, 3.7)    # two slow sines make an irregular sway
SWAY_ENTER, SWAY_LEAVE = 0.45, 0.2  # hysteresis on the sway signal (in −1…1) between levels 0 and ±1
SWAY_HOLD_S = 0.6              # a sway level holds at least this long
PAUSE_S = 0.3                  # a silence this long between phonemes is a pause, with a breath in it
INHALE_DELAY_S = 0.05          # the shoulders rise this long after the pause begins
BREATH_PERIOD_S = 4.2          # in a long pause, one breath this long…
BREATH_IN_SHARE = 0.45         # …with the shoulders up for this part of it
VOWELS = frozenset("aeiouyɑɐɒæɛɜɝɘɵɪʊʌɔøœɶɨʉɯɤᵻ")  # schwas (ə, ɚ) are never stressed


@dataclass(frozen=True, order=True)
class Pose:
    """One quantized position: ``sway`` −1/0/1 (head left/right), ``nod`` 0/1/2 (head down), ``breath`` 0/1
    (shoulders and head up)."""

    sway: int = 0
    nod: int = 0
    breath: int = 0


REST = Pose()
POSES = (*(Pose(s, 0, b) for s in (-1, 0, 1) for b in (0, 1)), *(Pose(0, n, b) for n in (1, 2) for b in (0, 1)))


def envelope(samples: np.ndarray, rate: int, hop_s: float = ENVELOPE_HOP_S) -> np.ndarray:
    """RMS level of each ``hop_s`` slice of mono ``samples``."""
    hop = max(1, round(rate * hop_s))
    count = len(samples) // hop
    if count == 0:
        return np.zeros(0)
    frames = np.asarray(samples[: count * hop], np.float64).reshape(count, hop)
    level: np.ndarray = np.sqrt(np.mean(frames * frames, axis=1))
    return level


def stressed_vowels(phonemes: Iterable[Sequence[Any]], level: np.ndarray,
                    hop_s: float = ENVELOPE_HOP_S) -> list[tuple[float, float]]:
    """``(onset_s, score)`` of the vowels louder and longer than the speaker's usual vowel, in time order.

    ``phonemes`` are ``(symbol, start_s, end_s)``; ``level`` is ``envelope`` of the speech. The score is the
    vowel's z-score of level (dB) plus 0.7× its z-score of log length; only vowels scoring over
    ``NOD_MIN_SCORE`` are kept.
    """
    vowels = []
    for symbol, start_s, end_s in phonemes:
        start, end = max(0.0, float(start_s)), float(end_s)
        first = next((ch for ch in str(symbol).lower() if ch.isalpha()), "")
        if first in VOWELS and end > start and start / hop_s < len(level):
            loud = float(np.mean(level[int(start / hop_s):math.ceil(end / hop_s)]))
            vowels.append((start, 20 * math.log10(loud + 1e-6), math.log(end - start)))
    if len(vowels) < 3:
        return []
    db = np.array([v[1] for v in vowels])
    length = np.array([v[2] for v in vowels])
    score = _z(db) + 0.7 * _z(length)
    return [(onset, round(float(s), 3)) for (onset, _, _), s in zip(vowels, score, strict=True) if s > NOD_MIN_SCORE]


def _z(values: np.ndarray) -> np.ndarray:
    spread = float(np.std(values))
    return (values - float(np.mean(values))) / spread if spread > 1e-9 else np.zeros_like(values)


def nod_times(stressed: Sequence[tuple[float, float]], duration_s: float) -> list[float]:
    """Where nods go: the strongest stressed vowels first, none within ``NOD_GAP_S`` of another, each nod
    inside the video; in time order."""
    first, last = -NOD_PROFILE[0][0], duration_s - NOD_PROFILE[-1][0]
    chosen: list[float] = []
    for onset, _ in sorted(stressed, key=lambda item: -item[1]):
        if first <= onset <= last and all(abs(onset - other) >= NOD_GAP_S for other in chosen):
            chosen.append(onset)
    return sorted(chosen)


def inhales(phonemes: Iterable[Sequence[Any]], duration_s: float) -> list[tuple[float, float]]:
    """``(start, end)`` of each breath in (shoulders up): one per pause of ``PAUSE_S`` or more, lasting the
    pause (at most ``BREATH_IN_SHARE`` × ``BREATH_PERIOD_S`` in a long one, which breathes again every
    ``BREATH_PERIOD_S``)."""
    spans = sorted((float(a), float(b)) for _, a, b in phonemes)
    pauses, cursor = [], 0.0
    for start, end in [*spans, (duration_s, duration_s)]:
        if min(start, duration_s) - cursor >= PAUSE_S:
            pauses.append((cursor, min(start, duration_s)))
        cursor = max(cursor, end)
    out = []
    for start, end in pauses:
        t = start + INHALE_DELAY_S
        while t < end:
            out.append((t, min(end, t + BREATH_IN_SHARE * BREATH_PERIOD_S)))
            t += BREATH_PERIOD_S
    return out


def pose_track(duration_s: float, fps: int, nods: Sequence[float], breaths: Sequence[tuple[float, float]] = (),
               seed: int = 0) -> list[Pose]:
    """One ``Pose`` per frame (sampled at each frame's middle): sway, the ``breaths`` (``inhales``) and the
    ``nods``."""
    rng = random.Random(int(seed) + 7919)  # noqa: S311 — an animation, not a secret
    phases = [rng.uniform(0, 2 * math.pi) for _ in SWAY_PERIODS_S]
    frames = math.ceil(duration_s * fps - 1e-6)
    breaths = sorted(breaths)
    breath_starts = [start for start, _ in breaths]
    poses, sway, held = [], 0, 0.0
    nod_at = sorted(nods)
    for i in range(frames):
        t = (i + 0.5) / fps
        signal = 0.6 * math.sin(2 * math.pi * t / SWAY_PERIODS_S[0] + phases[0]) \
            + 0.4 * math.sin(2 * math.pi * t / SWAY_PERIODS_S[1] + phases[1])
        wanted = _sway_level(sway, signal)
        if wanted != sway and t - held >= SWAY_HOLD_S:
            sway, held = wanted, t
        nod = _nod_level(t, nod_at)
        # A nod faces the camera (the head comes to the middle as it dips): fewer pictures to draw.
        poses.append(Pose(0 if nod else sway, nod, _breath_level(t, breaths, breath_starts)))
    return poses


def _sway_level(current: int, signal: float) -> int:
    if current == 0:
        return 1 if signal > SWAY_ENTER else -1 if signal < -SWAY_ENTER else 0
    return 0 if current * signal < SWAY_LEAVE else current


def _nod_level(t: float, nods: list[float]) -> int:
    """The nod level at ``t``: the profile of the latest nod that started (``nods`` sorted)."""
    k = bisect.bisect_right(nods, t - NOD_PROFILE[0][0]) - 1
    if k < 0:
        return 0
    since = t - nods[k]
    return next((level for (start, level), (end, _) in itertools.pairwise(NOD_PROFILE) if start <= since < end), 0)


def _breath_level(t: float, breaths: Sequence[tuple[float, float]], starts: list[float]) -> int:
    k = bisect.bisect_right(starts, t) - 1
    return int(k >= 0 and t < breaths[k][1])


def speech_level(audio: Path, work_dir: Path, cancel: threading.Event | None = None) -> np.ndarray:
    """``envelope`` of ``audio`` (any format ffmpeg reads), decoded to mono 8 kHz in ``work_dir``."""
    from nemo_nb.local.media.ffmpeg import run_ffmpeg

    raw = work_dir / "level.f32"
    run_ffmpeg(["-i", str(audio), "-map", "0:a:0", "-ac", "1", "-ar", str(LEVEL_RATE), "-f", "f32le", str(raw)],
               duration_s=0.0, cancel=cancel)
    return envelope(np.fromfile(raw, dtype="<f4"), LEVEL_RATE)


def motion_track(phonemes: Iterable[Sequence[Any]], level: np.ndarray, duration_s: float, fps: int,
                 seed: int = 0) -> tuple[list[Pose], list[float]]:
    """(a pose per frame, nod times) for speech with ``phonemes`` and ``level`` (its ``envelope``)."""
    phonemes = list(phonemes)
    nods = nod_times(stressed_vowels(phonemes, level), duration_s)
    return pose_track(duration_s, fps, nods, inhales(phonemes, duration_s), seed), nods
