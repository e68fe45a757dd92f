"""The timeline model: Draft → Track → Segment, views over the draft's JSON with typed builders and setters.

Reading is tolerant (odd values read as defaults, unknown keys are kept and passed back unchanged);
writing goes through the builders (``Track.add_video`` / ``add_audio`` / ``add_text``) and setters,
which check every value against the field schema (``nemo_nb.draft.fields``) and raise ``FieldError``.
``Track.add`` appends a segment as it is, unchecked (a cloud segment passing through).
"""
from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal, overload

from nemo_nb.draft import diff as _diff
from nemo_nb.draft import views as _views
from nemo_nb.draft.fields import (
    AUDIO,
    DEFAULT_FIT,
    META_FIELDS,
    TEXT,
    TRACK_TYPES,
    VIDEO,
    FieldError,
    check_field,
    check_segment,
)
from nemo_nb.draft.views import as_int

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from nemo_nb.widgets.timeline import TimelineWidget

Cue = tuple[int, int, str]  # start_ms, end_ms, text


def new_segment_id() -> str:
    return f"seg_{uuid.uuid4().hex[:8]}"


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


class Segment:
    """One segment: a view over its dict, so unknown keys stay untouched. ``track_type`` is its track's."""

    __slots__ = ("raw", "track_type")

    def __init__(self, raw: dict[str, Any], track_type: int | None = None):
        self.raw = raw
        self.track_type = track_type

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @property
    def kind(self) -> str:
        return str(self.raw.get("k") or "")

    @property
    def start_ms(self) -> int:
        return max(0, as_int(self.raw.get("st")))

    @property
    def duration_ms(self) -> int:
        return max(0, as_int(self.raw.get("d")))

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.duration_ms

    @property
    def source_in_ms(self) -> int:
        return max(0, as_int(self.raw.get("ss")))

    @property
    def volume(self) -> int | None:
        v = self.raw.get("v")
        return None if v is None else max(0, as_int(v, 100))

    @property
    def label(self) -> str:
        return str(self.raw.get("n") or self.raw.get("tx") or self.kind or "")

    @property
    def id(self) -> str | None:
        return _str_or_none(self.raw.get("id"))

    @property
    def text(self) -> str:
        return _str_or_none(self.raw.get("tx")) or ""

    @property
    def src(self) -> str | None:
        return _str_or_none(self.raw.get("src"))

    # -- setters: checked against the schema ------------------------------------------------------
    def set(self, key: str, value: Any) -> None:
        """Set a schema field (checked; ``FieldError`` names the key); ``None`` removes it."""
        if value is None:
            self.raw.pop(key, None)
            return
        duration = self.raw.get("d") if key != "d" else None
        check_field(key, value, self.track_type, duration if type(duration) is int else None)
        self.raw[key] = value

    def set_volume(self, percent: int) -> None:
        """The volume in percent (on a video: its own sound)."""
        self.set("v", percent)

    def set_duck(self, duck: bool) -> None:
        """Lower this sound under speech (on a video: its own sound under the dub being mixed)."""
        self.set("duck", duck)

    def set_lang(self, language: str | None) -> None:
        """The language whose speech this audio is; ``None``: shared by every language."""
        self.set("lang", language)

    def retimed(self, *, start_ms: int | None = None, duration_ms: int | None = None, in_ms: int | None = None,
                new_id: bool = False) -> Segment:
        """A copy (unknown keys kept) with another start, duration or in-point, and a fresh id if asked."""
        raw = dict(self.raw)
        if new_id:
            raw["id"] = new_segment_id()
        for key, value in (("st", start_ms), ("d", duration_ms), ("ss", in_ms)):
            if value is not None:
                raw[key] = check_field(key, value, None)
        return Segment(raw, self.track_type)

    def __repr__(self) -> str:
        return f"Segment({self.kind or '?'} {self.start_ms}-{self.end_ms}ms {self.label!r})"


