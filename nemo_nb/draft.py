"""The timeline ("draft"): the one model shared by the client and the embedded backend.

The cloud documents only a few short keys: ``t`` tracks, ``tt`` track type (0 video, 1 audio/BGM,
7 text/title), ``sg`` segments, ``d`` duration in ms, ``m`` metadata. Everything else below is
*nemo_nb's own* segment vocabulary, used by the embedded backend (``OWN_SEGMENT_FIELDS``). Unknown
keys are always kept and passed back unchanged, so a cloud draft survives a round trip.

Segment fields of our own (all optional):

====== ======= ==========================================================
key    type    meaning
====== ======= ==========================================================
id     str     segment id
k      str     kind: video, image, voiceover, music, audio, title, caption
st     int     start on the timeline, ms
d      int     duration on the timeline, ms (documented key)
src    str     media id (``med_…``) of an upload or generated file
url    str     where that media can be fetched
ss     int     in-point inside the source, ms (trimming)
n      str     label shown in summaries
v      int     volume in percent (audio; for video: its own sound)
fi/fo  int     fade in / fade out, ms (audio)
duck   bool    lower this audio under speech (music); on a video: its own sound
               under the speech of the language being mixed (dubbing)
lang   str     audio only: the language (ISO 639-1, e.g. "es") whose speech this is;
               without it the audio is shared by every language. ``m.languages``
               orders the language tracks (default: order of first appearance)
tx     str     text (text tracks)
pos    str     top, center or bottom (text)
c      str     text colour (name or #rrggbb)
fs     int     font size in px at the canvas height (text)
====== ======= ==========================================================

Draft metadata of our own: ``m.canvas = {"w": 1920, "h": 1080, "fit": "blur" | "fit" | "fill"}`` (a clip of
another shape: over a blurred copy of itself, the default; with black bars; or cropped); ``m.loudness`` (the
exports' loudness in LUFS, -40..-5, or ``"off"``; -14 when absent);
``m.languages`` (the order of a dubbed draft's audio tracks); ``m.voiceover`` and ``m.dub`` (the
scripts and caption cues the agent made, so captions and dubs can follow them).

Views for people: ``tracks_df()`` / ``segments_df()`` (pandas, imported on first use), ``summary()``
(the one-line timeline of the protocol) and ``diff(before)`` (what an edit changed, in sentences).
"""
from __future__ import annotations

import copy
import math
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

VIDEO, AUDIO, TEXT = 0, 1, 7
TRACK_TYPES = {VIDEO: "video", AUDIO: "audio", TEXT: "text"}

OWN_SEGMENT_FIELDS = (
    "id", "k", "st", "d", "src", "url", "ss", "n", "v", "fi", "fo", "duck", "lang", "tx", "pos", "c", "fs",
)

CANVAS_PRESETS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)}

TRACK_COLUMNS = ("track", "type", "name", "segments", "start_s", "end_s", "volume")
SEGMENT_COLUMNS = (
    "track", "type", "kind", "start_s", "end_s", "duration_s", "label", "volume", "source_in_s",
    "text", "src", "id",
)
NAMED_IN_SUMMARY = 3  # segment names shown per track before "+N more"
SHORT_TEXT = 40  # characters of a label or text shown in summaries and diffs
STYLE_FIELDS = {
    "k": "kind", "pos": "position", "c": "colour", "fs": "font size", "fi": "fade in",
    "fo": "fade out", "duck": "ducking", "lang": "language",
}


def _int(value: Any, default: int = 0) -> int:
    """A tolerant int: numbers and numeric strings, else ``default``."""
    if type(value) is int:  # the common case, first: views read 10,000s of these
        return value
    if isinstance(value, bool):
        return default
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            return default
    if isinstance(value, (int, float)):
        return int(value) if math.isfinite(value) else default
    return default


