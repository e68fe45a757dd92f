"""Loudness normalisation of a render's sound (EBU R128): measure each audio output, then apply one gain.

Platforms play sound at about −14 LUFS integrated with true peaks at most −1 dBTP. Before the render, an
audio-only ffmpeg run measures each audio output of the mix (``ebur128`` with true peak); the render then
applies one gain to it (``volume``): linear, so voice, music and the clip's own sound keep their balance and
their dynamics. When that gain would push peaks over the ceiling (speech is peaky: a TTS voice at −22 LUFS
already peaks near −1 dBFS), a lookahead limiter holds them under it; limiting lowers loudness, so a second
measuring run tries several gains through the limiter at once and the gain that meets the target is
interpolated between them. Silence stays silence.

The target comes from the draft (``m.loudness``: LUFS, or ``"off"``), else ``DEFAULT_LOUDNESS`` (-14, ``draft.fields``).
"""
from __future__ import annotations

import itertools
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_nb.draft.fields import LOUDNESS_RANGE, FieldError, check_loudness
from nemo_nb.local.media.ffmpeg import run_ffmpeg
from nemo_nb.local.media.filtergraph import Graph
from nemo_nb.local.media.mix import LONE_FORMAT, add_audio
from nemo_nb.local.media.timeline import RenderError, Timeline

TARGET_RANGE = LOUDNESS_RANGE
TRUE_PEAK = -1.0  # dBTP
LIMIT_DB = -2.5  # sample peak the limiter holds: AAC encoding adds up to ~1.5 dB of inter-sample peaks to clicks
_LINEAR_MARGIN_DB = 1.0  # a linear gain may bring true peaks this close to TRUE_PEAK (AAC adds some)
SILENT_LUFS = -69.0  # ebur128 reports −70 for silence
MAX_GAIN_DB = 30.0
LIMIT_RATE = 48000  # the limiter works at 48 kHz at least: at lower rates inter-sample peaks slip past it
# Extra gains tried through the limiter. Some below 0: on clicks and plosives alimiter adds a little loudness.
_TRIAL_STEPS_DB = (-3.0, -1.5, 0.0, 1.5, 3.0, 5.0, 7.5, 10.0, 14.0, 19.0)
_SUMMARY = re.compile(r"\[ebur128@(m\d+(?:t\d+)?) @ [^\]]*\] Summary:(.*?)(?=\n\[|\Z)", re.DOTALL)
_VALUE = r"{}:\s+(-?(?:inf|[\d.]+))"
GAIN_PLACEHOLDER = "LOUDNESS_GAIN_{}_"  # stands in the render's filter script until the gain is known
MIX_SCRIPT = "filtergraph_levels.txt"


def check_target(value: Any, where: str = "m.loudness") -> float | None:
    """A loudness target: LUFS in ``TARGET_RANGE`` or ``"off"`` (None); ``RenderError`` otherwise."""
    try:
        return check_loudness(value, where)
    except FieldError as exc:
        raise RenderError(str(exc)) from None


@dataclass(frozen=True)
class Measured:
    integrated: float  # LUFS; −70 when silent
    true_peak: float  # dBTP; −inf when silent


@dataclass(frozen=True)
class LoudnessJob:
    """How to measure a render's audio outputs before the render: an audio-only run of the same mix."""

    target: float
    inputs: list[str]  # the measuring run's inputs
    filters: list[str]  # the mix, ending in ``outputs``
    outputs: list[str]  # each audio output's label, in the render's order
    duration_s: float
    work: Path
    limit_db: float = LIMIT_DB  # the sample peak a limiter holds, when one is needed


@dataclass(frozen=True)
class Levelled:
    """What levelling did to one audio output (for the render log)."""

    before: Measured
    gain_db: float
    limited: bool
    target: float
    limit_db: float = LIMIT_DB

    def __str__(self) -> str:
        if self.before.integrated <= SILENT_LUFS:
            return "silent, left as is"
        how = "through a peak limiter" if self.limited else "linear"
        return (f"{self.before.integrated:.1f} LUFS, peak {self.before.true_peak:.1f} dBTP → {self.target:g} LUFS "
                f"(gain {self.gain_db:+.1f} dB, {how})")


def loudness_job(timeline: Timeline, copied: Path | None, target: float, work_dir: Path) -> LoudnessJob:
    """The audio-only run that measures each audio track of a render: the same mix, before the gain (``copied``:
    the source whose video the render copies; its sound is taken from it)."""
    graph = Graph()
    index = None if copied is None else graph.input(copied)
    outputs = add_audio(graph, timeline, copy_input=index, languages=timeline.languages)
    return LoudnessJob(target, graph.inputs, graph.filters, outputs, timeline.duration_ms / 1000, work_dir)


def level_file(path: Path, target: float, duration_s: float, work: Path, limit_db: float = LIMIT_DB,
               cancel: threading.Event | None = None) -> tuple[Levelled, Path]:
    """One sound file (its first audio stream, as a render takes it) brought to ``target`` LUFS, through a
    limiter held at ``limit_db`` when its peaks need one: what levelling did, and the new WAV in ``work``."""
    graph = Graph()
    graph.input(path)
    job = LoudnessJob(target, graph.inputs, [f"[0:a:0]{LONE_FORMAT}[sound]"], ["[sound]"], duration_s, work, limit_db)
    levelled = level(job, cancel=cancel)[0]
    out = work / "levelled.wav"
    run_ffmpeg([*graph.inputs, "-map", "0:a:0", "-af", f"{LONE_FORMAT},{gain_filter(levelled)}", "-c:a", "pcm_f32le",
                str(out)], duration_s=duration_s, cancel=cancel)
    return levelled, out


