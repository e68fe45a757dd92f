"""The presenter's motion: stress, nods, breaths and sway as a schedule, and the same measured from the pixels of
rendered videos (where the head is in each frame, where the shoulders are), plus the 9:16 close-up layout."""
from __future__ import annotations

import itertools
import math
import wave
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("PIL")

from media_helpers import ffmpeg

from nemo_nb.local.media.avatar import render_presenter
from nemo_nb.local.media.avatar_art import Layout
from nemo_nb.local.media.avatar_motion import (
    NOD_GAP_S,
    NOD_PROFILE,
    PAUSE_S,
    POSES,
    SWAY_HOLD_S,
    envelope,
    inhales,
    nod_times,
    pose_track,
    stressed_vowels,
)

FPS = 25
RATE = 16000


# --- the schedule -------------------------------------------------------------------------------------------

def syllables(times: list[float], stressed: set[int], quiet: float = 0.1, loud: float = 0.4) -> tuple[Any, list]:
    """Speech-like samples: a vowel burst ("a", 0.12 s; 0.22 s and 4× louder when stressed) at each time, a
    consonant ("t") before it, silence elsewhere; and its phonemes."""
    end = max(times) + 0.6
    samples = np.zeros(int(end * RATE), np.float32)
    phonemes: list[tuple[str, float, float]] = []
    for k, t in enumerate(times):
        length = 0.22 if k in stressed else 0.12
        n = np.arange(int(length * RATE))
        burst = (loud if k in stressed else quiet) * np.sin(2 * np.pi * 150 * n / RATE) * np.hanning(len(n))
        samples[int(t * RATE):int(t * RATE) + len(n)] += burst.astype(np.float32)
        phonemes += [("t", round(t - 0.05, 3), round(t, 3)), ("a", round(t, 3), round(t + length, 3))]
    return samples, phonemes


def test_stress_is_loud_and_long_vowels() -> None:
    times = [0.3 * k for k in range(1, 30)]
    samples, phonemes = syllables(times, {5, 15, 25})
    level = envelope(samples, RATE)
    found = stressed_vowels(phonemes, level)
    assert [round(t, 2) for t, _ in found] == [round(times[k], 2) for k in (5, 15, 25)]
    # Schwas are never stressed; too few vowels say nothing.
    assert stressed_vowels([(("ə" if s == "a" else s), a, b) for s, a, b in phonemes], level) == []
    assert stressed_vowels(phonemes[:4], level) == []


def test_odd_phonemes_are_no_stress() -> None:
    level = envelope(np.ones(RATE * 2, np.float32), RATE)
    odd = [("a", 1.0, 1.0), ("a", 1.2, 1.1), ("e", 30.0, 31.0), ("", 0.2, 0.3), ("ˈ", 0.3, 0.9)]
    assert stressed_vowels(odd, level) == []
    usual = [("a", 0.1, 0.2), ("o", 0.3, 0.4), ("i", 0.5, 0.6), ("u", 0.7, 0.8), ("e", 1.3, 1.9)]
    assert [t for t, _ in stressed_vowels(odd + usual, level)] == [1.3], "only real vowels count; the long one"


def test_nods_are_occasional_and_go_to_the_strongest() -> None:
    stressed = [(0.5, 1.0), (1.0, 3.0), (2.0, 1.5), (4.0, 2.0), (5.0, 2.5), (9.95, 9.0)]
    nods = nod_times(stressed, 10.0)
    assert nods == [1.0, 5.0]  # 2.0 and 4.0 are too close to stronger ones; 9.95 would end after the video
    assert all(b - a >= NOD_GAP_S for a, b in itertools.pairwise(nods_for_long_speech()))


def nods_for_long_speech() -> list[float]:
    rng = np.random.default_rng(3)
    return nod_times([(float(t), float(s)) for t, s in zip(np.sort(rng.uniform(0, 120, 300)),
                                                           rng.uniform(1, 3, 300), strict=True)], 120.0)


def test_breaths_are_taken_in_pauses() -> None:
    phonemes = [("a", 0.0, 1.0), ("a", 1.1, 2.0), ("a", 2.5, 3.0), ("a", 13.0, 14.0)]
    breaths = inhales(phonemes, 14.6)
    # Not in the 0.1 s word gap; one in the 0.5 s pause; three in the 10 s pause; one in the 0.6 s at the end.
    assert [round(a, 2) for a, _ in breaths] == [2.05, 3.05, 7.25, 11.45, 14.05]
    assert all(b <= 14.6 for _, b in breaths) and breaths[0][1] == 2.5
    assert len(inhales([], 10.0)) == 3, "no speech at all: it still breathes"
    assert inhales([("a", 0.0, 5.0)], 5.0 + PAUSE_S / 2) == []


