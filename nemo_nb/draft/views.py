"""Views of a draft for people: DataFrames (pandas, imported on first use) and the one-line summary."""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from nemo_nb.draft.fields import AUDIO, TEXT

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from nemo_nb.draft.model import Draft, Segment, Track

TRACK_COLUMNS = ("track", "type", "name", "segments", "start_s", "end_s", "volume")
# What a person reads first: where, what kind, what it is called, when; ids only when asked for.
SEGMENT_COLUMNS = (
    "track", "type", "kind", "label", "start_s", "end_s", "duration_s", "text", "volume", "source_in_s",
)
SEGMENT_ID_COLUMNS = ("src", "id")  # the media id (``med_…``) and the segment's id, last: segments_df(ids=True)
NAMED_IN_SUMMARY = 3  # segment names shown per track before "+N more"
SHORT_TEXT = 40  # characters of a label or text shown in summaries and diffs


def tracks_df(draft: Draft) -> pd.DataFrame:
    """One row per track: ``track`` (1-based), type, name, segments, start_s, end_s, volume."""
    rows = []
    for number, track in enumerate(draft.tracks, 1):
        start, end = track.span_ms or (None, None)
        rows.append((number, track.type_name, track.name, len(track.segments),
                     _seconds(start), _seconds(end), track.volume))
    return _frame(TRACK_COLUMNS, rows)


def segments_df(draft: Draft, ids: bool = False) -> pd.DataFrame:
    """One row per segment; columns ``SEGMENT_COLUMNS`` (``track`` is 1-based), then with ``ids``
    ``SEGMENT_ID_COLUMNS``."""
    rows = []
    for number, track in enumerate(draft.tracks, 1):
        type_name = track.type_name
        rows += [_segment_row(number, type_name, segment, ids) for segment in track.segments]
    return _frame(SEGMENT_COLUMNS + SEGMENT_ID_COLUMNS if ids else SEGMENT_COLUMNS, rows)


def summary(draft: Draft) -> str:
    """One line: ``Timeline (2 tracks): 1. Video: city (0-10s) 2. BGM: Lo-fi (0-10s, 35%)``."""
    tracks = draft.tracks
    if not tracks:
        return "Timeline (0 tracks): empty"
    noun = "track" if len(tracks) == 1 else "tracks"
    items = " ".join(f"{i}. {t.label}: {track_body(t)}" for i, t in enumerate(tracks, 1))
    return f"Timeline ({len(tracks)} {noun}): {items}"


def as_int(value: Any, default: int = 0) -> int:
    """A tolerant int: numbers and numeric strings, else ``default`` (how odd drafts are read)."""
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


def _seconds(ms: int | None) -> float | None:
    return None if ms is None else ms / 1000


def _segment_row(track_number: int, type_name: str, seg: Segment, ids: bool) -> tuple[Any, ...]:
    start, duration = seg.start_ms, seg.duration_ms
    row = (track_number, type_name, seg.kind, seg.label, start / 1000, (start + duration) / 1000,
           duration / 1000, seg.text, seg.volume, seg.source_in_ms / 1000)
    return (*row, seg.src, seg.id) if ids else row


def _frame(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    """A DataFrame built column by column, with the same dtypes whether or not there are rows."""
    import pandas as pd

    values = list(zip(*rows, strict=True)) if rows else [()] * len(columns)
    return pd.DataFrame({
        name: pd.Series(list(column), dtype=_dtype(name, empty=not rows))
        for name, column in zip(columns, values, strict=True)
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


def secs(ms: int) -> str:
    """Seconds, whole when whole, else one decimal: ``10``, ``2.5``."""
    text = f"{ms / 1000:.1f}"
    return text[:-2] if text.endswith(".0") else text


def span(start_ms: int, end_ms: int) -> str:
    return f"{secs(start_ms)}-{secs(end_ms)}s"


def short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SHORT_TEXT else text[:SHORT_TEXT - 1] + "…"


def segment_name(track_type: int, seg: Segment) -> str:
    """A segment as summaries show it: its label, or its text in double quotes on a text track."""
    if track_type == TEXT:
        return f'"{short(seg.text or seg.label)}"'
    return short(seg.label) or "untitled"


def track_body(track: Track) -> str:
    """``city timelapse (0-10s)``, ``Lo-fi (0-10s, 35%)``, ``a, b, c +2 more (0-30s)`` or ``empty``."""
    segments = track.segments
    if not segments:
        return "empty"
    names = ", ".join(segment_name(track.type, s) for s in segments[:NAMED_IN_SUMMARY])
    if len(segments) > NAMED_IN_SUMMARY:
        names += f" +{len(segments) - NAMED_IN_SUMMARY} more"
    details = [span(*(track.span_ms or (0, 0)))]
    if track.type == AUDIO and track.volume not in (None, 100):
        details.append(f"{track.volume}%")
    return f"{names} ({', '.join(details)})"
