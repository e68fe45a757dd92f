"""Widgets for the notebook (anywidget views; ``import nemo_nb.widgets`` loads them only when used).

- ``Studio`` (``%nemo studio``, ``s.studio()``): prompt box, streamed reply with tool chips, upload with
  drag-and-drop, timeline, Undo, Export with progress and Cancel, the video, credits, session picker.
- ``TimelineWidget`` (``s.draft.widget()``): lanes and segments, hover details, click for a segment's
  row, a playhead, click-to-seek.
- ``CompareWidget`` (``%%nemo compare --widget``): the variants side by side, one synced Play, and
  "continue with this one".

Every widget drives the notebook's session controller (``nemo_nb.notebook.controller``) and carries a
static snapshot (HTML without style or script, and a PNG of the timeline) for saved notebooks.
"""
from __future__ import annotations

from typing import Any

__all__ = ["CompareWidget", "Studio", "TimelineWidget"]

_LAZY = {"Studio": "nemo_nb.widgets.studio", "TimelineWidget": "nemo_nb.widgets.timeline",
         "CompareWidget": "nemo_nb.widgets.compare"}


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'nemo_nb.widgets' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