def test_pose_track_levels_hold_and_nods() -> None:
    nods = [2.0, 6.0]
    poses = pose_track(30.0, FPS, nods, [(10.0, 11.0)], seed=4)
    assert len(poses) == 30 * FPS and set(poses) <= set(POSES) and len(POSES) == 10
    # The sway holds each level a while and never jumps from one side to the other; a nod faces the camera.
    assert all(p.sway == 0 for p in poses if p.nod)
    changes = [i for i in range(1, len(poses)) if poses[i].sway != poses[i - 1].sway
               and not poses[i].nod and not poses[i - 1].nod]
    assert len(changes) >= 4
    assert all(b - a >= SWAY_HOLD_S * FPS - 1 for a, b in itertools.pairwise(changes))
    assert all(abs(poses[i].sway - poses[i - 1].sway) == 1 for i in changes)
    # Nods follow their profile around each time, and only there; breaths only in the given span.
    for t in nods:
        levels = [poses[i].nod for i in range(int((t - 0.3) * FPS), int((t + 0.6) * FPS))]
        assert max(levels) == 2 and levels[0] == levels[-1] == 0
    nodding = {i for i, p in enumerate(poses) if p.nod}
    assert all(any(t + NOD_PROFILE[0][0] - 0.05 <= (i + 0.5) / FPS < t + NOD_PROFILE[-1][0] for t in nods)
               for i in nodding)
    assert {i for i, p in enumerate(poses) if p.breath} == set(range(10 * FPS, 11 * FPS))
    assert pose_track(30.0, FPS, nods, seed=4) != pose_track(30.0, FPS, nods, seed=5)


# --- from the pixels -----------------------------------------------------------------------------------------

def write_wav(path: Path, samples: Any) -> Path:
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def frames_of(path: Path, width: int, height: int) -> Any:
    raw = ffmpeg("-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-")
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3).astype(np.int16)


def headness(frame: Any) -> Any:
    """1 on hair and skin (warm: red over blue), 0 on the grey background and the navy suit, between on edges."""
    return np.clip((frame[..., 0] - frame[..., 2]) / 24.0, 0.0, 1.0)


def crossing(profile: Any) -> float:
    """Where ``profile`` first reaches 0.5, to a fraction of a pixel."""
    i = int(np.argmax(profile >= 0.5))
    if i == 0:
        return 0.0
    a, b = profile[i - 1], profile[i]
    return i - 1 + (0.5 - a) / (b - a)


def head_position(frame: Any, layout: Layout) -> tuple[float, float, float]:
    """(centre x, top y, width) of the head, to a fraction of a pixel, from the edges of the hair: the top over the
    middle columns, the sides along rows through the crown (just under the top, wherever the head is)."""
    h = headness(frame)
    cx, s = round(layout.cx), layout.s
    top = float(np.mean([crossing(h[:, x]) for x in range(cx - round(0.12 * s), cx + round(0.12 * s))]))
    rows = range(round(top + 0.12 * s), round(top + 0.2 * s))
    lefts = [crossing(h[y]) for y in rows]
    rights = [len(h[y]) - 1 - crossing(h[y][::-1]) for y in rows]
    return float(np.mean(lefts) + np.mean(rights)) / 2, top, float(np.mean(rights) - np.mean(lefts))


def shoulder_top(frame: Any, x: int) -> int:
    """The first dark (suit) row from the top in column ``x``, on a light background."""
    dark = frame[:, x].mean(axis=1) < 110
    return int(np.argmax(dark))


