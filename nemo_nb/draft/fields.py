"""The draft's field schema: each key nemo_nb writes or reads, its type, allowed values or range, and meaning.

This is the one place a field is defined. The typed builders and setters of ``nemo_nb.draft.model``
check what they write against it, and the render check (``nemo_nb.local.media.timeline``) checks every
segment it reads against it, so both accept and refuse the same values. To add a segment field, add
it to ``SEGMENT_FIELDS``; keys the schema does not know are kept and passed back unchanged.

The cloud documents only ``t`` (tracks), ``tt`` (track type: 0 video, 1 audio/BGM, 7 text/title),
``sg`` (segments), ``d`` (duration, ms) and ``m`` (metadata); the rest is nemo_nb's own vocabulary.
A track may also carry ``n`` (its name: the agent finds its "Voiceover", "Music", "Captions" or
"Dub <language>" track by it) and ``id`` (diffs match tracks by it).
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nemo_nb.draft.colours import colour_hex
from nemo_nb.draft.languages import LANGUAGE_CODE

VIDEO, AUDIO, TEXT = 0, 1, 7
TRACK_TYPES = {VIDEO: "video", AUDIO: "audio", TEXT: "text"}
_ANY, _MEDIA = (VIDEO, AUDIO, TEXT), (VIDEO, AUDIO)

MAX_DURATION_MS = 4 * 3600 * 1000
MAX_TEXT_CHARS = 500
MAX_VOLUME = 400  # percent
FONT_PX = (8, 400)
CANVAS_PX = (16, 3840)
MAX_CANVAS_AREA = 3840 * 2160
MAX_LANGUAGES = 16  # each one is another audio encode and another file
POSITIONS = ("top", "center", "bottom", "top-left", "top-right", "bottom-left", "bottom-right")
CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")
FITS = ("blur", "fit", "fill")  # blur: over a blurred copy of itself; fit: with bars; fill: cropped
DEFAULT_FIT = "blur"
LOUDNESS_RANGE = (-40.0, -5.0)  # LUFS an export may be normalised to (m.loudness)
DEFAULT_LOUDNESS = -14.0  # LUFS integrated when m.loudness is absent: YouTube, TikTok, Instagram, Spotify
KINDS = {VIDEO: ("video", "image"), AUDIO: ("voiceover", "music", "audio"), TEXT: ("title", "caption")}
CANVAS_PRESETS = {  # the frames the agent makes, at 1080 on the short side (2560 wide for 21:9)
    "16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080), "4:5": (1080, 1350), "5:4": (1350, 1080),
    "4:3": (1440, 1080), "3:4": (1080, 1440), "21:9": (2520, 1080), "9:21": (1080, 2520), "2:3": (1080, 1620),
    "3:2": (1620, 1080), "1:2": (1080, 2160), "2:1": (2160, 1080),
}
REQUIRED: Any = object()  # ``Field.read``'s default: the key must be there


class FieldError(ValueError):
    """A value its field does not allow; the message names the key."""


@dataclass(frozen=True)
class Field:
    """One key: a short name for people (``label``), what it means, and the track types it belongs on."""

    key: str
    label: str
    meaning: str
    tracks: tuple[int, ...] = _ANY
    type_name = "any"
    passive = False  # kept for people and links: the render check does not read it

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> Any:
        """The value as the renderer uses it; ``FieldError`` when this field does not allow it.

        ``track_type`` and ``duration`` (the segment's, ms) matter to fields that depend on them."""
        return value

    def read(self, raw: Mapping[str, Any], default: Any = REQUIRED, track_type: int | None = None,
             duration: int | None = None) -> Any:
        """``raw``'s value, checked; ``default`` when it is missing or null."""
        value = raw.get(self.key)
        if value is None:
            if default is REQUIRED:
                raise self.fail("is required")
            return default
        return self.check(value, track_type, duration)

    def fail(self, message: str) -> FieldError:
        return FieldError(f"'{self.key}' {message}")


@dataclass(frozen=True)
class Label(Field):
    """Free text for people or links (ids, names, URLs)."""

    type_name = "str"
    passive = True

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> str:
        if not isinstance(value, str):
            raise self.fail(f"must be a string, not {type(value).__name__}")
        return value


@dataclass(frozen=True)
class Number(Field):
    """A whole number in ``lo..hi`` (a float is rounded); with ``up_to_duration``, at most the duration."""

    lo: int = 0
    hi: int = MAX_DURATION_MS
    up_to_duration: bool = False
    type_name = "int"

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> int:
        hi = duration if self.up_to_duration and duration is not None else self.hi
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(f"must be a number, not {type(value).__name__}")
        if not self.lo <= value <= hi:  # also false for NaN; JSON ints may be too big for a float
            shown = f"{value:g}" if isinstance(value, float) or abs(value) < 1e15 else "a huge number"
            raise FieldError(f"'{self.key}' = {shown} is outside {self.lo}..{hi}")
        return round(value)


@dataclass(frozen=True)
class Choice(Field):
    """One of a fixed set of words."""

    choices: tuple[str, ...] = ()
    type_name = "str"

    def allowed(self, track_type: int | None) -> tuple[str, ...]:
        return self.choices

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> str:
        allowed = self.allowed(track_type)
        if not isinstance(value, str) or value not in allowed:
            shown = repr(value)[:40] if isinstance(value, str) else type(value).__name__
            raise self.fail(f"must be one of {', '.join(a for a in allowed if a)}, not {shown}")
        return value


@dataclass(frozen=True)
class Kind(Choice):
    """A segment kind: the kinds of its track type (``KINDS``), or ``""`` for the track's default."""

    def allowed(self, track_type: int | None) -> tuple[str, ...]:
        if track_type is None:
            return ("", *(kind for kinds in KINDS.values() for kind in kinds))
        return ("", *KINDS.get(track_type, ()))


@dataclass(frozen=True)
class Flag(Field):
    type_name = "bool"

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> bool:
        if not isinstance(value, bool):
            raise self.fail("must be true or false")
        return value


@dataclass(frozen=True)
class Text(Field):
    """A string of at most ``max_chars`` characters; ``what`` says what it is in errors."""

    max_chars: int = MAX_TEXT_CHARS
    what: str = "the text"
    type_name = "str"

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> str:
        if not isinstance(value, str):
            raise self.fail(f"({self.what}) must be a string")
        if len(value) > self.max_chars:
            raise FieldError(f"'{self.key}' is {len(value)} characters; at most {self.max_chars}")
        return value


@dataclass(frozen=True)
class MediaId(Field):
    type_name = "str"

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail("(a media id) is required")
        return value


@dataclass(frozen=True)
class Colour(Field):
    """``#rrggbb`` or a colour name of ``nemo_nb.draft.colours.COLOURS``; read as ``#rrggbb``."""

    type_name = "str"

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> str:
        hexed = colour_hex(value)
        if hexed is None:
            raise self.fail("must be #rrggbb or a colour name like white, yellow, black")
        return hexed


@dataclass(frozen=True)
class LanguageCode(Field):
    """An ISO 639-1 code, maybe with a region (``"pt-BR"``); read in lower case; ``""`` means none."""

    type_name = "str"

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> str | None:
        return None if value == "" else language_code(value, f"'{self.key}'")


@dataclass(frozen=True)
class Structured(Field):
    """A metadata object or list, checked by its own function."""

    checker: Callable[[Any], Any] | None = None
    type_name = "object"

    def check(self, value: Any, track_type: int | None = None, duration: int | None = None) -> Any:
        return value if self.checker is None else self.checker(value)


def language_code(value: Any, where: str = "language") -> str:
    """A checked language code (``"es"``, ``"pt-BR"``), lower-cased; ``FieldError`` otherwise."""
    if not isinstance(value, str) or not LANGUAGE_CODE.fullmatch(value):
        shown = repr(value)[:40] if isinstance(value, str) else type(value).__name__
        raise FieldError(f"{where} must be a language code such as \"es\" or \"pt-BR\", not {shown}")
    return value.lower().replace("_", "-")


SEGMENT_FIELDS: Mapping[str, Field] = {field.key: field for field in (
    Label("id", "id", "segment id; diffs match segments by it"),
    Kind("k", "kind", "what the segment is: video or image (video track), voiceover, music or audio "
                      "(audio track), title or caption (text track)"),
    Number("st", "start", "start on the timeline, ms"),
    Number("d", "duration", "duration on the timeline, ms (a documented key)", lo=1),
    MediaId("src", "media", "media id (med_…) of an upload or a generated file", _MEDIA),
    Label("url", "link", "where that media can be fetched", _MEDIA),
    Number("ss", "in-point", "in-point inside the source, ms (trimming)", _MEDIA),
    Label("n", "name", "label shown in summaries"),
    Number("v", "volume", "volume in percent; on a video, its own sound", _MEDIA, hi=MAX_VOLUME),
    Text("tx", "text", "the text drawn", (TEXT,)),
    Choice("pos", "position", "where the text sits: top, center, bottom or a corner (top-left, …)", (TEXT,),
           choices=POSITIONS),
    Colour("c", "colour", "text colour: #rrggbb or a colour name", (TEXT,)),
    Number("fs", "font size", "font size in px at the canvas height", (TEXT,), lo=FONT_PX[0], hi=FONT_PX[1]),
    Number("fi", "fade in", "fade in, ms, at most the duration", (AUDIO,), up_to_duration=True),
    Number("fo", "fade out", "fade out, ms, at most the duration", (AUDIO,), up_to_duration=True),
    Flag("duck", "ducking", "lower this sound under speech (music); on a video, its own sound under the "
                            "speech of the language being mixed (dubbing)", _MEDIA),
    LanguageCode("lang", "language", "the language whose speech this audio is; without it the audio is "
                                     "shared by every language", (AUDIO,)),
    Choice("box", "overlay corner", "a picture-in-picture: drawn over the video in this corner (top-left, top-right, "
                                    "bottom-left, bottom-right) instead of one after another", (VIDEO,),
           choices=CORNERS),
    Number("sc", "overlay size", "a picture-in-picture's width, percent of the frame's width", (VIDEO,), lo=10,
           hi=100),
)}
CANVAS_FIELDS: Mapping[str, Field] = {field.key: field for field in (
    Number("w", "width", "output width, px", (), lo=CANVAS_PX[0], hi=CANVAS_PX[1]),
    Number("h", "height", "output height, px", (), lo=CANVAS_PX[0], hi=CANVAS_PX[1]),
    Choice("fit", "fit", "blur: the whole picture over a blurred, darkened copy of itself (the default); fit: the "
                         "whole picture, with black bars; fill: cropped to cover the frame where its content is", (),
           choices=FITS),
)}


def check_field(key: str, value: Any, track_type: int | None, duration: int | None = None) -> Any:
    """Check one segment value as a setter writes it (``FieldError`` names the key); a known
    ``track_type`` must be one the field belongs on."""
    field = SEGMENT_FIELDS.get(key)
    if field is None:
        raise FieldError(f"'{key}' is not a field of the draft schema (nemo_nb.draft.fields)")
    if track_type is not None and track_type not in field.tracks:
        raise FieldError(f"'{key}' does not belong on a {TRACK_TYPES.get(track_type, 'other')} track")
    return field.check(value, track_type, duration)


def check_segment(raw: Mapping[str, Any], track_type: int, *, passive: bool = False) -> None:
    """Check every schema field ``raw`` has for its track type (not the passive ones unless ``passive``).

    Missing and null values are not checked here: the reader decides their defaults."""
    duration = None
    for key, field in SEGMENT_FIELDS.items():
        value = raw.get(key)
        if value is None or track_type not in field.tracks or (field.passive and not passive):
            continue
        checked = field.check(value, track_type, duration)
        if key == "d":
            duration = checked
    if duration is not None and isinstance(start := raw.get("st"), (int, float)):
        check_end(round(start), duration)


def check_end(start_ms: int, duration_ms: int) -> None:
    if start_ms + duration_ms > MAX_DURATION_MS:
        raise FieldError("ends after 4 h")


def check_canvas(raw: Any) -> tuple[int, int, str]:
    """``m.canvas`` as (width, height, fit); ``FieldError`` when it is not a canvas the renderer makes."""
    if not isinstance(raw, Mapping):
        raise FieldError("m.canvas must be an object like {\"w\": 1080, \"h\": 1920, \"fit\": \"fit\"}")
    try:
        width, height = CANVAS_FIELDS["w"].read(raw), CANVAS_FIELDS["h"].read(raw)
        fit = CANVAS_FIELDS["fit"].read(raw, default=DEFAULT_FIT)
    except FieldError as exc:
        raise FieldError(f"m.canvas: {exc}") from None
    if width * height > MAX_CANVAS_AREA:
        raise FieldError(f"m.canvas {width}x{height} is larger than 3840x2160")
    return width, height, fit


def check_loudness(value: Any, where: str = "m.loudness") -> float | None:
    """A loudness target: LUFS in ``LOUDNESS_RANGE``, or ``"off"`` (None); ``FieldError`` otherwise."""
    if value is False or (isinstance(value, str) and value.strip().lower() in ("off", "none", "false")):
        return None
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not number or not LOUDNESS_RANGE[0] <= value <= LOUDNESS_RANGE[1]:
        shown = f"{value:g}" if number and abs(value) < 1e15 else "not one"  # NaN and huge numbers too
        raise FieldError(f"{where} must be a loudness in LUFS from {LOUDNESS_RANGE[0]:g} to {LOUDNESS_RANGE[1]:g} "
                         f"such as -14, or \"off\" ({shown})")
    return float(value)


def check_languages(value: Any) -> tuple[str, ...]:
    """``m.languages``: a list of language codes, at most ``MAX_LANGUAGES``, lower-cased."""
    if not isinstance(value, list):
        raise FieldError('m.languages must be a list of language codes like ["es", "fr", "de"]')
    codes = tuple(dict.fromkeys(language_code(code, "each of m.languages") for code in value))
    check_language_count(len(codes))
    return codes


def check_language_count(count: int) -> None:
    if count > MAX_LANGUAGES:
        raise FieldError(f"the draft has {count} languages; at most {MAX_LANGUAGES} can be rendered")


def check_script(value: Any) -> dict[str, Any]:
    """``m.voiceover`` or one language of ``m.dub``: an object whose ``cues`` are ``[start_ms, end_ms, text]``."""
    if not isinstance(value, dict):
        raise FieldError("a script must be an object with 'cues'")
    if value.get("language") is not None:
        language_code(value["language"], "the script's language")
    for cue in value.get("cues") or []:
        if not (isinstance(cue, list) and len(cue) == 3 and isinstance(cue[2], str)
                and all(isinstance(t, int) and not isinstance(t, bool) and t >= 0 for t in cue[:2])
                and cue[0] <= cue[1]):
            raise FieldError(f"a cue is [start_ms, end_ms, text], not {str(cue)[:60]}")
    return value


def check_dubs(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FieldError("m.dub must be an object of language → script")
    for language, script in value.items():
        language_code(language, "each language of m.dub")
        check_script(script)
    return value


META_FIELDS: Mapping[str, Field] = {field.key: field for field in (
    Structured("canvas", "canvas", "output size and fit: {w, h, fit} (CANVAS_FIELDS)", (), check_canvas),
    Structured("loudness", "loudness", "the exports' loudness in LUFS (-40..-5) or \"off\"; -14 when absent", (),
               check_loudness),
    Structured("languages", "languages", "the order of a dubbed draft's audio tracks (language codes); languages "
                                         "found only on segments follow in order of appearance", (), check_languages),
    Structured("voiceover", "voiceover", "the voiceover the agent made: language, voice, pace, srt (media id) "
                                         "and cues [[start_ms, end_ms, text], …], so captions can follow it", (),
               check_script),
    Structured("dub", "dubs", "per language code: origin of the translation, srt and cues of its dub", (),
               check_dubs),
)}
