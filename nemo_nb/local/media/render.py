"""Render a draft to MP4 (H.264 + AAC) with ONE ffmpeg run.

When the picture is unchanged from a single H.264 source the video stream is copied and only audio is
encoded (about a second instead of a re-encode). Otherwise every clip, gap, title and sound goes
through one filter graph, written to ``work_dir`` and passed with ``-/filter_complex`` (no length
limit, no shell). User text reaches ffmpeg only through ``textfile=`` files with expansion off.

Dubbed drafts (audio segments with ``lang``, see ``timeline``) render every language in the same run:
the main MP4 carries one language-tagged AAC track per language (the first one default), and one MP4
per language (``<stem>.<lang>.mp4``) carries that language's track only. The picture is encoded (or
copied) once and every audio track encoded once: the run has one output, the ``tee`` muxer, which
writes the same packets into every file. ``language=`` renders a single language instead.
"""
from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from nemo_nb.draft import CANVAS_PRESETS, Draft
from nemo_nb.draft.fields import DEFAULT_FIT, DEFAULT_LOUDNESS
from nemo_nb.draft.languages import LANGUAGES as LANGUAGE_TABLE
from nemo_nb.local.media.ffmpeg import AAC_AUDIO, run_ffmpeg
from nemo_nb.local.media.filtergraph import Graph
from nemo_nb.local.media.loudness import (
    GAIN_PLACEHOLDER,
    Levelled,
    LoudnessJob,
    apply_gains,
    check_target,
    level,
    loudness_job,
)
from nemo_nb.local.media.mix import add_audio, has_sound
from nemo_nb.local.media.reframe import fit_filters
from nemo_nb.local.media.smart import SpliceJob, SpliceResult, run_splice, splice_job
from nemo_nb.local.media.timeline import (
    MediaRef,
    RenderError,
    Timeline,
    Visual,
    language_code,
    read_timeline,
)
from nemo_nb.local.media.titles import DrawnText, drawn_texts

__all__ = ["LANGUAGES", "MediaRef", "RenderError", "RenderPlan", "RenderReport", "canvas_size", "language_tag",
           "plan_render", "render"]

# ultrafast: on 2 shared cores a 1080p re-encode takes ~10 s instead of ~16 s with veryfast; the
# files are larger, which matters little for a loopback backend, and its Constrained Baseline
# profile plays everywhere.
VIDEO_CODEC = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p"]
CONTAINER = ["-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "mp4"]
# Preview renders (our extension, ``output.preview``): small and quick, for looking, never the final export.
PREVIEW_SIDE = 540  # the shorter side of a preview, at most
PREVIEW_FPS = 15
PREVIEW_CODEC = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "28", "-pix_fmt", "yuv420p"]
COPY_TOLERANCE_MS = 100
AUTO_CANVAS_MAX = (1920, 1080)  # landscape box; portrait uses it turned
DEFAULT_CANVAS = CANVAS_PRESETS["16:9"]
DEFAULT_FPS = 30
MAX_FPS = 60
SPLICE_SHARE = 80.0  # percent of a smart render's progress bar given to splicing the picture
LEVEL_SHARE = 5.0  # percent of the progress bar given to measuring loudness
# Every clip is its own input, and each input holds a few decoded frames until the graph reaches it
# (measured with ffmpeg 9: ~2 MB + 4-5 frames each). Past a few clips, one decoder thread per input
# saves ~30 % of that memory and is faster (500 clips: 2.2 s instead of 3.3 s); the budget refuses
# timelines that would still need too much (500 clips of 1080p ≈ 9 GB).
MEMORY_BUDGET = 2 << 30
_INPUT_MEMORY = 2 << 20
_QUEUED_FRAMES = 5
_MANY_CLIPS = 4
# Extra source read past a clip's end, so a clip is never a frame short; the graph trims exactly.
_INPUT_SLACK_S = 0.5
_SLAVE = "f=mp4:movflags=+faststart"  # each file the tee muxer writes
# ISO 639-1 → (ISO 639-2/B, the language's English name): MP4 stores three-letter codes.
LANGUAGES = {code: (language.tag, language.name) for code, language in LANGUAGE_TABLE.items()}


