"""The timeline widget: lanes and labelled segments, hover details, click a segment for its row, a
playhead, click-to-seek. ``timeline_state`` is the data both it and the studio draw from."""
from __future__ import annotations

from typing import Any

import traitlets

from nemo_nb.draft import TEXT, Draft
from nemo_nb.notebook.picture import COLOURS, TYPE_COLOURS
from nemo_nb.widgets.base import NemoWidget
from nemo_nb.widgets.snapshot import timeline_snapshot

MAX_SEGMENTS = 2000  # drawn and listed; the summary counts the rest


def segment_row(number: int, track: Any, seg: Any) -> dict[str, Any]:
    """A segment's row of ``Draft.segments_df()`` as a dict (without pandas: the widget redraws often)."""
    return {"track": number, "type": track.type_name, "kind": seg.kind, "label": seg.label,
            "start_s": seg.start_ms / 1000, "end_s": seg.end_ms / 1000, "duration_s": seg.duration_ms / 1000,
            "text": seg.text, "volume": seg.volume, "source_in_s": seg.source_in_ms / 1000}


def timeline_state(draft: Draft) -> dict[str, Any]:
    """``lanes`` (tracks with their segments), ``rows`` (each segment's table row), ``duration``
    (seconds) and ``summary``, as JSON for the browser."""
    lanes, rows, n = [], [], 0
    for number, track in enumerate(draft.tracks, 1):
        default = TYPE_COLOURS.get(track.type, "#888")
        segments = []
        for seg in track.segments:
            if n < MAX_SEGMENTS:
                label = seg.text if track.type == TEXT and seg.text else seg.label
                segments.append({"n": n, "start": seg.start_ms / 1000, "end": seg.end_ms / 1000, "label": label,
                                 "colour": COLOURS.get(seg.kind, default)})
                rows.append(segment_row(number, track, seg))
            n += 1
        lanes.append({"label": f"{number} {track.label}", "segments": segments})
    total_ms = max(draft.duration_ms, max((s.end_ms for _, s in draft.segments()), default=0), 1000)
    return {"lanes": lanes, "rows": rows, "duration": total_ms / 1000, "summary": draft.summary()}


class TimelineTraits(NemoWidget):
    """The synced timeline state (shared by ``TimelineWidget`` and ``Studio``)."""

    lanes: traitlets.List[Any] = traitlets.List([]).tag(sync=True)
    rows: traitlets.List[Any] = traitlets.List([]).tag(sync=True)
    duration = traitlets.Float(1.0).tag(sync=True)
    summary = traitlets.Unicode("").tag(sync=True)
    position = traitlets.Float(0.0).tag(sync=True)   # the playhead, seconds
    selected = traitlets.Int(-1).tag(sync=True)      # the segment clicked (its row), or -1

    def show_draft(self, draft: Draft) -> None:
        self.draft = draft
        state = timeline_state(draft)
        selected = self.selected if 0 <= self.selected < len(state["rows"]) else -1
        self.update(**state, selected=selected)


class TimelineWidget(TimelineTraits):
    """``s.draft.widget()``: a draft's timeline, live. ``position`` is the playhead (seconds)."""

    def __init__(self, draft: Draft | None = None, **kw: Any):
        super().__init__(_kind="timeline", **kw)
        self.draft = draft or Draft()
        self.show_draft(self.draft)

    def snapshot(self) -> dict[str, Any]:
        html, picture = timeline_snapshot(self.draft)
        self.snapshot_metadata = picture.metadata()
        return {"text/plain": self.summary, "text/html": html, "image/png": picture.b64}