class Track:
    """One track of a draft: its type (``tt``) and segments (``sg``)."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw
        if not isinstance(raw.get("sg"), list):
            raw["sg"] = []

    @property
    def type(self) -> int:
        return as_int(self.raw.get("tt"), -1)

    @property
    def type_name(self) -> str:
        return TRACK_TYPES.get(self.type, "other")

    @property
    def name(self) -> str:
        return str(self.raw.get("n") or "")

    @property
    def segments(self) -> list[Segment]:
        track_type = self.type
        return [Segment(s, track_type) for s in self.raw["sg"] if isinstance(s, dict)]

    @property
    def kind(self) -> str:
        """The first segment kind set on this track, else ``""``."""
        return next((s.kind for s in self.segments if s.kind), "")

    @property
    def label(self) -> str:
        """The summary's name: Video, BGM, Voiceover, Audio, Title, Captions, Text or Track."""
        track_type, kind = self.type, self.kind
        if track_type == VIDEO:
            return "Video"
        if track_type == AUDIO:
            if kind == "music" or any(w in self.name.lower() for w in ("music", "bgm")):
                return "BGM"
            return "Voiceover" if kind == "voiceover" else "Audio"
        if track_type == TEXT:
            return {"": "Title", "title": "Title", "caption": "Captions"}.get(kind, "Text")
        return "Track"

    @property
    def volume(self) -> int | None:
        """The first segment volume set on this track, ``None`` when none is."""
        return next((s.volume for s in self.segments if s.volume is not None), None)

    @property
    def span_ms(self) -> tuple[int, int] | None:
        """(first start, last end) over the segments; ``None`` without segments."""
        segments = self.segments
        if not segments:
            return None
        return min(s.start_ms for s in segments), max(s.end_ms for s in segments)

    # -- writing -----------------------------------------------------------------------------------
    def add(self, segment: Mapping[str, Any]) -> Segment:
        """Append a segment as it is, unchecked (a cloud segment passing through)."""
        raw = dict(segment)
        self.raw["sg"].append(raw)
        return Segment(raw, self.type)

    def add_video(self, kind: str, start_ms: int, duration_ms: int, *, src: str, url: str = "", in_ms: int = 0,
                  name: str | None = None, volume: int = 100, duck: bool | None = None,
                  segment_id: str | None = None) -> Segment:
        """A video or image (``kind``) on this video track; ``volume`` is its own sound's."""
        return self._build(VIDEO, segment_id, k=kind, st=start_ms, d=duration_ms, src=src, url=url, ss=in_ms,
                           n=name, v=volume, duck=duck)

    def add_audio(self, kind: str, start_ms: int, duration_ms: int, *, src: str, url: str = "", in_ms: int = 0,
                  name: str | None = None, volume: int = 100, fade_in_ms: int | None = None,
                  fade_out_ms: int | None = None, duck: bool | None = None, lang: str | None = None,
                  segment_id: str | None = None) -> Segment:
        """A voiceover, music or audio clip (``kind``) on this audio track; ``lang``: whose speech it is."""
        return self._build(AUDIO, segment_id, k=kind, st=start_ms, d=duration_ms, src=src, url=url, ss=in_ms,
                           n=name, v=volume, fi=fade_in_ms, fo=fade_out_ms, duck=duck, lang=lang)

    def add_text(self, kind: str, text: str, start_ms: int, duration_ms: int, *, pos: str | None = None,
                 colour: str | None = None, font_px: int | None = None, name: str | None = None,
                 segment_id: str | None = None) -> Segment:
        """A title or caption (``kind``) on this text track; ``name`` defaults to the text."""
        return self._build(TEXT, segment_id, k=kind, st=start_ms, d=duration_ms, tx=text,
                           n=text if name is None else name, pos=pos, c=colour, fs=font_px)

    def _build(self, track_type: int, segment_id: str | None, **values: Any) -> Segment:
        if self.type != track_type:
            raise FieldError(f"a {TRACK_TYPES[track_type]} segment cannot go on a {self.type_name} track")
        raw = {"id": segment_id or new_segment_id(),
               **{key: value for key, value in values.items() if value is not None}}
        check_segment(raw, track_type, passive=True)
        self.raw["sg"].append(raw)
        return Segment(raw, track_type)

    def set_volume(self, percent: int) -> None:
        """Every segment's volume."""
        for segment in self.segments:
            segment.set_volume(percent)

    def remove_segments(self, predicate: Callable[[Segment], bool]) -> int:
        """Drop the segments ``predicate`` picks; returns how many went."""
        track_type, before = self.type, len(self.raw["sg"])
        self.raw["sg"] = [s for s in self.raw["sg"] if not (isinstance(s, dict) and predicate(Segment(s, track_type)))]
        return before - len(self.raw["sg"])

    def set_segments(self, segments: Iterable[Segment]) -> None:
        """Replace the segments (e.g. by retimed copies)."""
        self.raw["sg"] = [segment.raw for segment in segments]

    def __repr__(self) -> str:
        return f"Track({self.type_name} {self.name!r}, {len(self.raw['sg'])} segments)"