def apply_gains(script: Path, levelled: list[Levelled]) -> None:
    """Put each audio track's gain into the render's filter ``script`` in place of its ``GAIN_PLACEHOLDER``."""
    text = script.read_text(encoding="utf-8")
    for i, levels in enumerate(levelled):
        text = text.replace(GAIN_PLACEHOLDER.format(i), gain_filter(levels))
    script.write_text(text, encoding="utf-8")


def gain_filter(levelled: Levelled) -> str:
    """The filter applying ``levelled``'s gain."""
    if levelled.before.integrated <= SILENT_LUFS:
        return "anull"
    volume = f"volume={levelled.gain_db:.2f}dB"
    return f"aresample={LIMIT_RATE},{volume},{_limiter(levelled.limit_db)}" if levelled.limited else volume


def _limiter(limit_db: float) -> str:
    """The peak limiter, and after it the sound made stereo (the trial runs measure the same chain): ffmpeg's
    AAC encoder lifts limited mono peaks erratically, by up to 4 dB (measured), where stereo stays within 0.8."""
    return (f"alimiter=limit={10 ** (limit_db / 20):.4f}:attack=1:release=60:level=false:latency=true,"
            "aformat=channel_layouts=stereo")


def level(job: LoudnessJob, on_progress: Callable[[float], None] | None = None,
          cancel: threading.Event | None = None) -> list[Levelled]:
    """Measure ``job``'s outputs and choose each one's gain (one run; two when a limiter is needed)."""
    lines = [f"{out}ebur128@m{i}=peak=true[m{i}]" for i, out in enumerate(job.outputs)]
    found = _measure(job, lines, [f"[m{i}]" for i in range(len(job.outputs))], on_progress, cancel)
    raw = [found[f"m{i}"] for i in range(len(job.outputs))]
    result: list[Levelled | None] = []
    trials: list[int] = []
    for i, measured in enumerate(raw):
        gain = min(MAX_GAIN_DB, job.target - measured.integrated)
        # A job with a lower limit (a source made to be levelled again on export) keeps linear peaks lower too.
        ceiling = TRUE_PEAK - _LINEAR_MARGIN_DB + min(0.0, job.limit_db - LIMIT_DB)
        if measured.integrated <= SILENT_LUFS or measured.true_peak + gain <= ceiling:
            result.append(Levelled(measured, gain, False, job.target, job.limit_db))
        else:
            result.append(None)
            trials.append(i)
    if trials:
        lines, maps = [], []
        steps_of: dict[int, list[float]] = {}
        for i in trials:
            base = job.target - raw[i].integrated
            steps = steps_of[i] = [s for s in _TRIAL_STEPS_DB if base + s <= MAX_GAIN_DB] or [MAX_GAIN_DB - base]
            split = "".join(f"[m{i}s{k}]" for k in range(len(steps)))
            lines.append(f"{job.outputs[i]}aresample={LIMIT_RATE},asplit={len(steps)}{split}")
            limiter = _limiter(job.limit_db)
            for k, step in enumerate(steps):
                lines.append(f"[m{i}s{k}]volume={base + step:.2f}dB,{limiter},ebur128@m{i}t{k}[m{i}t{k}]")
                maps.append(f"[m{i}t{k}]")
        found = _measure(job, lines, maps, None, cancel)
        for i in trials:
            base = job.target - raw[i].integrated
            tried = sorted((base + s, found[f"m{i}t{k}"].integrated) for k, s in enumerate(steps_of[i]))
            result[i] = Levelled(raw[i], _interpolate(tried, job.target), True, job.target, job.limit_db)
    return [r for r in result if r is not None]


def _interpolate(tried: list[tuple[float, float]], target: float) -> float:
    """The gain whose loudness through the limiter is ``target``, from (gain, loudness) pairs rising."""
    for (g0, l0), (g1, l1) in itertools.pairwise(tried):
        if l0 <= target <= l1:
            return g0 if l1 == l0 else g0 + (g1 - g0) * (target - l0) / (l1 - l0)
    return tried[0][0] if target < tried[0][1] else tried[-1][0]


def _measure(job: LoudnessJob, lines: list[str], maps: list[str], on_progress: Callable[[float], None] | None,
             cancel: threading.Event | None) -> dict[str, Measured]:
    script = job.work / MIX_SCRIPT
    script.write_text(";\n".join([*job.filters, *lines]) + "\n", encoding="utf-8")
    outputs = [arg for label in maps for arg in ("-map", label)]
    log = run_ffmpeg([*job.inputs, "-/filter_complex", str(script), *outputs, "-f", "null", "-"],
                     duration_s=job.duration_s, on_progress=on_progress, cancel=cancel, loglevel="info")
    found = {}
    for name, text in _SUMMARY.findall(log):
        integrated = re.search(_VALUE.format("I"), text)
        peak = re.search(_VALUE.format("Peak"), text)
        if integrated:
            found[name] = Measured(float(integrated.group(1)), float(peak.group(1)) if peak else -math.inf)
    missing = [m.strip("[]") for m in maps if m.strip("[]") not in found]
    if missing:
        raise RuntimeError(f"loudness measurement gave no summary for {', '.join(missing)}")
    return found
