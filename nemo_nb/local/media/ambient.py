"""Generated background-music beds: chord pads, a pulse and filtered noise, synthesized by ffmpeg (no music library)."""
from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path

from nemo_nb.local.media.ffmpeg import run_ffmpeg

SAMPLE_RATE = 44100
# Integrated loudness of every bed, whatever the mood: a music bed sits 6–10 LU under speech (voices are
# mixed near −14 to −16 LUFS for online video), so the renderer's volume % and ducking start from a
# level that already suits a bed. Each mood's ``gain_db`` is calibrated to it (the tests check ±1.5 LU).
TARGET_LUFS = -20.0
MAX_SECONDS = 3600.0
FADE_S = 2.5
DETUNE = 1.004  # the right channel's copy of each tone: slow beating, a wide chorus-like pad
TRANSPOSITIONS = (0, 2, -3, 5, -5)  # semitones a seed may move the key by
FRAME = 8192  # samples per generated frame: fewer, larger frames make the many sources cheap


@dataclass(frozen=True)
class Mood:
    """How one mood sounds."""

    root_hz: float
    chords: tuple[tuple[int, ...], ...]  # semitones above the root; they take turns, one per bar
    bar_s: float
    tremolo: str  # filter on the pad: its pulse is the tempo
    noise: str  # anoisesrc colour, then the filters shaping the stereo noise
    noise_level: float
    extra: tuple[str, ...]  # further stereo voices (bass, drone): source chains with {root2} {root4} {r} {d} {n}
    gain_db: float


MOODS: dict[str, Mood] = {
    # Major sevenths crossfading every 8 s, a slow sway, soft pink air.
    "calm": Mood(
        root_hz=130.81, chords=((0, 4, 7, 11, 16), (5, 9, 12, 16, 19)), bar_s=8.0,
        tremolo="tremolo=f=0.25:d=0.3", noise="pink,lowpass=f=1200", noise_level=0.05, extra=(),
        gain_db=8.4,
    ),
    # I–V–vi–IV at 120 bpm: eighth-note pumping pad, a plucked bass on the beat, off-beat ticks.
    "upbeat": Mood(
        root_hz=146.83, chords=((0, 4, 7, 12), (7, 11, 14, 19), (9, 12, 16, 21), (5, 9, 12, 17)), bar_s=2.0,
        tremolo="tremolo=f=4:d=0.55", noise_level=0.12,
        noise="white,highpass=f=6000,apulsator=mode=sawdown:hz=2:offset_l=0.5:offset_r=0.5",
        extra=("sine=f={root2}:r={r}:d={d}:samples_per_frame={n},aformat=channel_layouts=stereo,"
               "apulsator=mode=sawdown:hz=2:offset_r=0",),
        gain_db=0.2,
    ),
    # A minor i–VI–III–VII over a low drone, slow swells and wind.
    "cinematic": Mood(
        root_hz=110.0, chords=((0, 3, 7, 12), (-4, 0, 3, 8), (3, 7, 10, 15), (-2, 2, 5, 10)), bar_s=6.0,
        tremolo="tremolo=f=0.1:d=0.5", noise="brown,bandpass=f=300:width_type=o:w=2", noise_level=0.25,
        extra=("sine=f={root4}:r={r}:d={d}:samples_per_frame={n},aformat=channel_layouts=stereo",),
        gain_db=2.5,
    ),
}


def ambient_bed(out_path: str | os.PathLike[str], seconds: float, *, mood: str = "calm", seed: int = 0) -> Path:
    """Write a ``seconds``-long stereo 44.1 kHz music bed (``.wav`` or ``.m4a``) with fades at both ends.

    ``seed`` picks the key and the noise, so two beds of one video need not sound alike.
    """
    if mood not in MOODS:
        raise ValueError(f"unknown mood {mood!r}; moods: {', '.join(MOODS)}")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"a bed lasts more than 0 and at most {MAX_SECONDS:g} s, not {seconds!r}")
    out = Path(out_path)
    codec = {".wav": ["-c:a", "pcm_s16le"], ".m4a": ["-c:a", "aac", "-b:a", "160k"]}.get(out.suffix.lower())
    if codec is None:
        raise ValueError(f"{out.name}: a bed is written as .wav or .m4a")
    graph = _graph(MOODS[mood], float(seconds), random.Random(seed))  # noqa: S311 — music, not a secret
    run_ffmpeg(["-filter_complex", graph, "-map", "[bed]", *codec, str(out)], duration_s=float(seconds))
    return out


def _graph(mood: Mood, seconds: float, rng: random.Random) -> str:
    """The ffmpeg filter graph: chords (each a stereo pair of detuned sines) swelling in turn, noise, extras."""
    d, r = f"{seconds:.6f}", SAMPLE_RATE
    root = mood.root_hz * 2 ** (rng.choice(TRANSPOSITIONS) / 12)
    first = rng.randrange(len(mood.chords))
    chords = mood.chords[first:] + mood.chords[:first]
    cycle_hz = 1 / (mood.bar_s * len(chords))
    parts: list[str] = []
    voices: list[str] = []
    for i, chord in enumerate(chords):
        for side, detune in (("l", 1.0), ("r", DETUNE)):
            tones = [f"sine=f={root * 2 ** (st / 12) * detune:.3f}:r={r}:d={d}:samples_per_frame={FRAME}[c{i}{side}{k}]"
                     for k, st in enumerate(chord)]
            parts += tones
            inputs = "".join(f"[c{i}{side}{k}]" for k in range(len(chord)))
            parts.append(f"{inputs}amix=inputs={len(chord)}:normalize=0,volume={1 / len(chord):.4f}[c{i}{side}]")
        # Each chord swells and fades once per cycle, chords a bar apart. The gain is computed per 1024
        # samples (23 ms: steps far below audibility at these rates), much cheaper than apulsator.
        swell = f"0.5+0.5*sin(2*PI*({cycle_hz:.5f}*t+{i / len(chords):.4f}))"
        parts.append(f"[c{i}l][c{i}r]amerge=inputs=2,asetnsamples=n=1024,volume='{swell}':eval=frame[chord{i}]")
    chord_inputs = "".join(f"[chord{i}]" for i in range(len(chords)))
    parts.append(f"{chord_inputs}amix=inputs={len(chords)}:normalize=0,{mood.tremolo}[pad]")
    voices.append("[pad]")
    colour, _, shaping = mood.noise.partition(",")
    for side in "lr":
        parts.append(f"anoisesrc=c={colour}:r={r}:d={d}:n={FRAME}:a={mood.noise_level}"
                     f":s={rng.randrange(1, 2**31)}[n{side}]")
    parts.append(f"[nl][nr]amerge=inputs=2,{shaping}[noise]")
    voices.append("[noise]")
    for k, chain in enumerate(mood.extra):
        parts.append(chain.format(root2=f"{root / 2:.3f}", root4=f"{root / 4:.3f}", r=r, d=d, n=FRAME) + f"[x{k}]")
        voices.append(f"[x{k}]")
    fade = min(FADE_S, seconds / 4)
    samples = round(seconds * SAMPLE_RATE)
    parts.append(
        f"{''.join(voices)}amix=inputs={len(voices)}:normalize=0:duration=longest,volume={mood.gain_db:.2f}dB,"
        f"afade=t=in:d={fade:.3f},afade=t=out:st={seconds - fade:.6f}:d={fade:.3f},"
        f"apad=whole_len={samples},atrim=end_sample={samples},"
        f"aformat=sample_fmts=s16:sample_rates={r}:channel_layouts=stereo[bed]"
    )
    return ";".join(parts)
