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
duck   bool    lower this audio under speech (music)
tx     str     text (text tracks)
pos    str     top, center or bottom (text)
c      str     text colour (name or #rrggbb)
fs     int     font size in px at the canvas height (text)
====== ======= ==========================================================

Draft metadata of our own: ``m.canvas = {"w": 1920, "h": 1080, "fit": "fit" | "fill"}``.
"""
from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from typing import Any

VIDEO, AUDIO, TEXT = 0, 1, 7
TRACK_TYPES = {VIDEO: "video", AUDIO: "audio", TEXT: "text"}

OWN_SEGMENT_FIELDS = (
    "id", "k", "st", "d", "src", "url", "ss", "n", "v", "fi", "fo", "duck", "tx", "pos", "c", "fs",
)

CANVAS_PRESETS = {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1080, 1080)}


def _int(value: Any, default: int = 0) -> int:
    """A tolerant int: numbers and numeric strings, else ``default``."""
    if isinstance(value, bool):
        return default
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return default
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

    def set_canvas(self, width: int, height: int, fit: str = "fit") -> None:
        self.raw["m"]["canvas"] = {"w": int(width), "h": int(height), "fit": fit}

    def refresh_duration(self) -> int:
        """Set ``d`` to the end of the last segment and return it."""
        self.raw["d"] = max((s.end_ms for _, s in self.segments()), default=0)
        return self.raw["d"]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Draft) and self.raw == other.raw

    def __repr__(self) -> str:
        return f"Draft({len(self.raw['t'])} tracks, {self.duration_ms / 1000:.1f}s)"
