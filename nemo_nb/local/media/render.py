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
import textwrap
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from nemo_nb.draft import CANVAS_PRESETS, Draft
from nemo_nb.draft.languages import LANGUAGES as LANGUAGE_TABLE
from nemo_nb.local.media.ffmpeg import run_ffmpeg
from nemo_nb.local.media.fonts import default_font
from nemo_nb.local.media.timeline import (
    Caption, MediaRef, RenderError, Sound, Timeline, Visual, language_code, read_timeline,
)

__all__ = ["LANGUAGES", "MediaRef", "RenderError", "RenderPlan", "canvas_size", "language_tag", "plan_render",
           "render"]

# ultrafast: on 2 shared cores a 1080p re-encode takes ~10 s instead of ~16 s with veryfast; the
# files are larger, which matters little for a loopback backend, and its Constrained Baseline
# profile plays everywhere.
VIDEO_CODEC = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p"]
# The AAC encoder's default bitrate suits each rate and layout; forcing one (e.g. 160k on a 24 kHz
# mono voice) made encoding 2.5x slower, and audio encoding is most of the copy path's time.
AUDIO_CODEC = ["-c:a", "aac"]
CONTAINER = ["-map_metadata", "-1", "-map_chapters", "-1", "-movflags", "+faststart", "-f", "mp4"]
COPY_TOLERANCE_MS = 100
AUTO_CANVAS_MAX = (1920, 1080)  # landscape box; portrait uses it turned
DEFAULT_CANVAS = CANVAS_PRESETS["16:9"]
DEFAULT_FPS = 30
MAX_FPS = 60
SAMPLE_RATE = 48000
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
_MIX_FORMAT = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
_LONE_FORMAT = "aformat=channel_layouts=mono|stereo"  # downmix surround, keep the rate
_DUCKER = "sidechaincompress=threshold=0.05:ratio=8:attack=20:release=300"
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
    *, language: str | None = None,
) -> RenderPlan:
    """Check ``draft`` and build the ffmpeg run that renders it to ``out_path``.

    A draft with two or more languages also renders ``<stem>.<lang>.mp4`` per language next to
    ``out_path`` (``RenderPlan.extra_outputs``); ``language`` renders that language alone.
    """
    timeline = read_timeline(draft, resolve)
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
    graph = _Graph()
    source = _copyable(timeline)
    if source is not None:
        index = graph.input(source.ref.path)
        width, height = source.ref.info.width, source.ref.info.height
        video_args = ["-map", f"{index}:v:0", "-c:v", "copy"]
    else:
        index = None
        width, height = canvas_size(timeline)
        rate = _frame_rate(timeline)
        _add_picture(graph, timeline, width, height, rate, work_dir)
        video_args = ["-map", "[vout]", *VIDEO_CODEC]
    audio = _add_audio(graph, timeline, copy_input=index, languages=languages)
    script = work_dir / "filtergraph.txt"
    script.write_text(";\n".join(graph.filters) + "\n", encoding="utf-8")
    audio_args = [arg for label in audio for arg in ("-map", label)] + AUDIO_CODEC + _tags(languages)
    if extra:
        # One output, several files: the tee muxer, so each stream is encoded (or copied) once.
        slaves = [f"[{_SLAVE}]{_tee_path(_partial(out_path))}"] + [
            f"[{_SLAVE}:select=\\'v,a:{i}\\']{_tee_path(_partial(extra[lang]))}" for i, lang in enumerate(languages)
        ]
        container = [*CONTAINER[:CONTAINER.index("-movflags")], "-f", "tee", "|".join(slaves)]
    else:
        container = [*CONTAINER, str(_partial(out_path))]
    args = [*graph.inputs, "-/filter_complex", str(script), *video_args, *audio_args, *container]
    return RenderPlan(args, timeline.duration_ms / 1000, source is not None, width, height, out_path,
                      extra, languages)


