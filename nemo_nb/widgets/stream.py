"""A streaming reply in a widget: events from the loop thread, at most ``rate`` redraws a second.

``on_event`` only appends to buffers; a redraw (one comm message carrying the text and the tool
chips) happens when the throttle allows it. ``settle()`` waits out the current interval so the
final, exact text never makes a second hold more than ``rate`` redraws.
"""
from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from nemo_nb.api.events import ErrorEvent, TextEvent, ToolCall, ToolResult
from nemo_nb.notebook._fmt import Throttle
from nemo_nb.notebook.live import TRANSLATE_LIVE_MAX, args_text
from nemo_nb.routing import translate_gui


class ReplyStream:
    """Buffers one turn's events and pushes them to ``push(reply=…, tools=…, status=…)``."""

    def __init__(self, push: Callable[..., None], *, rate: float = 10.0,
                 clock: Callable[[], float] = time.monotonic):
        self.push = push
        self.throttle = Throttle(rate, clock)
        self.clock = clock
        self.parts: list[str] = []
        self.tools: dict[str, dict[str, Any]] = {}
        self.notices: list[str] = []
        self.redraws = 0
        self.first_text_at: float | None = None

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def on_event(self, event: Any) -> None:
        kind = type(event)
        if kind is TextEvent:
            if not event.delta:
                return
            self.parts.append(event.delta)
        elif kind is ToolCall:
            self.tools[event.id] = {"name": event.name, "args": args_text(event.args), "state": "running"}
        elif kind is ToolResult:
            entry = self.tools.setdefault(event.id, {"name": event.name, "args": "", "state": "running"})
            failed = isinstance(event.result, dict) and bool(event.result.get("error"))
            entry["state"] = "failed" if failed else "done"
        elif kind is ErrorEvent:
            self.notices.append(f"✗ {event.message}")
        else:
            return  # heartbeats: nothing to redraw
        if self.throttle.ready():
            self.draw()

    def on_notice(self, message: str) -> None:
        self.notices.append(message)
        self.draw()

    def draw(self) -> None:
        text = self.text
        if text and len(text) <= TRANSLATE_LIVE_MAX:
            text = translate_gui(text).text or text
        if text and self.first_text_at is None:
            self.first_text_at = self.clock()
        self.push(reply="\n\n".join(x for x in (text, *self.notices) if x), tools=list(self.tools.values()),
                  status="streaming…" if text or self.tools else "waiting for the agent…")
        self.redraws += 1
        self.throttle.mark()

    async def settle(self) -> None:
        """Wait until one more redraw keeps within the rate."""
        wait = self.throttle.last + self.throttle.interval - self.clock()
        if 0 < wait <= self.throttle.interval:
            await asyncio.sleep(wait)