@dataclass(frozen=True)
class RenderPlan:
    """One ffmpeg invocation (``args`` without the executable) and what it will produce."""

    args: list[str]
    duration_s: float
    copies_video: bool
    width: int
    height: int
    out_path: Path
    extra_outputs: dict[str, Path] = field(default_factory=dict)  # language → its own MP4; {} for one language
    languages: tuple[str, ...] = ()  # the main output's audio tracks, in order; () when untagged
    splice: SpliceJob | None = None  # smart rendering: splice the picture first, then run ``splice_args``
    splice_args: list[str] = field(default_factory=list)
    note: str = ""  # why the picture is encoded in full, when it is
    levels: LoudnessJob | None = None  # loudness normalisation: measure the sound first
    reframes: tuple[str, ...] = ()  # how each clip of another shape was fitted to the frame


@dataclass(frozen=True)
class RenderReport:
    """How the picture was made: ``copied``, ``spliced`` (smart rendering) or ``encoded``, and why; how clips
    were fitted to the frame and how loud each audio track was made."""

    picture: str
    note: str = ""
    splice: SpliceResult | None = None  # what splicing did, when it did
    reframes: tuple[str, ...] = ()
    loudness: tuple[Levelled, ...] = ()  # one per audio track; () when loudness is off

    @property
    def copied_frames(self) -> int:
        return self.splice.copied if self.splice else 0

    @property
    def encoded_frames(self) -> int:
        return self.splice.encoded if self.splice else 0

    @property
    def splices(self) -> tuple[float, ...]:
        """Where copied and re-encoded pieces meet (output seconds)."""
        return self.splice.splices if self.splice else ()

    def __str__(self) -> str:
        counts = ""
        if self.picture == "spliced":
            at = ", ".join(f"{t:g} s" for t in self.splices)
            counts = f" ({self.copied_frames} frames copied, {self.encoded_frames} re-encoded; splices at {at})"
        return f"picture {self.picture}{counts}" + (f"; {self.note}" if self.note else "")

    @property
    def frame(self) -> str:
        """How clips of another shape were fitted to the frame (blurred background, bars or a crop)."""
        return "; ".join(self.reframes) or "every clip has the frame's shape"

    @property
    def sound(self) -> str:
        """How loud each audio track was measured and made."""
        return "; ".join(map(str, self.loudness)) or "loudness as mixed"


def language_tag(language: str) -> tuple[str, str]:
    """(ISO 639-2/B code, name) for a language code: ``"es"`` → ``("spa", "Spanish")``; ``"und"`` if unknown."""
    primary, _, region = language.partition("-")
    if primary in LANGUAGES:
        tag, name = LANGUAGES[primary]
    elif len(primary) == 3:  # already ISO 639-2
        tag, name = primary, primary
    else:
        tag, name = "und", primary
    return tag, f"{name} ({region.upper()})" if region else name