class Segment:
    """One segment: a view over its dict, so unknown keys stay untouched."""

    __slots__ = ("raw",)

    def __init__(self, raw: dict[str, Any]):
        self.raw = raw

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)

    @property
    def kind(self) -> str:
        return str(self.raw.get("k") or "")

    @property
    def start_ms(self) -> int:
        return max(0, _int(self.raw.get("st")))

    @property
    def duration_ms(self) -> int:
        return max(0, _int(self.raw.get("d")))

    @property
    def end_ms(self) -> int:
        return self.start_ms + self.duration_ms

    @property
    def source_in_ms(self) -> int:
        return max(0, _int(self.raw.get("ss")))

    @property
    def volume(self) -> int | None:
        v = self.raw.get("v")
        return None if v is None else max(0, _int(v, 100))

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
        return _int(self.raw.get("tt"), -1)

    @property
    def type_name(self) -> str:
        return TRACK_TYPES.get(self.type, "other")

    @property
    def name(self) -> str:
        return str(self.raw.get("n") or "")

    @property
    def segments(self) -> list[Segment]:
        return [Segment(s) for s in self.raw["sg"] if isinstance(s, dict)]

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

    def add(self, segment: Mapping[str, Any]) -> Segment:
        raw = dict(segment)
        self.raw["sg"].append(raw)
        return Segment(raw)

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

    @property
    def duration_ms(self) -> int:
        """``d`` when present, else the end of the last segment."""
        declared = _int(self.raw.get("d"))
        return declared or max((s.end_ms for _, s in self.segments()), default=0)

    @property
    def canvas(self) -> dict[str, Any] | None:
        canvas = self.raw["m"].get("canvas")
        return canvas if isinstance(canvas, dict) else None

    @property
    def is_renderable(self) -> bool:
        """Export is possible when at least one track has a non-empty ``sg``."""
        return any(track.raw["sg"] for track in self.tracks)

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(self.raw)

    # -- views ---------------------------------------------------------------------------------
    def tracks_df(self) -> pd.DataFrame:
        """One row per track: ``track`` (1-based), type, name, segments, start_s, end_s, volume."""
        rows = []
        for number, track in enumerate(self.tracks, 1):
            start, end = track.span_ms or (None, None)
            rows.append((number, track.type_name, track.name, len(track.segments),
                         _seconds(start), _seconds(end), track.volume))
        return _frame(TRACK_COLUMNS, rows)

    def segments_df(self) -> pd.DataFrame:
        """One row per segment; columns ``SEGMENT_COLUMNS`` (``track`` is 1-based)."""
        rows = []
        for number, track in enumerate(self.tracks, 1):
            type_name = track.type_name
            rows += [_segment_row(number, type_name, segment) for segment in track.segments]
        return _frame(SEGMENT_COLUMNS, rows)

    def summary(self) -> str:
        """One line: ``Timeline (2 tracks): 1. Video: city (0-10s) 2. BGM: Lo-fi (0-10s, 35%)``."""
        tracks = self.tracks
        if not tracks:
            return "Timeline (0 tracks): empty"
        noun = "track" if len(tracks) == 1 else "tracks"
        items = " ".join(f"{i}. {t.label}: {_track_body(t)}" for i, t in enumerate(tracks, 1))
        return f"Timeline ({len(tracks)} {noun}): {items}"

    def diff(self, before: Draft) -> list[str]:
        """What changed from ``before`` to this draft, in plain sentences; ``[]`` when nothing did."""
        changes = _canvas_changes(before.canvas, self.canvas)
        old, new = _keyed_tracks(before), _keyed_tracks(self)
        changes += [f"Removed the {t.label} track." for key, t in old.items() if key not in new]
        for key, track in new.items():
            changes += _track_changes(old.get(key), track)
        if before.duration_ms != self.duration_ms:
            changes.append(f"Duration {_secs(before.duration_ms)}s → {_secs(self.duration_ms)}s.")
        return changes

    # -- editing (used by the embedded backend's agent) ----------------------------------------
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

    def set_canvas(self, width: int, height: int, fit: str = "blur") -> None:
        self.raw["m"]["canvas"] = {"w": int(width), "h": int(height), "fit": fit}

    def refresh_duration(self) -> int:
        """Set ``d`` to the end of the last segment and return it."""
        self.raw["d"] = max((s.end_ms for _, s in self.segments()), default=0)
        return self.raw["d"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Draft) and self.raw == other.raw

    def __repr__(self) -> str:
        count = len(self.raw["t"])
        return f"Draft({count} track{'' if count == 1 else 's'}, {self.duration_ms / 1000:.1f}s)"


# -- helpers of the views ---------------------------------------------------------------------------
def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _segment_row(track_number: int, type_name: str, seg: Segment) -> tuple[Any, ...]:
    start, duration = seg.start_ms, seg.duration_ms
    return (track_number, type_name, seg.kind, start / 1000, (start + duration) / 1000,
            duration / 1000, seg.label, seg.volume, seg.source_in_ms / 1000, seg.text, seg.src, seg.id)


