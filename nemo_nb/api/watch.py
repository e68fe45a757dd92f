"""The timers of one turn: "still working" notices, the heartbeats-only timeout, the hard cap."""
from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from nemo_nb.api.clock import Clock
from nemo_nb.api.events import Event, Heartbeat, TextEvent

STILL_WORKING = "⏳ Still working…"


@dataclass
class Timings:
    """The client's timers, in seconds (of the client's ``Clock``)."""

    still_working_s: float = 120.0      # "still working" every 2 minutes without text
    heartbeat_timeout_s: float = 600.0  # 10 minutes of heartbeats only → timeout
    turn_cap_s: float = 900.0           # hard cap of one turn
    drop_wait_s: float = 300.0          # after a dropped stream, poll the state this long
    drop_poll_s: float = 2.0
    render_poll_min_s: float = 0.5
    render_poll_max_s: float = 10.0
    render_timeout_s: float = 1800.0
    retry_after_cap_s: float = 30.0
    request_timeout_s: float = 60.0     # connect / read / write of one request (the SSE read is unlimited)

    def http_timeout(self, *, read: float | None, unlimited_write: bool = False) -> httpx.Timeout:
        """``request_timeout_s`` for connecting (and writing), ``read`` for the answer (None: unlimited)."""
        t = self.request_timeout_s
        return httpx.Timeout(t, read=read, write=None if unlimited_write else t)


class TurnWatch:
    """Timers of one turn: "still working" notices, heartbeats-only timeout, hard cap."""

    def __init__(self, clock: Clock, timings: Timings, on_still_working: Callable[[str], None] | None):
        self.clock, self.timings, self.on_still_working = clock, timings, on_still_working
        self.started = self.last_text = self.last_work = clock.monotonic()
        self.expired: str | None = None
        self.notices: list[str] = []

    def saw(self, event: Event) -> None:
        if isinstance(event, Heartbeat):
            return
        now = self.clock.monotonic()
        self.last_work = now
        if isinstance(event, TextEvent):
            self.last_text = now

    async def run(self, consumer: asyncio.Future[Any]) -> None:
        t = self.timings
        tick = min(1.0, t.still_working_s / 4)
        while not consumer.done():
            await self.clock.sleep(tick)
            now = self.clock.monotonic()
            if now - self.started >= t.turn_cap_s:
                self.expired = f"the turn passed the {t.turn_cap_s / 60:.0f}-minute cap"
            elif now - self.last_work >= t.heartbeat_timeout_s:
                self.expired = f"{t.heartbeat_timeout_s / 60:.0f} minutes of heartbeats only"
            if self.expired:
                consumer.cancel()
                return
            if now - self.last_text >= t.still_working_s:
                self.last_text = now
                self.notices.append(STILL_WORKING)
                if self.on_still_working:
                    self.on_still_working(STILL_WORKING)