def plan_render(
    draft: Draft, resolve: Callable[[str], MediaRef | None], out_path: Path, work_dir: Path,
    *, language: str | None = None, smart: bool | None = None, preview: bool = False, loudness: Any = "draft",
) -> RenderPlan:
    """Check ``draft`` and build the ffmpeg run that renders it to ``out_path``.

    A draft with two or more languages also renders ``<stem>.<lang>.mp4`` per language next to
    ``out_path`` (``RenderPlan.extra_outputs``); ``language`` renders that language alone. ``smart``:
    splice the picture when it can be (``None``: when that is quicker), never (``False``), or whenever
    it can be (``True``). ``preview``: a quick small render (shorter side at most ``PREVIEW_SIDE``, at most
    ``PREVIEW_FPS`` frames a second), for looking. ``loudness``: the target in LUFS for every audio track,
    ``"off"``, or ``"draft"``: the draft's ``m.loudness``, else ``DEFAULT_LOUDNESS``.
    """
    timeline = read_timeline(draft, resolve)
    if loudness == "draft":
        asked = draft.raw["m"].get("loudness")
        target = check_target(DEFAULT_LOUDNESS if asked is None else asked, "m.loudness")
    else:
        target = check_target(loudness, "loudness")
    if language is not None:
        code = language_code(language)
        if code not in timeline.languages:
            known = ", ".join(timeline.languages) or "none: no audio segment has a 'lang'"
            raise RenderError(f"the draft has no language {language!r}; its languages: {known}")
        timeline = timeline.only(code)
    languages = timeline.languages
    extra = ({lang: out_path.with_name(f"{out_path.stem}.{lang}.mp4") for lang in languages}
             if len(languages) > 1 else {})
    work_dir.mkdir(parents=True, exist_ok=True)
    source = _copyable(timeline)
    if preview and source is not None and min(source.ref.info.width, source.ref.info.height) > PREVIEW_SIDE:
        source = None
    splice: SpliceJob | None = None
    splice_args: list[str] = []
    note = ""
    levelled = target is not None and has_sound(timeline)
    reframes: tuple[str, ...] = ()
    if source is not None:
        graph = Graph()
        index: int | None = graph.input(source.ref.path)
        width, height = source.ref.info.width, source.ref.info.height
        video_args = ["-map", f"{index}:v:0", "-c:v", "copy"]
    else:
        width, height = full = canvas_size(timeline)
        rate = _frame_rate(timeline)
        if preview:
            width, height = preview_size(width, height)
            rate = min(rate, Fraction(PREVIEW_FPS))
        captions = drawn_texts(timeline, width, height, rate, work_dir, scale=width / full[0])
        if preview:
            job: SpliceJob | str = f"a preview, {width}x{height} at {float(rate):g} fps"
        elif smart is False:
            job = "smart rendering is off for this render"
        else:
            job = splice_job(timeline, (width, height), rate, work_dir, captions, force=bool(smart))
        if isinstance(job, SpliceJob):
            splice, spliced = job, Graph()
            copied = ["-map", f"{spliced.input(job.out)}:v:0", "-c:v", "copy"]
            splice_args = _finish(spliced, timeline, copied, None, out_path, work_dir / "filtergraph_spliced.txt",
                                  extra, levelled=levelled)
        else:
            note = f"picture encoded in full: {job}"
        graph, index = Graph(), None
        reframes = _add_picture(graph, timeline, width, height, rate, captions, preview)
        video_args = ["-map", "[vout]", *(PREVIEW_CODEC if preview else VIDEO_CODEC)]
    levels = None if target is None or not levelled else loudness_job(
        timeline, None if source is None else source.ref.path, target, work_dir)
    args = _finish(graph, timeline, video_args, index, out_path, work_dir / "filtergraph.txt", extra,
                   levelled=levelled)
    return RenderPlan(args, timeline.duration_ms / 1000, source is not None, width, height, out_path,
                      extra, languages, splice, splice_args, note, levels, reframes)


def _finish(graph: Graph, timeline: Timeline, video_args: list[str], copy_input: int | None, out_path: Path,
            script: Path, extra: dict[str, Path], *, levelled: bool = False) -> list[str]:
    """The whole run: ``graph``'s inputs, its sound added (``levelled``: each track through a gain chosen at
    render time, ``GAIN_PLACEHOLDER`` until then), the filter script written, the outputs."""
    languages = timeline.languages
    audio = add_audio(graph, timeline, copy_input=copy_input, languages=languages)
    if levelled:
        audio = [graph.chain(label, GAIN_PLACEHOLDER.format(i)) for i, label in enumerate(audio)]
    script.write_text(";\n".join(graph.filters) + "\n", encoding="utf-8")
    audio_args = [arg for label in audio for arg in ("-map", label)] + AAC_AUDIO + _tags(languages)
    if extra:
        # One output, several files: the tee muxer, so each stream is encoded (or copied) once.
        slaves = [f"[{_SLAVE}]{_tee_path(_partial(out_path))}"] + [
            f"[{_SLAVE}:select=\\'v,a:{i}\\']{_tee_path(_partial(extra[lang]))}" for i, lang in enumerate(languages)
        ]
        container = [*CONTAINER[:CONTAINER.index("-movflags")], "-f", "tee", "|".join(slaves)]
    else:
        container = [*CONTAINER, str(_partial(out_path))]
    return [*graph.inputs, "-/filter_complex", str(script), *video_args, *audio_args, *container]


