"""``Idempotency-Key`` on uploads and render submits: the first request with a key does the work; the same
key again — also while the first is still running — gets the first request's answer, never a second run.

The answer of a request that succeeded is kept in the store (so it survives a restart); one that failed
with an error is given to the requests that waited for it, and a later retry runs again. One backend
serves a data directory at a time, so waiting happens in this process.
"""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from nemo_nb.local.errors import ApiError
from nemo_nb.local.records import Remembered
from nemo_nb.local.store import Store

Outcome = Remembered | ApiError | None  # None: the first request ended without an answer (its client hung up)


class Idempotency:
    def __init__(self, store: Store):
        self.store = store
        self._running: dict[tuple[str, str, str], asyncio.Future[Outcome]] = {}

    async def run(self, user_id: str, scope: str, key: str | None,
                  work: Callable[[], Awaitable[dict[str, Any]]]) -> Remembered:
        """The answer to a request: ``work()``'s body (HTTP 200), or the answer the first request with ``key``
        got. ``ApiError`` when that request (or this one) failed."""
        if key is None:
            return Remembered(200, await work())
        ident = (user_id, scope, key)
        while True:
            seen = self.store.remembered(*ident)
            if seen is not None:
                return seen
            running = self._running.get(ident)
            if running is None:
                break
            outcome = await asyncio.shield(running)
            if isinstance(outcome, Remembered):
                return outcome
            if isinstance(outcome, ApiError):
                raise ApiError(outcome.code, outcome.message, data=outcome.data, headers=outcome.headers)
            # the first request ended without an answer: this one runs in its place
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._running[ident] = future
        try:
            answer = Remembered(200, await work())
            self.store.remember(*ident, answer)
            future.set_result(answer)
            return answer
        except ApiError as exc:
            future.set_result(exc)
            raise
        finally:
            if not future.done():
                future.set_result(None)
            del self._running[ident]
