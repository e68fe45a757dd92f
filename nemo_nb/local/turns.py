"""Running one agent turn: credits held and settled, heartbeats while tools work, state saved.

A turn runs as its own task: the ``/run_sse`` response only reads its event queue, so a dropped
connection never stops a turn half-way, and a message is never run twice.
"""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

from nemo_nb.local import errors
from nemo_nb.local.agent import Agent, Event, Plan, TurnContext
from nemo_nb.local.budget import Budget, BudgetExceeded, spending
from nemo_nb.local.library import Library
from nemo_nb.local.records import Session
from nemo_nb.local.settings import BackendSettings
from nemo_nb.local.store import Store
from nemo_nb.local.topup import HOW_TO_GET_MORE

log = logging.getLogger("nemo_nb.local")
END = {"type": "end"}


class TurnRunner:
    """Starts turns and keeps them running to the end whatever happens to the stream."""

    def __init__(self, store: Store, settings: BackendSettings, library: Library, agent: Agent | None = None):
        self.store = store
        self.settings = settings
        self.library = library
        self.agent = agent or Agent()
        self.tasks: set[asyncio.Task[None]] = set()

    def context(self, session: Session, user_id: str) -> TurnContext:
        return TurnContext(session_id=session.id, user_id=user_id, state=session.state,
                           library=self.library, store=self.store, language=session.language or "en")

    async def start(self, session: Session, user_id: str, message: str, key: str | None,
                    registration_url: str) -> asyncio.Queue[Any]:
        """Plan (in a worker thread: reading a long message takes a while), reserve the session and the
        credits, then run the turn in the background."""
        ctx = self.context(session, user_id)
        plan = await asyncio.to_thread(self.agent.plan, message, ctx)
        turn_id = self.store.start_turn(session.id, message, key)
        if turn_id is None:
            raise errors.ApiError(errors.SESSION_BUSY, "a turn is already running in this session; "
                                  "wait for it to finish (its reply is still streaming)")
        if plan.cost and not self.store.hold(user_id, plan.cost, turn_id):
            self.store.finish_turn(turn_id, "refused", "", 0)
            balance = self.store.balance(user_id)
            raise errors.ApiError(
                errors.NO_CREDITS,
                f"not enough credits: this needs {plan.cost}, you have {balance['available']}. "
                f"To {HOW_TO_GET_MORE}.",
                data={"registration_url": registration_url, "needed": plan.cost, "embedded": True, **balance})
        queue: asyncio.Queue[Any] = asyncio.Queue()
        task = asyncio.get_running_loop().create_task(self._run(turn_id, plan, ctx, queue))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return queue

    async def _run(self, turn_id: str, plan: Plan, ctx: TurnContext, queue: asyncio.Queue[Any]) -> None:
        faults = self.settings.faults
        last_event = [time.monotonic()]
        texts: list[str] = []

        def put(event: Event) -> None:
            last_event[0] = time.monotonic()
            queue.put_nowait(event)

        async def work() -> None:
            if faults.heartbeats_only:
                await asyncio.sleep(faults.heartbeats_only)
            async for event in plan.run(ctx):
                if event["type"] == "text":
                    if faults.silent:
                        continue
                    texts.append(event["content"])
                put(event)

        loop = asyncio.get_running_loop()
        beats = loop.create_task(self._heartbeats(put, last_event))
        budget = Budget("this edit", self.settings.turn_wall_s, self.settings.turn_cpu_s)
        deadline = loop.call_later(budget.wall_s, budget.expire)  # kills its ffmpeg / stops its waits
        status = "failed"
        try:
            with spending(budget):
                # At the deadline the turn fails at once; the work's thread (if any) stops at its next check,
                # its children killed by ``expire``, and what it still makes is never saved.
                await asyncio.wait_for(work(), budget.wall_s)
            if ctx.changed:
                self._save(ctx)
            status = "done"
        except (BudgetExceeded, asyncio.TimeoutError) as exc:
            budget.expire()
            reason = str(exc) if isinstance(exc, BudgetExceeded) else f"{budget.reason} and was stopped"
            log.warning("turn %s over budget: %s", turn_id, reason)
            put({"type": "error", "message": f"{reason[0].upper()}{reason[1:]}. Nothing was charged; "
                                            "ask for less at once (a shorter script, fewer languages)."})
        except Exception as exc:  # the turn fails, the server does not
            log.exception("turn %s failed", turn_id)
            put({"type": "error", "message": f"the edit failed: {exc}"})
        finally:
            deadline.cancel()
            beats.cancel()
            charge = max(0, plan.cost - ctx.refund) if status == "done" else 0
            self.store.settle(turn_id, charge, f"turn:{plan.action}")
            self.store.finish_turn(turn_id, status, "".join(texts), charge)
            queue.put_nowait(END)

    def _save(self, ctx: TurnContext) -> None:
        """Save the turn's state, keeping uploads that arrived while it ran."""
        fresh = self.store.session(ctx.session_id, ctx.user_id)
        if fresh is None:
            return
        ctx.state["video_infos"] = fresh.state.get("video_infos", [])
        self.store.save_state(ctx.session_id, ctx.state, history=ctx.record_history)

    async def _heartbeats(self, put: Any, last_event: list[float]) -> None:
        """While the turn is quiet, a heartbeat (alternating with an empty ``data:`` line)."""
        period = self.settings.heartbeat_s
        blank = False
        while True:
            await asyncio.sleep(period / 2)
            if time.monotonic() - last_event[0] >= period:
                put({"type": "blank" if blank else "heartbeat"})
                blank = not blank

    async def drain(self) -> None:
        """Wait for running turns (on shutdown)."""
        if self.tasks:
            await asyncio.wait(list(self.tasks), timeout=30)


async def stream(queue: asyncio.Queue[Any], encoder: Any, drop_after: int = 0) -> AsyncIterator[bytes]:
    """The ``/run_sse`` body: encoded events until the turn ends. ``drop_after`` cuts it (fault)."""
    sent = 0
    while True:
        event = await queue.get()
        if event is END:
            for chunk in encoder.close():
                yield chunk
            return
        for chunk in encoder.encode(event):
            yield chunk
        # Let the loop run between events: a client that hung up is noticed now, not after a burst of
        # writes to its closed socket (each logged by asyncio as "socket.send() raised exception").
        await asyncio.sleep(0)
        sent += 1
        if drop_after and sent >= drop_after:
            raise ConnectionAbortedError("fault injection: SSE connection dropped")
