"""The timeline ("draft"): the one model shared by the client and the embedded backend.

The cloud documents only a few short keys: ``t`` tracks, ``tt`` track type (0 video, 1 audio/BGM,
7 text/title), ``sg`` segments, ``d`` duration in ms, ``m`` metadata. Every other key nemo_nb writes or
reads is defined once, with its type, range and meaning, in ``nemo_nb.draft.fields`` (``SEGMENT_FIELDS``,
``CANVAS_FIELDS``, ``META_FIELDS``). Unknown keys are always kept and passed back unchanged, so a cloud
draft survives a round trip.

- ``model``: ``Draft`` → ``Track`` → ``Segment``, tolerant readers and the typed, checked writers the
  agent's skills use (``Track.add_video`` / ``add_audio`` / ``add_text``, ``Segment.set_volume`` …,
  ``Draft.set_canvas`` / ``set_languages`` / ``set_voiceover`` / ``set_dub``).
- ``fields``: the schema; the builders and the render check (``nemo_nb.local.media.timeline``) both read it.
- ``colours``, ``languages``: the colour names and the language table shared by the agent, voices and renderer.
- ``views``: ``tracks_df()`` / ``segments_df()`` (pandas, imported on first use) and ``summary()``;
  ``diff``: ``diff(before)``, what an edit changed in sentences.
"""
from __future__ import annotations

from nemo_nb.draft.fields import (
    AUDIO,
    CANVAS_FIELDS,
    CANVAS_PRESETS,
    META_FIELDS,
    SEGMENT_FIELDS,
    TEXT,
    TRACK_TYPES,
    VIDEO,
    Field,
    FieldError,
)
from nemo_nb.draft.model import Cue, Draft, Segment, Track, new_segment_id
from nemo_nb.draft.views import NAMED_IN_SUMMARY, SEGMENT_COLUMNS, SEGMENT_ID_COLUMNS, SHORT_TEXT, TRACK_COLUMNS

__all__ = [
    "AUDIO",
    "CANVAS_FIELDS",
    "CANVAS_PRESETS",
    "META_FIELDS",
    "NAMED_IN_SUMMARY",
    "SEGMENT_COLUMNS",
    "SEGMENT_FIELDS",
    "SEGMENT_ID_COLUMNS",
    "SHORT_TEXT",
    "TEXT",
    "TRACK_COLUMNS",
    "TRACK_TYPES",
    "VIDEO",
    "Cue",
    "Draft",
    "Field",
    "FieldError",
    "Segment",
    "Track",
    "new_segment_id",
]