def render(
    plan: RenderPlan,
    on_progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> RenderReport:
    """Run ``plan``; its outputs appear only when all are complete (the main one last), never half-written.

    A plan with a splice job splices the picture first (smart rendering) and falls back to the full
    encode, saying why in the report, when the source cannot be spliced safely.
    """
    finals = [*plan.extra_outputs.values(), plan.out_path]
    partials = [_partial(path) for path in finals]
    moved: list[Path] = []
    report = RenderReport("copied" if plan.copies_video else "encoded", plan.note)
    args = plan.args
    done = 0.0

    def share(start: float, end: float) -> Callable[[float], None] | None:
        return None if on_progress is None else (lambda pct: on_progress(start + pct * (end - start) / 100))

    try:
        levelled: list[Levelled] = []
        if plan.levels is not None:
            done = LEVEL_SHARE
            levelled = level(plan.levels, share(0, done), cancel)
        if plan.splice is not None:
            spliced = run_splice(plan.splice, share(done, SPLICE_SHARE), cancel)
            if spliced.ok:
                args = plan.splice_args
                report = RenderReport("spliced", "", spliced)
            else:
                report = RenderReport("encoded", f"picture encoded in full: {spliced.reason}")
            done = SPLICE_SHARE if spliced.ok else done
        if levelled:
            apply_gains(Path(args[args.index("-/filter_complex") + 1]), levelled)
        report = replace(report, reframes=plan.reframes, loudness=tuple(levelled))
        run_ffmpeg(args, duration_s=plan.duration_s, on_progress=share(done, 100), cancel=cancel)
        for partial, final in zip(partials, finals, strict=True):
            os.replace(partial, final)
            moved.append(final)
    except BaseException:
        for final in moved:
            final.unlink(missing_ok=True)
        raise
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)
    return report


def _partial(out_path: Path) -> Path:
    return out_path.with_name(out_path.name + ".part")


def _tags(languages: tuple[str, ...]) -> list[str]:
    """Language code, title and disposition of each audio track (the first one plays by default)."""
    args: list[str] = []
    for i, language in enumerate(languages):
        tag, name = language_tag(language)
        for key, value in (("language", tag), ("title", name), ("handler_name", name)):
            args += [f"-metadata:s:a:{i}", f"{key}={value}"]
        args += [f"-disposition:a:{i}", "default" if i == 0 else "0"]
    return args


def _tee_path(path: Path) -> str:
    """A file name for the tee muxer's list, its separators and quotes escaped."""
    return re.sub(r"[^\w/.-]", lambda m: "\\" + m.group(0), str(Path(path).resolve()))


def _copyable(timeline: Timeline) -> Visual | None:
    """The one clip whose picture the output shows unchanged, if there is such a clip."""
    if len(timeline.visuals) != 1 or timeline.captions or timeline.overlays:
        return None
    clip = timeline.visuals[0]
    info = clip.ref.info
    source_ms = round(info.duration_s * 1000)
    canvas = timeline.canvas
    unchanged = (
        info.kind == "video" and info.video_codec == "h264" and info.pix_fmt == "yuv420p"
        and clip.start_ms <= COPY_TOLERANCE_MS and clip.in_ms <= COPY_TOLERANCE_MS
        and abs(clip.dur_ms - source_ms) <= COPY_TOLERANCE_MS
        and timeline.duration_ms <= source_ms + COPY_TOLERANCE_MS
        and (canvas is None or (canvas.width, canvas.height) == (info.width, info.height))
    )
    return clip if unchanged else None


def canvas_size(timeline: Timeline) -> tuple[int, int]:
    """The draft's canvas, else the first clip's size fitted into 1920x1080 (or 1080x1920), even."""
    if timeline.canvas is not None:
        return timeline.canvas.width, timeline.canvas.height
    if not timeline.visuals:
        return DEFAULT_CANVAS
    info = timeline.visuals[0].ref.info
    if info.width <= 0 or info.height <= 0:
        return DEFAULT_CANVAS
    box_w, box_h = AUTO_CANVAS_MAX if info.width >= info.height else AUTO_CANVAS_MAX[::-1]
    scale = min(1.0, box_w / info.width, box_h / info.height)
    return max(16, round(info.width * scale / 2) * 2), max(16, round(info.height * scale / 2) * 2)


def _frame_rate(timeline: Timeline) -> Fraction:
    """The first video clip's rate (NTSC rates kept exact), else 30 fps."""
    fps = next((v.ref.info.fps for v in timeline.visuals if v.ref.info.kind == "video" and v.ref.info.fps > 0),
               DEFAULT_FPS)
    fps = min(max(fps, 1.0), MAX_FPS)
    ntsc = round(fps * 1.001)
    if fps != int(fps) and abs(fps - ntsc / 1.001) < 0.01:
        return Fraction(ntsc * 1000, 1001)
    return Fraction(fps).limit_denominator(1001)


