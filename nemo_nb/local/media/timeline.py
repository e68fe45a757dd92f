"""Read a (possibly hostile) draft into checked, typed timeline items for the renderer.

Every value that reaches ffmpeg passes through here: numbers are range-checked, kinds, positions and
colours come from fixed sets, text must be a string, and each ``src`` must resolve to the user's media.
Anything else raises ``RenderError`` naming the segment.

Languages (dubbing): an audio segment may carry ``lang`` (an ISO 639-1 code such as ``"es"``); it is then
that language's speech, heard only in that language's mix. Audio without ``lang`` is shared by every
language. ``m.languages`` orders the languages; languages found only on segments follow in order of
first appearance. Codes are compared case-insensitively and reported in lower case (``"pt-br"``).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_nb.draft import AUDIO, TEXT, VIDEO, Draft
from nemo_nb.local.media.probe import MediaInfo

MAX_SEGMENTS = 500
MAX_DURATION_MS = 4 * 3600 * 1000
MAX_TEXT_CHARS = 500
MAX_VOLUME = 400  # percent
FONT_PX = (8, 400)
CANVAS_PX = (16, 3840)
MAX_CANVAS_AREA = 3840 * 2160
POSITIONS = ("top", "center", "bottom")
FITS = ("blur", "fit", "fill")  # a clip of another shape: over a blurred copy of itself, with bars, or cropped
DEFAULT_FIT = "blur"
COLOURS = {
    "white": "ffffff", "black": "000000", "red": "ff0000", "green": "008000", "lime": "00ff00",
    "blue": "0000ff", "yellow": "ffff00", "cyan": "00ffff", "magenta": "ff00ff", "orange": "ffa500",
    "purple": "800080", "pink": "ffc0cb", "gray": "808080", "grey": "808080", "silver": "c0c0c0",
    "gold": "ffd700", "navy": "000080", "teal": "008080", "brown": "a52a2a",
}
_HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_VISUAL_KINDS = ("", "video", "image")
_SOUND_KINDS = ("", "voiceover", "music", "audio")
_TEXT_KINDS = ("", "title", "caption")
MAX_LANGUAGES = 16  # each one is another audio encode and another file
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")


class RenderError(ValueError):
    """The draft cannot be rendered; the message says which segment and why."""


@dataclass
class MediaRef:
    """A segment's ``src`` resolved to a file and what probing it found."""

    path: Path
    info: MediaInfo


@dataclass(frozen=True)
class Visual:
    """A video or still image on the video track."""

    ref: MediaRef
    start_ms: int
    dur_ms: int
    in_ms: int
    volume: int  # percent, the clip's own sound
    duck: bool = False  # its own sound is lowered under speech


@dataclass(frozen=True)
class Sound:
    """An audio clip: voiceover, music or plain audio (the renderer adds "clip" for a video's own sound)."""

    ref: MediaRef
    kind: str
    start_ms: int
    dur_ms: int
    in_ms: int
    volume: int
    fade_in_ms: int
    fade_out_ms: int
    duck: bool
    lang: str | None = None  # None: shared by every language


@dataclass(frozen=True)
class Caption:
    """Text drawn over the picture."""

    kind: str  # title | caption
    text: str
    start_ms: int
    dur_ms: int
    pos: str
    colour: str  # 0xRRGGBB
    size_px: int | None


@dataclass(frozen=True)
class Canvas:
    width: int
    height: int
    fit: str  # blur | fit | fill (see ``reframe``)


@dataclass(frozen=True)
class Timeline:
    visuals: list[Visual]  # sorted, non-overlapping
    sounds: list[Sound]
    captions: list[Caption]
    canvas: Canvas | None
    duration_ms: int
    languages: tuple[str, ...] = ()  # the audio tracks to make, in order; () when no sound has a language

    def only(self, language: str) -> Timeline:
        """This timeline with the shared sound and ``language``'s speech only, as one language."""
        sounds = [s for s in self.sounds if s.lang in (None, language)]
        duration = _end(self.visuals, sounds, self.captions)
        if duration <= 0:
            raise RenderError(f"language {language!r} has nothing to render")
        return Timeline(self.visuals, sounds, self.captions, self.canvas, duration, (language,))


def language_code(value: Any, where: str = "language") -> str:
    """A checked language code (``"es"``, ``"pt-BR"``), lower-cased; ``RenderError`` otherwise."""
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        shown = repr(value)[:40] if isinstance(value, str) else type(value).__name__
        raise RenderError(f"{where} must be a language code such as \"es\" or \"pt-BR\", not {shown}")
    return value.lower().replace("_", "-")


def draft_languages(draft: Draft) -> tuple[str, ...]:
    """The languages ``draft`` renders, without resolving its media (``RenderError`` on a bad code)."""
    found: list[str] = []
    for t_index, track in enumerate(draft.tracks, 1):
        if track.type != AUDIO:
            continue
        for s_index, raw in enumerate(track.raw["sg"], 1):
            if isinstance(raw, dict) and (lang := _Seg(raw, t_index, s_index).lang()) is not None:
                found.append(lang)
    return _languages(draft, found)