class Draft:
    """A timeline. ``Draft(json_dict)`` copies the dict; ``to_json()`` gives it back, unknown keys kept."""

    def __init__(self, raw: Mapping[str, Any] | None = None):
        data = copy.deepcopy(dict(raw)) if isinstance(raw, Mapping) else {}
        if not isinstance(data.get("t"), list):
            data["t"] = []
        if not isinstance(data.get("m"), dict):
            data["m"] = {}
        data["t"] = [t for t in data["t"] if isinstance(t, dict)]
        self.raw: dict[str, Any] = data

    # -- reading -------------------------------------------------------------------------------
    @property
    def tracks(self) -> list[Track]:
        return [Track(t) for t in self.raw["t"]]

    def segments(self) -> Iterator[tuple[Track, Segment]]:
        for track in self.tracks:
            for seg in track.segments:
                yield track, seg

    def segments_of(self, track_type: int) -> list[Segment]:
        """Every segment on the tracks of one type, in track order."""
        return [seg for track in self.tracks if track.type == track_type for seg in track.segments]

    @property
    def duration_ms(self) -> int:
        """``d`` when present, else the end of the last segment."""
        declared = as_int(self.raw.get("d"))
        return declared or max((s.end_ms for _, s in self.segments()), default=0)

    @property
    def canvas(self) -> dict[str, Any] | None:
        return self._meta_dict("canvas")

    @property
    def voiceover(self) -> dict[str, Any] | None:
        """``m.voiceover``: the agent's voiceover script (language, voice, srt, cues), if any."""
        return self._meta_dict("voiceover")

    def dub(self, language: str) -> dict[str, Any] | None:
        """``m.dub[language]``: that language's dub script (origin, srt, cues), if any."""
        dubs = self._meta_dict("dub") or {}
        found = dubs.get(language)
        return found if isinstance(found, dict) else None

    @property
    def languages(self) -> list[Any]:
        """``m.languages`` as stored (a list), ``[]`` when there is none."""
        listed = self.raw["m"].get("languages")
        return listed if isinstance(listed, list) else []

    @property
    def loudness(self) -> float | str | None:
        """``m.loudness`` as stored: LUFS, ``"off"``, or None (exports then go to -14 LUFS)."""
        value = self.raw["m"].get("loudness")
        return value if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None

    def _meta_dict(self, key: str) -> dict[str, Any] | None:
        value = self.raw["m"].get(key)
        return value if isinstance(value, dict) else None

    @property
    def is_renderable(self) -> bool:
        """Export is possible when at least one track has a non-empty ``sg``."""
        return any(track.raw["sg"] for track in self.tracks)

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(self.raw)

    # -- views ---------------------------------------------------------------------------------
    def tracks_df(self) -> pd.DataFrame:
        """One row per track: ``track`` (1-based), type, name, segments, start_s, end_s, volume."""
        return _views.tracks_df(self)

    def segments_df(self, ids: bool = False) -> pd.DataFrame:
        """One row per segment: track (1-based), type, kind, label, times, text, volume; ``ids=True`` adds
        the media and segment ids (``src``, ``id``) as the last columns."""
        return _views.segments_df(self, ids)

    def widget(self) -> TimelineWidget:
        """This timeline as a live widget (lanes, hover details, a playhead); needs anywidget."""
        from nemo_nb.widgets.timeline import TimelineWidget

        return TimelineWidget(self)

    def summary(self) -> str:
        """One line: ``Timeline (2 tracks): 1. Video: city (0-10s) 2. BGM: Lo-fi (0-10s, 35%)``."""
        return _views.summary(self)

    def diff(self, before: Draft) -> list[str]:
        """What changed from ``before`` to this draft, in plain sentences; ``[]`` when nothing did."""
        return _diff.diff(before, self)

    # -- editing (used by the embedded backend's agent) ----------------------------------------
    @overload
    def track(self, track_type: int, name: str | None = None, *, create: Literal[True] = True) -> Track: ...

    @overload
    def track(self, track_type: int, name: str | None = None, *, create: bool) -> Track | None: ...

    def track(self, track_type: int, name: str | None = None, *, create: bool = True) -> Track | None:
        """The first track of that type (and name, if given); made when missing and ``create``."""
        for track in self.tracks:
            if track.type == track_type and (name is None or track.name == name):
                return track
        if not create:
            return None
        raw: dict[str, Any] = {"tt": track_type, "sg": []}
        if name:
            raw["n"] = name
        self.raw["t"].append(raw)
        return Track(raw)

    def remove_tracks(self, predicate: Callable[[Track], bool]) -> int:
        """Drop the tracks ``predicate`` picks; returns how many went."""
        before = len(self.raw["t"])
        self.raw["t"] = [raw for raw in self.raw["t"] if not predicate(Track(raw))]
        return before - len(self.raw["t"])

    def remove_track(self, track: Track) -> None:
        self.remove_tracks(lambda t: t.raw is track.raw)

    def set_canvas(self, width: int, height: int, fit: str = DEFAULT_FIT) -> None:
        """The output size and fit (checked: ``FieldError`` for a size the renderer does not make)."""
        self._set_meta("canvas", {"w": int(width), "h": int(height), "fit": fit})

    def set_loudness(self, target: float | str) -> None:
        """The exports' loudness: LUFS (-40..-5), or "off" to keep the mix's own levels (``FieldError`` else)."""
        self._set_meta("loudness", target)

    def set_languages(self, languages: Sequence[str]) -> None:
        """The order of a dubbed draft's audio tracks (language codes)."""
        self._set_meta("languages", list(languages))

    def set_voiceover(self, *, language: str, voice: str, srt: str, cues: Iterable[Cue],
                      pace: float | None = None) -> None:
        """Remember the voiceover the agent made, so captions and dubs can follow it."""
        script: dict[str, Any] = {"language": language, "voice": voice}
        if pace is not None:
            script["pace"] = pace
        self._set_meta("voiceover", {**script, "srt": srt, "cues": [[s, e, t] for s, e, t in cues]})

    def remove_voiceover(self) -> None:
        """Forget the voiceover's script (its track was removed)."""
        self.raw["m"].pop("voiceover", None)

    def set_dub(self, language: str, *, origin: str, srt: str, cues: Iterable[Cue]) -> None:
        """Remember one language's dub (where its text came from, its subtitles and cues)."""
        dubs = dict(self._meta_dict("dub") or {})
        dubs[language] = {"origin": origin, "srt": srt, "cues": [[s, e, t] for s, e, t in cues]}
        self._set_meta("dub", dubs)

    def _set_meta(self, key: str, value: Any) -> None:
        META_FIELDS[key].check(value)
        self.raw["m"][key] = value

    def refresh_duration(self) -> int:
        """Set ``d`` to the end of the last segment and return it."""
        duration = max((s.end_ms for _, s in self.segments()), default=0)
        self.raw["d"] = duration
        return duration

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Draft) and self.raw == other.raw

    def __repr__(self) -> str:
        count = len(self.raw["t"])
        return f"Draft({count} track{'' if count == 1 else 's'}, {self.duration_ms / 1000:.1f}s)"
