"""Time for the client's timers (turn watch, render polling, retry waits), speedable in tests."""
from __future__ import annotations

import asyncio
import time


class Clock:
    """Time for the client's timers; ``speed`` > 1 makes tests live minutes in moments."""

    def __init__(self, speed: float = 1.0):
        self.speed = speed
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return self._origin + (time.monotonic() - self._origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)
