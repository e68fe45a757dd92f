"""Prompt comparison: each prompt in its own new session on the same media, all at once.

``run_compare`` (``AsyncNemo.compare`` / ``Nemo.compare``) makes a session per prompt, uploads the same
local files, sends the prompt and exports; ``asyncio.gather`` runs the variants concurrently on the
client's loop — no thread per variant. The result is a ``Comparison``: the variants and a DataFrame.

Credits per variant: ``Reply.credits_used`` is the account balance before the turn minus after it,
which other variants' turns disturb when they run at the same time. So the *starts* of the turns are
taken one at a time: balance, send, wait until the server has accepted the message (``send``'s
``on_accepted`` hook — the turn's cost is frozen by then — or a first event), balance again. That
costs a few round trips per variant; the turns themselves run concurrently. When acceptance takes
longer than ``start_timeout`` the next variant goes ahead and this one's count is marked approximate.
"""
from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Notify = Callable[[int, str], None]


@dataclass
class Variant:
    """One prompt of a comparison and what became of it."""

    index: int
    prompt: str
    session_id: str = ""
    session: Any = None          # the variant's session (AsyncSession; Session from Nemo.compare)
    reply: Any = None            # nemo_nb.api.Reply
    export: Any = None           # nemo_nb.api.Export
    draft: Any = None            # the draft after the turn
    credits_used: int | None = None
    credits_exact: bool = True
    seconds: float | None = None  # this variant's own wall time: session, upload, reply, export
    started: float = 0.0
    finished: float = 0.0
    error: str | None = None
    poster: bytes | None = None   # a frame of the export (PNG), filled in by the notebook views

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class Comparison:
    """Every variant, the wall time of the whole run, the credits it took and the media it used."""

    variants: list[Variant]
    wall_seconds: float
    credits_total: int | None = None
    media: list[str] = field(default_factory=list)

    @property
    def failed(self) -> list[Variant]:
        return [v for v in self.variants if not v.ok]

    @property
    def df(self) -> Any:
        """One row per variant, what it asked and what it got first, the session id last (pandas is
        imported only now)."""
        import pandas as pd

        rows = []
        for v in self.variants:
            e = v.export
            rows.append({
                "variant": v.index + 1, "prompt": v.prompt,
                "reply": v.reply.text if v.reply is not None else None,
                "changes": len(v.reply.changes) if v.reply is not None else None,
                "timeline": v.draft.summary() if v.draft is not None else None,
                "credits_used": v.credits_used, "seconds": round(v.seconds, 3) if v.seconds is not None else None,
                "duration_s": e.duration if e is not None else None, "size_bytes": e.size if e is not None else None,
                "path": str(e.path) if e is not None else None, "error": v.error, "session": v.session_id,
            })
        df = pd.DataFrame(rows)
        df["credits_used"] = df["credits_used"].astype("Int64")
        df["size_bytes"] = df["size_bytes"].astype("Int64")
        return df

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.variants)} variants, {self.wall_seconds:.1f} s)"


async def _send_counted(nemo: Any, session: Any, prompt: str, start_lock: asyncio.Lock, start_timeout: float,
                        on_event: Callable[[Any], None]) -> tuple[Any, int | None, bool]:
    """Send with the turn's start serialised (see the module doc): (reply, credits used, exact?)."""
    accepted = asyncio.Event()

    def seen(event: Any) -> None:
        accepted.set()  # a first event also proves the server took the message
        on_event(event)

    await start_lock.acquire()
    released = False
    try:
        before = await nemo.credits()
        task = asyncio.ensure_future(session.send(prompt, seen, on_accepted=accepted.set))
        waiter = asyncio.ensure_future(accepted.wait())
        await asyncio.wait({task, waiter}, timeout=start_timeout, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        exact = accepted.is_set() or task.done()
        held = await nemo.credits()
        start_lock.release()
        released = True
        reply = await task
    finally:
        if not released:
            start_lock.release()
    used = max(0, before.available - held.available) if exact else reply.credits_used
    return reply, used, exact


async def _one(nemo: Any, v: Variant, paths: Sequence[Path], export_dir: Path | None, start_lock: asyncio.Lock,
               start_timeout: float, notify: Notify) -> None:
    v.started = time.perf_counter()
    chars = [0]

    def on_event(event: Any) -> None:
        delta = getattr(event, "delta", None)
        if delta:
            chars[0] += len(delta)
            notify(v.index, f"replying… {chars[0]} characters")

    try:
        notify(v.index, "making a session…")
        session = v.session = await nemo.session()
        v.session_id = session.id
        if paths:
            notify(v.index, f"uploading {len(paths)} file{'s' if len(paths) != 1 else ''}…")
            await session.upload(*paths)
        notify(v.index, "waiting for the agent…")
        v.reply, v.credits_used, v.credits_exact = await _send_counted(nemo, session, v.prompt, start_lock,
                                                                        start_timeout, on_event)
        v.draft = v.reply.draft_after if v.reply.draft_after is not None else session.draft
        if export_dir is not None and v.draft is not None and v.draft.is_renderable:
            notify(v.index, "rendering…")
            v.export = await session.export(export_dir / f"compare_{v.index + 1}_{session.id}.mp4",
                                            lambda pct: notify(v.index, f"rendering… {pct:.0f}%"))
        v.finished = time.perf_counter()
        v.seconds = v.finished - v.started
        notify(v.index, f"done in {v.seconds:.1f} s")
    except Exception as exc:  # noqa: BLE001 - one variant failing is reported in its cell, the others go on
        v.finished = time.perf_counter()
        v.seconds = v.finished - v.started
        v.error = str(exc) or type(exc).__name__
        notify(v.index, f"failed: {v.error}")


async def run_compare(nemo: Any, prompts: Sequence[str], paths: Sequence[str | os.PathLike[str]] = (), *,
                      export_dir: str | os.PathLike[str] | None = None, notify: Notify | None = None,
                      concurrency: int = 8, start_timeout: float = 10.0) -> Comparison:
    """Run every prompt in its own new session of ``nemo`` (an ``AsyncNemo``) on ``paths``, concurrently.

    ``export_dir``: render each variant there (None: replies and timelines only). ``notify(index,
    status)`` hears each variant's progress; ``concurrency`` bounds the variants running at once.
    """
    variants = [Variant(i, p) for i, p in enumerate(prompts)]
    report = notify or (lambda i, s: None)
    start_lock = asyncio.Lock()
    slots = asyncio.Semaphore(max(1, concurrency))
    files = [Path(p) for p in paths]
    target = Path(export_dir) if export_dir is not None else None
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)

    async def guarded(v: Variant) -> None:
        async with slots:
            await _one(nemo, v, files, target, start_lock, start_timeout, report)

    t0 = time.perf_counter()
    before = await nemo.credits()
    await asyncio.gather(*(guarded(v) for v in variants))
    after = await nemo.credits()
    return Comparison(variants, wall_seconds=time.perf_counter() - t0,
                      credits_total=max(0, before.available - after.available), media=[p.name for p in files])
