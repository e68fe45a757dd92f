"""Wall-time and CPU budgets: every turn and every render gets one.

A ``Budget`` is made when the work starts and made *active* (a context variable, so it follows the work
into ``asyncio.to_thread``). The media layer reads the active budget: each child process gets at most the
CPU seconds left (``RLIMIT_CPU``) and is charged its real CPU time when reaped; waits are cut to the wall
time left; the speech worker reports the CPU each request took; and every ``check()`` charges the CPU the
calling worker thread used since its previous check (drawing a presenter's frames, say). ``check()`` raises
``BudgetExceeded`` once either is spent, and ``expire()`` (from a watchdog) kills the children still running.
Call ``check()`` from worker threads only: on the event loop it would charge every session's work.
"""
from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

_ACTIVE: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("nemo_nb_budget", default=None)


class BudgetExceeded(RuntimeError):
    """The work went over its wall-time or CPU budget and was stopped; the message says which."""


class Budget:
    """``wall_s`` seconds from now and ``cpu_s`` CPU seconds of child processes for ``what`` ("this edit")."""

    def __init__(self, what: str, wall_s: float, cpu_s: float):
        self.what = what
        self.wall_s = float(wall_s)
        self.cpu_s = float(cpu_s)
        self.started = time.monotonic()
        self.cpu_used = 0.0
        self._reason: str | None = None
        self._lock = threading.Lock()
        self._children: set[Any] = set()
        self._thread_cpu: dict[int, float] = {}  # worker thread → its CPU time at its last check

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def remaining_wall(self) -> float:
        return max(0.0, self.wall_s - self.elapsed())

    def remaining_cpu(self) -> float:
        return max(0.0, self.cpu_s - self.cpu_used)

    def wall_timeout(self, timeout: float | None) -> float:
        """``timeout`` cut to the wall time left (at least a few milliseconds, so a wait can time out)."""
        left = max(0.01, self.remaining_wall())
        return left if timeout is None else min(timeout, left)

    @property
    def reason(self) -> str | None:
        """Why the budget is spent, or None while it is not."""
        if self._reason is None:
            if self.elapsed() > self.wall_s:
                self._reason = f"{self.what} took longer than its time budget of {self.wall_s:g} s"
            elif self.cpu_used >= self.cpu_s:
                self._reason = (f"{self.what} used more than its CPU budget of {self.cpu_s:g} s "
                                f"({self.cpu_used:.1f} s)")
        return self._reason

    def check(self) -> None:
        """Charge this thread's CPU time since its last check; raise ``BudgetExceeded`` when the budget is spent."""
        thread, now = threading.get_ident(), time.thread_time()
        with self._lock:
            self.cpu_used += now - self._thread_cpu.get(thread, now)
            self._thread_cpu[thread] = now
        if self.reason is not None:
            raise BudgetExceeded(f"{self.reason} and was stopped")

    def charge(self, cpu_s: float) -> None:
        """Count CPU seconds spent outside a child process we reap (e.g. in the speech worker)."""
        with self._lock:
            self.cpu_used += max(0.0, cpu_s)

    def adopt(self, proc: Any) -> None:
        """A child process started under this budget: killed by ``expire``, charged by ``release``."""
        proc.budget = self
        with self._lock:
            self._children.add(proc)
            expired = self._reason is not None
        if expired:
            _kill(proc)

    def release(self, proc: Any, cpu_s: float) -> None:
        with self._lock:
            self._children.discard(proc)
            self.cpu_used += max(0.0, cpu_s)

    def expire(self, reason: str | None = None) -> None:
        """Spend the budget now (the deadline passed, or the server stops): kill its running children."""
        with self._lock:
            if self._reason is None:
                self._reason = reason or f"{self.what} took longer than its time budget of {self.wall_s:g} s"
            children = list(self._children)
        for proc in children:
            _kill(proc)

    def summary(self) -> dict[str, float]:
        return {"wall_s": round(self.elapsed(), 3), "cpu_s": round(self.cpu_used, 3)}


def _kill(proc: Any) -> None:
    from nemo_nb.local.media.children import stop

    stop(proc)


def active() -> Budget | None:
    """The budget of the work running in this context, if any."""
    return _ACTIVE.get()


@contextmanager
def spending(budget: Budget | None) -> Iterator[Budget | None]:
    """Make ``budget`` the active one inside the block (and in threads started from it with to_thread)."""
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)