def _languages(draft: Draft, found: list[str]) -> tuple[str, ...]:
    """``m.languages`` in its order, then languages only found on segments, in order of appearance."""
    listed = draft.raw["m"].get("languages")
    if listed is None:
        listed = []
    if not isinstance(listed, list):
        raise RenderError('m.languages must be a list of language codes like ["es", "fr", "de"]')
    ordered = [language_code(code, "each of m.languages") for code in listed]
    languages = tuple(dict.fromkeys([*ordered, *found]))
    if len(languages) > MAX_LANGUAGES:
        raise RenderError(f"the draft has {len(languages)} languages; at most {MAX_LANGUAGES} can be rendered")
    return languages


def _end(visuals: list[Visual], sounds: list[Sound], captions: list[Caption]) -> int:
    return max((x.start_ms + x.dur_ms for x in (*visuals, *sounds, *captions)), default=0)


def read_timeline(draft: Draft, resolve: Callable[[str], MediaRef | None]) -> Timeline:
    """Check ``draft`` and resolve its media; raise ``RenderError`` on the first problem."""
    count = sum(len(t.raw["sg"]) for t in draft.tracks)
    if count > MAX_SEGMENTS:
        raise RenderError(f"the draft has {count} segments; at most {MAX_SEGMENTS} can be rendered")
    visuals: list[Visual] = []
    sounds: list[Sound] = []
    captions: list[Caption] = []
    for t_index, track in enumerate(draft.tracks, 1):
        if track.type not in (VIDEO, AUDIO, TEXT):
            continue  # tracks of other types are kept in the draft but not drawn
        previous_end = 0
        for s_index, raw in enumerate(track.raw["sg"], 1):
            if not isinstance(raw, dict):
                continue  # as in Draft.segments(): only objects are segments
            seg = _Seg(raw, t_index, s_index)
            if track.type == VIDEO:
                visual = seg.visual(resolve, previous_end)
                previous_end = visual.start_ms + visual.dur_ms
                visuals.append(visual)
            elif track.type == AUDIO:
                sounds.append(seg.sound(resolve))
            elif (caption := seg.caption()) is not None:
                captions.append(caption)
    duration = _end(visuals, sounds, captions)
    if duration <= 0:
        raise RenderError("the draft has nothing to render: add a video, image, audio or text segment")
    languages = _languages(draft, [s.lang for s in sounds if s.lang is not None])
    return Timeline(_without_overlaps(visuals), sounds, captions, _canvas(draft), duration, languages)


def _without_overlaps(visuals: list[Visual]) -> list[Visual]:
    """Sort by start; where clips overlap, the later one wins and the earlier one is cut short."""
    ordered = sorted(visuals, key=lambda v: v.start_ms)
    kept: list[Visual] = []
    for i, v in enumerate(ordered):
        end = min([v.start_ms + v.dur_ms] + [n.start_ms for n in ordered[i + 1:i + 2]])
        if end > v.start_ms:
            kept.append(Visual(v.ref, v.start_ms, end - v.start_ms, v.in_ms, v.volume, v.duck))
    return kept


def _canvas(draft: Draft) -> Canvas | None:
    raw = draft.raw["m"].get("canvas")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise RenderError("m.canvas must be an object like {\"w\": 1080, \"h\": 1920, \"fit\": \"fit\"}")
    where = _Seg(raw, 0, 0, label="m.canvas")
    width = where.number("w", lo=CANVAS_PX[0], hi=CANVAS_PX[1])
    height = where.number("h", lo=CANVAS_PX[0], hi=CANVAS_PX[1])
    if width * height > MAX_CANVAS_AREA:
        raise RenderError(f"m.canvas {width}x{height} is larger than 3840x2160")
    fit = where.choice("fit", FITS, default=DEFAULT_FIT)
    return Canvas(width - width % 2, height - height % 2, fit)  # H.264 4:2:0 needs even sizes