def _frame(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """A DataFrame built column by column, with the same dtypes whether or not there are rows."""
    import pandas as pd

    values = list(zip(*rows)) if rows else [()] * len(columns)
    return pd.DataFrame({
        name: pd.Series(list(column), dtype=_dtype(name, empty=not rows))
        for name, column in zip(columns, values)
    })


def _dtype(column: str, *, empty: bool) -> str | None:
    """Nullable integers for counts and volumes, floats for seconds, text inferred (object when empty)."""
    if column in ("track", "volume"):
        return "Int64"
    if column == "segments":
        return "int64"
    if column.endswith("_s"):
        return "float64"
    return "object" if empty else None


def _secs(ms: int) -> str:
    """Seconds, whole when whole, else one decimal: ``10``, ``2.5``."""
    text = f"{ms / 1000:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _span(start_ms: int, end_ms: int) -> str:
    return f"{_secs(start_ms)}-{_secs(end_ms)}s"


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHORT_TEXT else text[:SHORT_TEXT - 1] + "…"


def _segment_name(track_type: int, seg: Segment) -> str:
    """A segment as summaries show it: its label, or its text in double quotes on a text track."""
    if track_type == TEXT:
        return f'"{_short(seg.text or seg.label)}"'
    return _short(seg.label) or "untitled"


def _track_body(track: Track) -> str:
    """``city timelapse (0-10s)``, ``Lo-fi (0-10s, 35%)``, ``a, b, c +2 more (0-30s)`` or ``empty``."""
    segments = track.segments
    if not segments:
        return "empty"
    names = ", ".join(_segment_name(track.type, s) for s in segments[:NAMED_IN_SUMMARY])
    if len(segments) > NAMED_IN_SUMMARY:
        names += f" +{len(segments) - NAMED_IN_SUMMARY} more"
    details = [_span(*(track.span_ms or (0, 0)))]
    if track.type == AUDIO and track.volume not in (None, 100):
        details.append(f"{track.volume}%")
    return f"{names} ({', '.join(details)})"


def _canvas_text(canvas: dict[str, Any] | None) -> str | None:
    if canvas is None:
        return None
    text = f"{_int(canvas.get('w'))}x{_int(canvas.get('h'))}"
    fit = canvas.get("fit")
    return text if fit in (None, "fit", "blur") else f"{text} ({fit})"


def _canvas_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    before, after = _canvas_text(old), _canvas_text(new)
    if before == after:
        return []
    if before is None:
        return [f"Canvas set to {after}."]
    if after is None:
        return [f"Canvas setting removed (was {before})."]
    return [f"Canvas changed from {before} to {after}."]


def _keyed_tracks(draft: Draft) -> dict[tuple[Any, ...], Track]:
    """Tracks keyed by their ``id`` when they have one, else by type and rank within that type."""
    keyed: dict[tuple[Any, ...], Track] = {}
    ranks: dict[int, int] = {}
    for track in draft.tracks:
        track_id = track.raw.get("id")
        if isinstance(track_id, str) and track_id:
            key: tuple[Any, ...] = ("id", track_id)
        else:
            ranks[track.type] = ranks.get(track.type, 0) + 1
            key = ("tt", track.type, ranks[track.type])
        keyed.setdefault(key, track)
    return keyed


def _match_segments(
    old: list[Segment], new: list[Segment],
) -> tuple[list[tuple[Segment, Segment]], list[Segment], list[Segment]]:
    """(pairs, removed, added): matched by ``id``, segments without one by position among themselves."""
    by_id: dict[str, Segment] = {}
    for seg in old:
        if seg.id is not None:
            by_id.setdefault(seg.id, seg)
    without_id = iter([s for s in old if s.id is None])
    pairs, added = [], []
    for seg in new:
        match = by_id.pop(seg.id, None) if seg.id is not None else next(without_id, None)
        if match is None:
            added.append(seg)
        else:
            pairs.append((match, seg))
    paired = {id(a.raw) for a, _ in pairs}
    return pairs, [s for s in old if id(s.raw) not in paired], added


def _article(word: str) -> str:
    return "an" if word[:1] in "AEIOU" else "a"


def _track_changes(old: Track | None, new: Track) -> list[str]:
    if old is None:
        if not new.segments:
            return [f"Added an empty {new.label} track."]
        return [f"Added {_article(new.label)} {new.label} track: {_track_body(new)}."]
    pairs, removed, added = _match_segments(old.segments, new.segments)
    several = len(old.segments) > 1 or len(new.segments) > 1
    changes = [f"{new.label}: removed {_segment_name(old.type, s)}." for s in removed]
    for before, after in pairs:
        subject = f"{new.label} ({_segment_name(old.type, before)})" if several else new.label
        changes += _segment_changes(subject, before, after)
    changes += [f"{new.label}: added {_segment_name(new.type, s)} ({_span(s.start_ms, s.end_ms)})."
                for s in added]
    return changes


def _segment_changes(subject: str, old: Segment, new: Segment) -> list[str]:
    changes = []
    if (old.start_ms, old.duration_ms, old.source_in_ms) != (new.start_ms, new.duration_ms, new.source_in_ms):
        moved = (old.duration_ms, old.source_in_ms) == (new.duration_ms, new.source_in_ms)
        changes.append(f"{subject}: {'moved' if moved else 'trimmed'} to {_span(new.start_ms, new.end_ms)}.")
    old_volume, new_volume = _volume(old), _volume(new)
    if old_volume != new_volume:
        changes.append(f"{subject} volume {old_volume}% → {new_volume}%.")
    if old.text != new.text:
        changes.append(f'{subject} text "{_short(old.text)}" → "{_short(new.text)}".')
    if old.src != new.src:
        before, after = _short(old.label) or "the media", _short(new.label) or "new media"
        changes.append(f"{subject}: replaced {before} with {after}.")
    style = [name for key, name in STYLE_FIELDS.items() if old.get(key) != new.get(key)]
    if style:
        changes.append(f"{subject}: changed {', '.join(style)}.")
    return changes


def _volume(seg: Segment) -> int:
    return 100 if seg.volume is None else seg.volume
