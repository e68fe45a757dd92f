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
from nemo_nb.draft import fields as schema
from nemo_nb.draft.colours import COLOURS
from nemo_nb.draft.fields import REQUIRED, SEGMENT_FIELDS, FieldError
from nemo_nb.local.media.probe import MediaInfo

# COLOURS (nemo_nb.draft.colours) stays importable from here.
__all__ = [
    "COLOURS", "Canvas", "Caption", "MediaRef", "RenderError", "Sound", "Timeline", "Visual", "draft_languages",
    "language_code", "read_timeline",
]

MAX_SEGMENTS = 500
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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
    box: str | None = None  # a picture-in-picture's corner (drawn over the clips, not between them)
    scale: int = 30         # its width, percent of the frame's


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
    overlays: tuple[Visual, ...] = ()  # pictures-in-picture, drawn over the clips (a picture change over their range)

    def only(self, language: str) -> Timeline:
        """This timeline with the shared sound and ``language``'s speech only, as one language."""
        sounds = [s for s in self.sounds if s.lang in (None, language)]
        duration = _end(self.visuals, sounds, self.captions)
        if duration <= 0:
            raise RenderError(f"language {language!r} has nothing to render")
        return Timeline(self.visuals, sounds, self.captions, self.canvas, duration, (language,), self.overlays)


def language_code(value: Any, where: str = "language") -> str:
    """A checked language code (``"es"``, ``"pt-BR"``), lower-cased; ``RenderError`` otherwise."""
    try:
        return schema.language_code(value, where)
    except FieldError as exc:
        raise RenderError(str(exc)) from None


def draft_languages(draft: Draft) -> tuple[str, ...]:
    """The languages ``draft`` renders, without resolving its media (``RenderError`` on a bad code)."""
    found: list[str] = []
    for t_index, track in enumerate(draft.tracks, 1):
        if track.type != AUDIO:
            continue
        for s_index, raw in enumerate(track.raw["sg"], 1):
            if isinstance(raw, dict) and (lang := _Seg(raw, t_index, s_index, AUDIO).lang()) is not None:
                found.append(lang)
    return _languages(draft, found)


def _languages(draft: Draft, found: list[str]) -> tuple[str, ...]:
    """``m.languages`` in its order, then languages only found on segments, in order of appearance."""
    listed = draft.raw["m"].get("languages")
    try:
        ordered = schema.check_languages([] if listed is None else listed)
        languages = tuple(dict.fromkeys([*ordered, *found]))
        schema.check_language_count(len(languages))
    except FieldError as exc:
        raise RenderError(str(exc)) from None
    return languages


def _end(visuals: list[Visual], sounds: list[Sound], captions: list[Caption]) -> int:
    items: list[Visual | Sound | Caption] = [*visuals, *sounds, *captions]
    return max((x.start_ms + x.dur_ms for x in items), default=0)


def read_timeline(draft: Draft, resolve: Callable[[str], MediaRef | None]) -> Timeline:
    """Check ``draft`` and resolve its media; raise ``RenderError`` on the first problem."""
    count = sum(len(t.raw["sg"]) for t in draft.tracks)
    if count > MAX_SEGMENTS:
        raise RenderError(f"the draft has {count} segments; at most {MAX_SEGMENTS} can be rendered")
    visuals: list[Visual] = []
    overlays: list[Visual] = []
    sounds: list[Sound] = []
    captions: list[Caption] = []
    for t_index, track in enumerate(draft.tracks, 1):
        if track.type not in (VIDEO, AUDIO, TEXT):
            continue  # tracks of other types are kept in the draft but not drawn
        previous_end = 0
        for s_index, raw in enumerate(track.raw["sg"], 1):
            if not isinstance(raw, dict):
                continue  # as in Draft.segments(): only objects are segments
            seg = _Seg(raw, t_index, s_index, track.type).checked()
            if track.type == VIDEO:
                visual = seg.visual(resolve, previous_end)
                if visual.box is not None:
                    overlays.append(visual)
                    continue
                previous_end = visual.start_ms + visual.dur_ms
                visuals.append(visual)
            elif track.type == AUDIO:
                sounds.append(seg.sound(resolve))
            elif (caption := seg.caption()) is not None:
                captions.append(caption)
    duration = _end([*visuals, *overlays], sounds, captions)
    if duration <= 0:
        raise RenderError("the draft has nothing to render: add a video, image, audio or text segment")
    languages = _languages(draft, [s.lang for s in sounds if s.lang is not None])
    return Timeline(_without_overlaps(visuals), sounds, captions, _canvas(draft), duration, languages,
                    tuple(overlays))


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
    try:
        width, height, fit = schema.check_canvas(raw)
    except FieldError as exc:
        raise RenderError(str(exc)) from None
    return Canvas(width - width % 2, height - height % 2, fit)  # H.264 4:2:0 needs even sizes