class _Seg:
    """One raw segment dict with checked accessors; errors name the segment."""

    def __init__(self, raw: dict[str, Any], track: int, index: int, label: str | None = None):
        self.raw = raw
        seg_id = raw.get("id")
        if label is None:
            label = f"track {track} segment {index}"
            if isinstance(seg_id, str) and seg_id:
                label += f" ({seg_id[:40]!r})"
        self.label = label

    def error(self, message: str) -> RenderError:
        return RenderError(f"{self.label}: {message}")

    def number(self, key: str, *, lo: int, hi: int, default: int | None = None) -> int:
        value = self.raw.get(key)
        if value is None:
            if default is None:
                raise self.error(f"'{key}' is required")
            return default
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.error(f"'{key}' must be a number, not {type(value).__name__}")
        if not lo <= value <= hi:  # also false for NaN; JSON ints may be too big for a float
            shown = f"{value:g}" if isinstance(value, float) or abs(value) < 1e15 else "a huge number"
            raise self.error(f"'{key}' = {shown} is outside {lo}..{hi}")
        return int(round(value))

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.raw.get(key)
        if value is None:
            return default
        if not isinstance(value, str) or value not in allowed:
            shown = repr(value)[:40] if isinstance(value, str) else type(value).__name__
            raise self.error(f"'{key}' must be one of {', '.join(a for a in allowed if a)}, not {shown}")
        return value

    def flag(self, key: str) -> bool:
        value = self.raw.get(key, False)
        if not isinstance(value, bool):
            raise self.error(f"'{key}' must be true or false")
        return value

    def lang(self) -> str | None:
        """The segment's language (``lang``), None when it is shared by every language."""
        value = self.raw.get("lang")
        return None if value is None or value == "" else language_code(value, f"{self.label}: 'lang'")

    def media(self, resolve: Callable[[str], MediaRef | None]) -> MediaRef:
        src = self.raw.get("src")
        if not isinstance(src, str) or not src:
            raise self.error("'src' (a media id) is required")
        ref = resolve(src)
        if ref is None:
            raise self.error(f"media {src[:60]!r} was not found")
        return ref

    def span(self, *, default_start: int, default_duration: int | None) -> tuple[int, int]:
        """(start, duration) on the timeline in ms, ending within 4 h."""
        start = self.number("st", lo=0, hi=MAX_DURATION_MS, default=default_start)
        duration = self.number("d", lo=1, hi=MAX_DURATION_MS, default=default_duration)
        if start + duration > MAX_DURATION_MS:
            raise self.error("ends after 4 h")
        return start, duration

    def timing(self, ref: MediaRef, *, default_start: int) -> tuple[int, int, int]:
        """(start, duration, in-point) in ms; duration defaults to the rest of the source."""
        in_ms = self.number("ss", lo=0, hi=MAX_DURATION_MS, default=0)
        source_ms = round(ref.info.duration_s * 1000) if ref.info.kind != "image" else 0
        if source_ms and in_ms >= source_ms:
            raise self.error(f"'ss' = {in_ms} ms is past the end of its {source_ms} ms source")
        start, duration = self.span(default_start=default_start, default_duration=source_ms - in_ms or None)
        return start, duration, in_ms

    def visual(self, resolve: Callable[[str], MediaRef | None], previous_end: int) -> Visual:
        self.choice("k", _VISUAL_KINDS, default="")
        ref = self.media(resolve)
        if not ref.info.has_video:
            raise self.error("its media has no picture; put audio on an audio track")
        start, duration, in_ms = self.timing(ref, default_start=previous_end)
        return Visual(ref, start, duration, in_ms, self.number("v", lo=0, hi=MAX_VOLUME, default=100),
                      duck=self.flag("duck"))

    def sound(self, resolve: Callable[[str], MediaRef | None]) -> Sound:
        kind = self.choice("k", _SOUND_KINDS, default="") or "audio"
        ref = self.media(resolve)
        if not ref.info.has_audio:
            raise self.error("its media has no sound")
        start, duration, in_ms = self.timing(ref, default_start=0)
        duck = self.flag("duck")
        return Sound(
            ref, kind, start, duration, in_ms,
            volume=self.number("v", lo=0, hi=MAX_VOLUME, default=100),
            fade_in_ms=self.number("fi", lo=0, hi=duration, default=0),
            fade_out_ms=self.number("fo", lo=0, hi=duration, default=0),
            duck=duck,
            lang=self.lang(),
        )

    def caption(self) -> Caption | None:
        kind = self.choice("k", _TEXT_KINDS, default="") or "title"
        text = self.raw.get("tx")
        if not isinstance(text, str):
            raise self.error("'tx' (the text) must be a string")
        if len(text) > MAX_TEXT_CHARS:
            raise self.error(f"'tx' is {len(text)} characters; at most {MAX_TEXT_CHARS}")
        text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\t", " ")).strip()
        start, duration = self.span(default_start=0, default_duration=None)
        pos = self.choice("pos", POSITIONS, default="center" if kind == "title" else "bottom")
        size = None if self.raw.get("fs") is None else self.number("fs", lo=FONT_PX[0], hi=FONT_PX[1])
        if not text:
            return None
        return Caption(kind, text, start, duration, pos, self.colour(), size)

    def colour(self) -> str:
        value = self.raw.get("c")
        if value is None:
            return "0xffffff"
        if isinstance(value, str) and _HEX_COLOUR.fullmatch(value):
            return "0x" + value[1:].lower()
        if isinstance(value, str) and value.lower() in COLOURS:
            return "0x" + COLOURS[value.lower()]
        raise self.error("'c' must be #rrggbb or a colour name like white, yellow, black")