@pytest.fixture(scope="module")
def moving(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """10 s of syllables (three stressed, a 1.2 s pause in the middle), rendered moving at 960x540 on grey."""
    folder = tmp_path_factory.mktemp("motion")
    times = [0.3 * k for k in range(1, 18)] + [0.3 * k + 1.2 for k in range(18, 32)]
    samples, phonemes = syllables(times, {4, 14, 26})
    audio = write_wav(folder / "syllables.wav", samples)
    duration = len(samples) / RATE
    facts = render_presenter(folder / "moving.mp4", audio_path=audio, phonemes=phonemes, duration_s=duration,
                             width=960, height=540, fps=FPS, background="#e6e6e6", seed=2)
    return {"facts": facts, "frames": frames_of(folder / "moving.mp4", 960, 540), "times": times,
            "stressed": [times[k] for k in (4, 14, 26)], "pause": (times[16] + 0.12, times[17])}


@pytest.mark.slow
def test_the_head_moves_smoothly_within_a_small_range(moving: dict[str, Any]) -> None:
    layout = Layout.for_frame(960, 540)
    x, top, width = np.array([head_position(f, layout) for f in moving["frames"]]).T
    assert np.ptp(width) < 2.5, "the head keeps its size (within the measure's rounding on a curved outline)"
    assert 2 <= np.ptp(x) <= 0.03 * 960 and 2 <= np.ptp(top) <= 0.03 * 540, "it moves, a little"
    step = max(layout.steps) + 0.5
    assert np.max(np.abs(np.diff(x))) <= step and np.max(np.abs(np.diff(top))) <= step, "one small step at a time"
    moved = (np.abs(np.diff(x)) > 0.5) | (np.abs(np.diff(top)) > 0.5)
    assert 5 <= moved.sum() <= len(x) / 4, "it moves now and then, and holds still in between"


@pytest.mark.slow
def test_nods_come_on_the_stressed_syllables(moving: dict[str, Any]) -> None:
    layout = Layout.for_frame(960, 540)
    top = np.array([head_position(f, layout)[1] for f in moving["frames"]])
    rest = np.median(top)
    down = [i for i in range(len(top)) if top[i] - rest > 1.5]  # the head lower than it rests (breaths lift it)
    near = lambda i, t: t - 0.15 <= i / FPS <= t + 0.5  # noqa: E731
    assert down and all(any(near(i, t) for t in moving["stressed"]) for i in down), "only near stressed vowels"
    for t in moving["stressed"]:
        assert max(top[i] for i in range(len(top)) if near(i, t)) - rest >= 2 * layout.steps[1] - 0.5, \
            f"a full nod at the stressed vowel at {t:.2f} s"
    assert moving["facts"]["nods"] == pytest.approx(moving["stressed"], abs=0.01)


@pytest.mark.slow
def test_the_shoulders_rise_in_the_pause(moving: dict[str, Any]) -> None:
    layout = Layout.for_frame(960, 540)
    column = round(layout.cx + 0.85 * layout.s)
    edge = np.array([shoulder_top(f, column) for f in moving["frames"]])
    start, end = moving["pause"]
    in_pause = edge[math.ceil((start + 0.15) * FPS):math.floor((end - 0.05) * FPS)]
    speaking = edge[int(1.0 * FPS):int(start * FPS)]
    assert len(in_pause) >= 15 and in_pause.max() < np.median(speaking), "higher (a smaller y) while breathing in"
    assert np.median(speaking) - in_pause.min() <= layout.steps[2] + 1


@pytest.mark.slow
def test_distinct_pictures_stay_bounded(moving: dict[str, Any]) -> None:
    facts = moving["facts"]
    assert facts["poses"] <= len(POSES) and facts["distinct_images"] <= 8 * facts["poses"] + 12
    assert facts["distinct_images"] < facts["frames"] / 3 and facts["entries"] < facts["frames"] / 2
    runs = facts["motion"]
    assert sum(count for _, count, *_ in runs) == facts["frames"] and len(runs) >= 5


@pytest.mark.slow
def test_still_presenter_does_not_move(tmp_path: Path) -> None:
    samples, phonemes = syllables([0.3 * k for k in range(1, 12)], {4})
    audio = write_wav(tmp_path / "s.wav", samples)
    facts = render_presenter(tmp_path / "still.mp4", audio_path=audio, phonemes=phonemes,
                             duration_s=len(samples) / RATE, width=640, height=360, background="#e6e6e6",
                             motion=False)
    layout = Layout.for_frame(640, 360)
    frames = frames_of(tmp_path / "still.mp4", 640, 360)[FPS // 2:]  # after the encoder's first refinements
    x, top, _ = np.array([head_position(f, layout) for f in frames]).T
    assert np.ptp(x) < 0.5 and np.ptp(top) < 0.5 and facts["poses"] == 1 and facts["nods"] == []


@pytest.mark.slow
def test_phonemes_read_once_still_drive_the_motion(tmp_path: Path) -> None:
    times = [0.3 * k for k in range(1, 12)]
    samples, phonemes = syllables(times, {6})
    audio = write_wav(tmp_path / "s.wav", samples)
    facts = render_presenter(tmp_path / "once.mp4", audio_path=audio, phonemes=iter(phonemes),
                             duration_s=len(samples) / RATE, width=320, height=180)
    assert facts["nods"] == [pytest.approx(times[6], abs=0.01)] and facts["mouth_segments"] > 10


@pytest.mark.slow
def test_vertical_close_up_leaves_the_middle_for_captions(tmp_path: Path) -> None:
    samples, phonemes = syllables([0.3 * k for k in range(1, 6)], set())
    audio = write_wav(tmp_path / "s.wav", samples)
    for name, size in (("tall", (540, 960)), ("wide", (960, 540))):
        render_presenter(tmp_path / f"{name}.mp4", audio_path=audio, phonemes=phonemes,
                         duration_s=len(samples) / RATE, width=size[0], height=size[1], background="#e6e6e6")
    tall, wide = frames_of(tmp_path / "tall.mp4", 540, 960)[10], frames_of(tmp_path / "wide.mp4", 960, 540)[10]
    _, top, width = head_position(tall, Layout.for_frame(540, 960))
    wide_width = head_position(wide, Layout.for_frame(960, 540))[2]
    # Before issue 14 the tall presenter's head was 1.25× the 16:9 one's, in the lower middle of the frame.
    assert width > 1.4 * wide_width, "a close-up, larger than in 16:9"
    assert 0.02 * 960 < top < 0.1 * 960, "the head near the top, the hair not cut off"
    skin = (np.abs(tall - [240, 197, 160]).sum(axis=2) < 40).sum(axis=1)
    face = np.nonzero(skin > 0.5 * width)[0]  # rows wider than the neck
    assert np.mean(face) < 0.3 * 960 and face.min() < 0.2 * 960, "the face in the upper part"
    assert face.max() < 0.42 * 960, "the chin above the middle of the frame, where centred captions go"