def _add_picture(graph: Graph, timeline: Timeline, width: int, height: int, rate: Fraction,
                 captions: list[DrawnText], quick: bool = False) -> tuple[str, ...]:
    """Clips, still images and black gaps joined on frame boundaries, then the text drawn on top (``quick``:
    the cheapest scaling, for previews); how each clip of another shape was fitted (for the render log)."""

    def frame(ms: int) -> int:
        return round(ms * rate / 1000)

    _check_memory(timeline.visuals)
    threads = 1 if len(timeline.visuals) > _MANY_CLIPS else 0
    fps = f"fps={rate.numerator}/{rate.denominator}"
    pieces: list[str] = []
    notes: list[str] = []
    fit = DEFAULT_FIT if timeline.canvas is None else timeline.canvas.fit
    cursor = 0
    for clip in [*timeline.visuals, None]:
        start = timeline.duration_ms if clip is None else clip.start_ms
        if frame(start) > frame(cursor):
            black = f"color=c=black:s={width}x{height}:r={rate.numerator}/{rate.denominator},format=yuv420p"
            pieces.append(graph.chain("", f"{black},trim=end_frame={frame(start) - frame(cursor)}"))
        if clip is None:
            break
        end = clip.start_ms + clip.dur_ms
        cursor = end
        if frame(end) <= frame(start):
            continue
        still = clip.ref.info.kind == "image"
        length = None if still else clip.dur_ms / 1000 + _INPUT_SLACK_S
        index = graph.input(clip.ref.path, 0 if still else clip.in_ms, length, threads)
        fitted, note = fit_filters(graph, clip, width, height, fit, quick)
        if note:
            notes.append(f"clip at {clip.start_ms / 1000:g} s, {note}")
        filters = ",".join([
            # The rate first: frames a lower rate drops are never scaled.
            "setpts=PTS-STARTPTS", fps, fitted, "format=yuv420p",
            "tpad=stop=-1:stop_mode=clone", f"trim=end_frame={frame(end) - frame(start)}",
        ])
        pieces.append(graph.chain(f"[{index}:v:0]", filters))
    joined = "".join(pieces)
    if len(pieces) > 1:
        joined = graph.chain(joined, f"concat=n={len(pieces)}:v=1:a=0")
    joined = _add_overlays(graph, timeline, joined, width, height)
    text = [caption.on_frames((caption.first, caption.end)) for caption in captions]
    graph.filters.append(f"{joined}{','.join(text) or 'null'}[vout]")
    return tuple(notes)


def _add_overlays(graph: Graph, timeline: Timeline, base: str, width: int, height: int) -> str:
    """Pictures-in-picture drawn over ``base`` in their corners, each only over its own range; the new label."""
    for item in timeline.overlays:
        box_w = max(16, round(width * item.scale / 100 / 2) * 2)
        margin = round(min(width, height) * 0.04)
        vertical, _, side = (item.box or "bottom-right").partition("-")
        x = str(margin) if side == "left" else f"W-w-{margin}"
        y = str(margin) if vertical == "top" else f"H-h-{margin}"
        start, end = item.start_ms / 1000, (item.start_ms + item.dur_ms) / 1000
        index = graph.input(item.ref.path, item.in_ms, item.dur_ms / 1000 + _INPUT_SLACK_S)
        scaled = graph.chain(f"[{index}:v:0]", f"setpts=PTS-STARTPTS+{start:.3f}/TB,scale={box_w}:-2,format=yuv420p")
        shown = f"enable='between(t,{start:.3f},{end:.3f})'"
        base = graph.chain(base + scaled, f"overlay=x={x}:y={y}:eof_action=pass:{shown}")
    return base


def _check_memory(visuals: list[Visual]) -> None:
    """Refuse a timeline whose clips, all open at once, would need more than ``MEMORY_BUDGET``."""
    need = sum(_INPUT_MEMORY + _QUEUED_FRAMES * v.ref.info.width * v.ref.info.height * 3 // 2 for v in visuals)
    if need > MEMORY_BUDGET:
        raise RenderError(
            f"the timeline has {len(visuals)} video/image clips; rendering them in one pass would need about "
            f"{need / (1 << 30):.1f} GB of memory (limit {MEMORY_BUDGET >> 30} GB): use fewer clips or smaller sources"
        )


def preview_size(width: int, height: int) -> tuple[int, int]:
    """``width``x``height`` scaled down (never up) so its shorter side is at most ``PREVIEW_SIDE``, even."""
    scale = min(1.0, PREVIEW_SIDE / min(width, height))
    return max(16, round(width * scale / 2) * 2), max(16, round(height * scale / 2) * 2)
