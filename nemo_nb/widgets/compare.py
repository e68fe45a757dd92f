"""The compare widget: the variants of a compare side by side, one Play that starts every video from the
same moment (and keeps them together), and "continue with this one", which makes that variant's
session the notebook's current one (``%%nemo compare --widget``, or ``CompareWidget(result)``)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import traitlets

from nemo_nb.notebook._fmt import seconds_text, size_text
from nemo_nb.notebook.controller import NotebookSession
from nemo_nb.widgets.base import NemoWidget
from nemo_nb.widgets.timeline import timeline_state

MB = 1_000_000


class CompareWidget(NemoWidget):
    """A ``CompareResult`` (or any ``Comparison``) as a widget."""

    title = traitlets.Unicode("").tag(sync=True)
    variants: traitlets.List[Any] = traitlets.List([]).tag(sync=True)  # [{prompt, session_id, reply, lanes, …}]
    videos: traitlets.List[Any] = traitlets.List([]).tag(sync=True)  # the exports' bytes (b"": none, or too big)
    current = traitlets.Unicode("").tag(sync=True)  # the controller's current session id

    def __init__(self, result: Any, *, controller: NotebookSession | None = None, embed_limit_mb: float = 10.0):
        super().__init__(_kind="compare")
        self.result = result
        self.controller = controller
        limit = getattr(result, "limit_mb", embed_limit_mb)
        rows, clips = [], []
        for v in result.variants:
            row = {"prompt": v.prompt, "session_id": v.session_id, "error": v.error or "",
                   "reply": v.reply.text if v.reply is not None else "", "facts": self._facts(v)}
            row.update(timeline_state(v.draft) if v.draft is not None else
                       {"lanes": [], "duration": 1.0, "summary": ""})
            row.pop("rows", None)
            rows.append(row)
            e = v.export
            small = e is not None and Path(e.path).is_file() and e.size <= limit * MB
            clips.append(Path(e.path).read_bytes() if small else b"")
        head = f"{len(rows)} variants in {seconds_text(result.wall_seconds)}"
        if result.credits_total is not None:
            head += f" · {result.credits_total} credits in all"
        self.update(title=head, variants=rows, videos=clips,
                    current=controller.current_id or "" if controller is not None else "")
        self.action("continue", self._on_continue)
        if controller is not None:
            controller.listeners.append(lambda _what: self.update(current=controller.current_id or ""))

    @staticmethod
    def _facts(v: Any) -> str:
        credits = "?" if v.credits_used is None else f"{'' if v.credits_exact else '≈'}{v.credits_used}"
        facts = [f"credits used: {credits}", f"time: {seconds_text(v.seconds)}"]
        if v.export is not None:
            facts.append(f"{seconds_text(v.export.duration)}, {size_text(v.export.size)}")
        return " · ".join(facts)

    def _on_continue(self, content: dict[str, Any], _buffers: list[Any]) -> None:
        index = int(content.get("index", -1))
        if self.controller is None or not 0 <= index < len(self.result.variants):
            return
        session = self.result.variants[index].session
        if session is None:
            return
        if session.id not in self.controller.sessions:
            self.controller.register(session, current=False)
        self.controller.use(session.id)

    def snapshot(self) -> dict[str, Any]:
        bundle = getattr(self.result, "bundle", None)
        if callable(bundle):
            data, self.snapshot_metadata = bundle()
            data = dict(data)
            data.pop("text/markdown", None)
            return data
        return {"text/plain": self.title}
