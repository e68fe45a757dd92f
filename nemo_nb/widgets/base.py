"""What every nemo widget shares: one ES module, thread-safe state, actions, one-line errors, and a
static snapshot kept up to date in the saved output.

Thread safety: a turn runs on the client's loop thread and updates the widget from there. ipykernel
sends comm messages from any thread (IOPub is thread-safe), but ipywidgets' own bookkeeping (the
property lock that suppresses echoes, ``hold_sync``) is not: so every change, from the loop thread
(``update``) or from the browser (``set_state``), takes the widget's lock.

Snapshot: the widget is shown through a display handle; when its state settles (a turn ends, an
export lands) the output is updated with a fresh bundle — the widget view plus ``text/html`` (no
``<style>``, no ``<script>``), ``text/plain`` and, where a timeline is shown, ``image/png`` — so
GitHub, nbviewer and a closed kernel still show the reply, the timeline picture and a poster.
"""
from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from nemo_nb.notebook.errors import short

STATIC = Path(__file__).parent / "static"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _module() -> str:
    return (STATIC / "nemo.js").read_text(encoding="utf-8")


def one_line(exc: BaseException) -> str:
    """An error as the magics show it: what happened, then what to do, on one line."""
    return " ".join(short(exc).lines())


class NemoWidget(anywidget.AnyWidget):
    """Base of the studio, timeline and compare widgets (``_kind`` picks the view in ``nemo.js``)."""

    _esm = _module()
    _css = (STATIC / "nemo.css").read_text(encoding="utf-8")
    _kind = traitlets.Unicode("").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kw: Any):
        self._lock = threading.RLock()
        self._handle: Any = None
        self.snapshot_metadata: dict[str, Any] = {}  # the image/png size of the last snapshot (CSS pixels)
        self._shown_in: contextvars.Context | None = None
        self._actions: dict[str, Callable[[dict[str, Any], list[Any]], None]] = {}
        super().__init__(**kw)
        self.on_msg(self._on_msg)

    # -- state, from any thread -------------------------------------------------------------------
    def update(self, **values: Any) -> None:
        """Set traits together (one comm message), safely from the loop thread."""
        with self._lock, self.hold_sync():
            for name, value in values.items():
                setattr(self, name, value)

    def set_state(self, sync_data: dict[str, Any]) -> None:
        with self._lock:
            super().set_state(sync_data)

    # -- actions from the browser ------------------------------------------------------------------
    def action(self, name: str, handler: Callable[[dict[str, Any], list[Any]], None]) -> None:
        self._actions[name] = handler

    def _on_msg(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        handler = self._actions.get(str(content.get("type", "")))
        if handler is None:
            return
        try:
            handler(content, buffers)
        except Exception as exc:  # noqa: BLE001 — shown in the widget as the magics' one-line error
            self.fail(exc)

    def fail(self, exc: BaseException) -> None:
        self.update(error=one_line(exc))

    # -- display and the saved snapshot ------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """``text/plain`` and ``text/html`` (and maybe ``image/png``) of the current state."""
        return {"text/plain": type(self).__name__}

    def bundle(self) -> dict[str, Any]:
        data = dict(self.snapshot())
        data[WIDGET_VIEW] = {"version_major": 2, "version_minor": 1, "model_id": self.model_id}
        return data

    def _repr_mimebundle_(self, **kwargs: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.bundle(), self.snapshot_metadata

    def _ipython_display_(self) -> None:
        from IPython.display import display

        self._handle = display(self.bundle(), raw=True, display_id=True, metadata=self.snapshot_metadata)
        # The output's updates must name the cell that showed it as their parent: a frontend routes a
        # display update to the cell whose request it answers (not to the button click that led to it).
        self._shown_in = contextvars.copy_context()

    def refresh_snapshot(self) -> None:
        """Put the current snapshot into the output (what a saved notebook shows)."""
        if self._handle is None or self._shown_in is None:
            return
        with self._lock:  # one thread at a time may enter the saved context
            data = self.bundle()
            self._shown_in.run(self._handle.update, data, raw=True, metadata=self.snapshot_metadata)