class _Seg:
    """One raw segment dict with checked accessors (the field schema's rules); errors name the segment."""

    def __init__(self, raw: dict[str, Any], track: int, index: int, track_type: int):
        self.raw = raw
        self.track_type = track_type
        seg_id = raw.get("id")
        self.label = f"track {track} segment {index}"
        if isinstance(seg_id, str) and seg_id:
            self.label += f" ({seg_id[:40]!r})"

    def error(self, message: str) -> RenderError:
        return RenderError(f"{self.label}: {message}")

    def checked(self) -> _Seg:
        """Every field the schema knows for this track type, checked before anything is read."""
        try:
            schema.check_segment(self.raw, self.track_type)
        except FieldError as exc:
            raise self.error(str(exc)) from None
        return self

    def read(self, key: str, default: Any = REQUIRED, duration: int | None = None) -> Any:
        """The value of ``key`` as its field reads it; ``default`` when missing."""
        try:
            return SEGMENT_FIELDS[key].read(self.raw, default, self.track_type, duration)
        except FieldError as exc:
            raise self.error(str(exc)) from None

    def flag(self, key: str) -> bool:
        if key in self.raw and self.raw[key] is None:
            raise self.error(f"'{key}' must be true or false")
        return bool(self.read(key, default=False))

    def lang(self) -> str | None:
        """The segment's language (``lang``), None when it is shared by every language."""
        value = self.raw.get("lang")
        return None if value is None or value == "" else language_code(value, f"{self.label}: 'lang'")

    def media(self, resolve: Callable[[str], MediaRef | None]) -> MediaRef:
        src = self.read("src", default="")
        if not src:
            raise self.error("'src' (a media id) is required")
        ref = resolve(src)
        if ref is None:
            raise self.error(f"media {src[:60]!r} was not found")
        return ref

    def span(self, *, default_start: int, default_duration: int | None) -> tuple[int, int]:
        """(start, duration) on the timeline in ms, ending within 4 h."""
        start = self.read("st", default=default_start)
        duration = self.read("d", default=REQUIRED if default_duration is None else default_duration)
        try:
            schema.check_end(start, duration)
        except FieldError as exc:
            raise self.error(str(exc)) from None
        return start, duration

    def timing(self, ref: MediaRef, *, default_start: int) -> tuple[int, int, int]:
        """(start, duration, in-point) in ms; duration defaults to the rest of the source."""
        in_ms = self.read("ss", default=0)
        source_ms = round(ref.info.duration_s * 1000) if ref.info.kind != "image" else 0
        if source_ms and in_ms >= source_ms:
            raise self.error(f"'ss' = {in_ms} ms is past the end of its {source_ms} ms source")
        start, duration = self.span(default_start=default_start, default_duration=source_ms - in_ms or None)
        return start, duration, in_ms

    def visual(self, resolve: Callable[[str], MediaRef | None], previous_end: int) -> Visual:
        ref = self.media(resolve)
        if not ref.info.has_video:
            raise self.error("its media has no picture; put audio on an audio track")
        start, duration, in_ms = self.timing(ref, default_start=previous_end)
        return Visual(ref, start, duration, in_ms, self.read("v", default=100), duck=self.flag("duck"),
                      box=self.read("box", default=None), scale=self.read("sc", default=30))

    def sound(self, resolve: Callable[[str], MediaRef | None]) -> Sound:
        kind = self.read("k", default="") or "audio"
        ref = self.media(resolve)
        if not ref.info.has_audio:
            raise self.error("its media has no sound")
        start, duration, in_ms = self.timing(ref, default_start=0)
        return Sound(
            ref, kind, start, duration, in_ms,
            volume=self.read("v", default=100),
            fade_in_ms=self.read("fi", default=0, duration=duration),
            fade_out_ms=self.read("fo", default=0, duration=duration),
            duck=self.flag("duck"),
            lang=self.lang(),
        )

    def caption(self) -> Caption | None:
        kind = self.read("k", default="") or "title"
        text = self.raw.get("tx")  # its length is checked with the other fields
        if not isinstance(text, str):
            raise self.error("'tx' (the text) must be a string")
        text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\t", " ")).strip()
        start, duration = self.span(default_start=0, default_duration=None)
        pos = self.read("pos", default="center" if kind == "title" else "bottom")
        size = self.read("fs", default=None)
        if not text:
            return None
        colour = self.read("c", default="#ffffff")
        return Caption(kind, text, start, duration, pos, "0x" + colour[1:], size)