def render(
    plan: RenderPlan,
    on_progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> None:
    """Run ``plan``; its outputs appear only when all are complete (the main one last), never half-written."""
    finals = [*plan.extra_outputs.values(), plan.out_path]
    partials = [_partial(path) for path in finals]
    moved: list[Path] = []
    try:
        run_ffmpeg(plan.args, duration_s=plan.duration_s, on_progress=on_progress, cancel=cancel)
        for partial, final in zip(partials, finals):
            os.replace(partial, final)
            moved.append(final)
    except BaseException:
        for final in moved:
            final.unlink(missing_ok=True)
        raise
    finally:
        for partial in partials:
            partial.unlink(missing_ok=True)


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


class _Graph:
    """Inputs and filter chains of one ffmpeg run."""

    def __init__(self) -> None:
        self.inputs: list[str] = []
        self.filters: list[str] = []
        self._count = 0
        self._labels = 0

    def input(self, path: Path, start_ms: int = 0, length_s: float | None = None, threads: int = 0) -> int:
        if threads:
            self.inputs += ["-threads", str(threads)]
        if start_ms:
            self.inputs += ["-ss", f"{start_ms / 1000:.3f}"]
        if length_s is not None:
            self.inputs += ["-t", f"{length_s:.3f}"]
        self.inputs += ["-protocol_whitelist", "file", "-i", str(Path(path).resolve())]
        self._count += 1
        return self._count - 1

    def label(self) -> str:
        self._labels += 1
        return f"[s{self._labels}]"

    def chain(self, sources: str, filters: str, out: str | None = None) -> str:
        """Add ``sources`` → ``filters`` → ``out`` (a new label by default); return ``out``."""
        out = out or self.label()
        self.filters.append(f"{sources}{filters}{out}")
        return out

    def mix(self, labels: list[str], after: str = "", out: str | None = None) -> str:
        """Sum ``labels`` (no normalisation, so levels stay as set), then apply ``after``."""
        if len(labels) == 1:
            return labels[0] if not (after or out) else self.chain(labels[0], after or "anull", out)
        mixed = f"amix=inputs={len(labels)}:duration=longest:normalize=0"
        return self.chain("".join(labels), mixed + (f",{after}" if after else ""), out)


def _copyable(timeline: Timeline) -> Visual | None:
    """The one clip whose picture the output shows unchanged, if there is such a clip."""
    if len(timeline.visuals) != 1 or timeline.captions:
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


def _add_picture(graph: _Graph, timeline: Timeline, width: int, height: int, rate: Fraction, work_dir: Path) -> None:
    """Clips, still images and black gaps joined on frame boundaries, then the text drawn on top."""

    def frame(ms: int) -> int:
        return round(ms * rate / 1000)

    _check_memory(timeline.visuals)
    threads = 1 if len(timeline.visuals) > _MANY_CLIPS else 0
    fps = f"fps={rate.numerator}/{rate.denominator}"
    pieces: list[str] = []
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
        filters = ",".join([
            "setpts=PTS-STARTPTS", _fit(clip, width, height, timeline), "format=yuv420p", fps,
            "tpad=stop=-1:stop_mode=clone", f"trim=end_frame={frame(end) - frame(start)}",
        ])
        pieces.append(graph.chain(f"[{index}:v:0]", filters))
    joined = "".join(pieces)
    text = [_drawtext(c, i, width, height, work_dir) for i, c in enumerate(timeline.captions)]
    if len(pieces) > 1:
        text.insert(0, f"concat=n={len(pieces)}:v=1:a=0")
    graph.filters.append(f"{joined}{','.join(text) or 'null'}[vout]")


def _check_memory(visuals: list[Visual]) -> None:
    """Refuse a timeline whose clips, all open at once, would need more than ``MEMORY_BUDGET``."""
    need = sum(_INPUT_MEMORY + _QUEUED_FRAMES * v.ref.info.width * v.ref.info.height * 3 // 2 for v in visuals)
    if need > MEMORY_BUDGET:
        raise RenderError(
            f"the timeline has {len(visuals)} video/image clips; rendering them in one pass would need about "
            f"{need / (1 << 30):.1f} GB of memory (limit {MEMORY_BUDGET >> 30} GB): use fewer clips or smaller sources"
        )


def _fit(clip: Visual, width: int, height: int, timeline: Timeline) -> str:
    """Scale into the canvas: letterboxed ("fit", the default) or cropped ("fill")."""
    info = clip.ref.info
    if (info.width, info.height) == (width, height):
        return "setsar=1"
    if timeline.canvas is not None and timeline.canvas.fit == "fill":
        # Crop to the canvas shape first, then scale: scaling the whole frame up and cropping after
        # would scale ~2x more pixels (1080p → 9:16 took 0.7 s longer on 30 s).
        crop = f"crop=w=min(iw\\,ih*{width}/{height}):h=min(ih\\,iw*{height}/{width})"
        return f"{crop},scale={width}:{height},setsar=1"
    return (f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2,"
            f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1")


def _drawtext(caption: Caption, index: int, width: int, height: int, work_dir: Path) -> str:
    """A boxed drawtext reading the (hostile) text from a file, with expansion off."""
    size = caption.size_px or min(width, height) // (12 if caption.kind == "title" else 18)
    per_line = max(4, int(width * 0.9 / (size * 0.6)))  # DejaVu Sans averages ~0.6 em per glyph
    lines = [textwrap.fill(p, per_line, break_long_words=True) or " " for p in caption.text.split("\n")]
    text_file = work_dir / f"text{index}.txt"
    text_file.write_text("\n".join(lines), encoding="utf-8")
    margin = round(height * 0.06) + size // 4
    y = {"top": str(margin), "center": "(h-text_h)/2", "bottom": f"h-text_h-{margin}"}[caption.pos]
    start, end = caption.start_ms / 1000, (caption.start_ms + caption.dur_ms) / 1000
    options = {
        "fontfile": _escape(str(default_font(bold=caption.kind == "title"))),
        "textfile": _escape(str(text_file)),
        "expansion": "none",
        "fontsize": str(size),
        "fontcolor": caption.colour,
        "box": "1",
        "boxcolor": "black@0.55",
        "boxborderw": str(max(2, size // 4)),
        "line_spacing": str(size // 5),
        "text_align": "center",
        "x": "(w-text_w)/2",
        "y": y,
        "enable": _escape(f"between(t,{start:.3f},{end:.3f})"),
    }
    return "drawtext=" + ":".join(f"{k}={v}" for k, v in options.items())


def _escape(value: str) -> str:
    """Escape a filter option value for both the option parser and the filtergraph parser."""
    value = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", value)


def _add_audio(graph: _Graph, timeline: Timeline, copy_input: int | None,
               languages: tuple[str, ...] = ()) -> list[str]:
    """Clip sound, voiceovers, music (ducked under speech when asked) and audio, mixed; the output labels.

    ``copy_input`` is the input whose video is copied: its own sound is taken from it, at 0. With two
    or more ``languages`` there is one mix per language (``[aout0]``, …): the shared sounds are mixed
    once per role and split, and each language adds its own speech; else one mix, ``[aout]``.
    """
    placed: list[tuple[str, Sound]] = []  # (input pad, sound)
    for clip in timeline.visuals:
        if clip.volume and clip.ref.info.has_audio and clip.ref.info.kind == "video":
            # When re-encoding, the sound gets its own input so the picture is not decoded early.
            index = graph.input(clip.ref.path, clip.in_ms, clip.dur_ms / 1000) if copy_input is None else copy_input
            start = clip.start_ms if copy_input is None else 0
            own = Sound(clip.ref, "clip", start, clip.dur_ms, clip.in_ms, clip.volume, 0, 0, duck=clip.duck)
            placed.append((f"[{index}:a:0]", own))
    for sound in timeline.sounds:
        placed.append((f"[{graph.input(sound.ref.path, sound.in_ms, sound.dur_ms / 1000)}:a:0]", sound))
    seconds = f"{timeline.duration_ms / 1000:.3f}"
    several = len(languages) > 1
    outs = [f"[aout{i}]" for i in range(len(languages))] if several else ["[aout]"]
    if not placed:
        for out in outs:
            graph.chain("", f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=duration={seconds}", out=out)
        return outs
    if not several:
        # A lone sound keeps its rate (re-encoding 48 kHz stereo would cost the copy path 2x); a mix needs one format.
        audio_format = _MIX_FORMAT if len(placed) > 1 else _LONE_FORMAT
        roles: dict[str, list[str]] = {"plain": [], "voice": [], "ducked": []}
        for pad, sound in placed:
            roles[_role(sound)].append(graph.chain(pad, _sound_filters(sound, audio_format)))
        _mix_down(graph, roles["plain"], roles["voice"], roles["ducked"], seconds, outs[0])
        return outs
    shared: dict[str, list[str]] = {"plain": [], "voice": [], "ducked": []}
    speech: dict[str, list[str]] = {lang: [] for lang in languages}
    for pad, sound in placed:
        label = graph.chain(pad, _sound_filters(sound, _MIX_FORMAT))
        (shared[_role(sound)] if sound.lang is None else speech[sound.lang]).append(label)
    mixes = {lang: {"plain": [], "voice": list(speech[lang]), "ducked": []} for lang in languages}
    for role, labels in shared.items():
        if labels:
            copies = [graph.label() for _ in languages]
            graph.mix(labels, f"asplit={len(languages)}", out="".join(copies))
            for lang, copy in zip(languages, copies):
                mixes[lang][role].append(copy)
    for lang, out in zip(languages, outs):
        roles = mixes[lang]
        if any(roles.values()):
            _mix_down(graph, roles["plain"], roles["voice"], roles["ducked"], seconds, out)
        else:
            graph.chain("", f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=duration={seconds}", out=out)
    return outs


def _role(sound: Sound) -> str:
    """voice (voiceovers and every language's own segments), ducked (lowered under voice) or plain."""
    if sound.kind == "voiceover" or sound.lang is not None:
        return "voice"
    return "ducked" if sound.duck else "plain"


def _mix_down(graph: _Graph, plain: list[str], voices: list[str], ducked: list[str], seconds: str,
              out: str) -> None:
    """Mix one audio track into ``out``: the ducked sounds compressed under the voices, the rest as is."""
    plain = list(plain)
    if voices and ducked:
        voice, sidechain = graph.label(), graph.label()
        graph.mix(voices, "asplit=2", out=voice + sidechain)
        # The compressor stops when its sidechain does: pad the voice so the music plays on.
        ducker = graph.chain(graph.mix(ducked) + graph.chain(sidechain, "apad"), _DUCKER)
        plain += [voice, ducker]
    else:
        plain += voices + ducked
    graph.mix(plain, f"apad=whole_dur={seconds}", out=out)


def _sound_filters(sound: Sound, audio_format: str) -> str:
    """Format, cut to length, set level, fade and place one sound on the timeline."""
    filters = ["asetpts=PTS-STARTPTS", audio_format, f"atrim=duration={sound.dur_ms / 1000:.3f}"]
    if sound.volume != 100:
        filters.append(f"volume={sound.volume / 100:.3f}")
    if sound.fade_in_ms:
        filters.append(f"afade=t=in:st=0:d={sound.fade_in_ms / 1000:.3f}")
    if sound.fade_out_ms:
        start = (sound.dur_ms - sound.fade_out_ms) / 1000
        filters.append(f"afade=t=out:st={start:.3f}:d={sound.fade_out_ms / 1000:.3f}")
    if sound.start_ms:
        filters.append(f"adelay=delays={sound.start_ms}:all=1")
    return ",".join(filters)
