"""Prompt comparison: each variant in its own new session on the same media, all at once.

``run_compare`` is a coroutine for the client's loop thread (``AsyncNemo``): every variant makes a
session, uploads the same local files, sends its prompt and exports, and ``asyncio.gather`` runs them
concurrently — no thread per variant. ``CompareResult`` shows one column per variant (prompt,
reply, timeline picture, video, credits, time) and holds a DataFrame of the results.

Credits per variant: ``Reply.credits_used`` is the account balance before the turn minus after it,
which other variants' turns disturb when they run at the same time. So the *starts* of the turns are
taken one at a time: balance, send, wait until the server has accepted the message (the ``/run_sse``
response headers, seen by a response hook — the turn's cost is frozen by then — or a first event),
balance again. That costs a few round trips per variant; the turns themselves run concurrently.
When acceptance takes longer than ``start_timeout`` the next variant goes ahead and this one's
count is marked approximate (≈, from ``Reply.credits_used``).
"""
from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_nb.notebook._fmt import MUTED, esc, md_esc, seconds_text, size_text
from nemo_nb.notebook.preview import poster_png, video_html
from nemo_nb.notebook.timeline import timeline_svg

Notify = Callable[[int, str], None]


@dataclass
class Variant:
    index: int
    prompt: str
    session_id: str = ""
    session: Any = None          # nemo_nb.api.AsyncSession
    reply: Any = None            # nemo_nb.api.Reply
    export: Any = None           # nemo_nb.api.Export
    draft: Any = None            # the draft after the turn
    credits_used: int | None = None
    credits_exact: bool = True
    seconds: float | None = None  # this variant's own wall time: session, upload, reply, export
    started: float = 0.0
    finished: float = 0.0
    error: str | None = None
    poster: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


class RunStarts:
    """Signals when the server has accepted a message (``/run_sse`` answered with headers): by then
    the turn's cost is frozen on the account. An httpx response hook on the client's own connection
    pool, for the duration of a compare; it reads only the request's ``session_id``."""

    def __init__(self, http: Any):
        self.http = http
        self.waiting: dict[str, asyncio.Event] = {}

    async def hook(self, response: Any) -> None:
        request = response.request
        if not request.url.path.endswith("/run_sse"):
            return
        try:
            session_id = str(json.loads(request.content)["session_id"])
        except (ValueError, KeyError, TypeError, RuntimeError):
            return
        event = self.waiting.get(session_id)
        if event is not None:
            event.set()

    def expect(self, session_id: str) -> asyncio.Event:
        return self.waiting.setdefault(session_id, asyncio.Event())

    def __enter__(self) -> RunStarts:  # noqa: PYI034
        hooks = getattr(self.http, "event_hooks", None)
        if hooks is not None:
            hooks["response"].append(self.hook)
        return self

    def __exit__(self, *exc: object) -> None:
        hooks = getattr(self.http, "event_hooks", None)
        if hooks is not None and self.hook in hooks["response"]:
            hooks["response"].remove(self.hook)


async def _send_counted(aio: Any, session: Any, prompt: str, start_lock: asyncio.Lock, start_timeout: float,
                        starts: RunStarts | None, on_event: Callable[[Any], None]) -> tuple[Any, int | None, bool]:
    """Send with the turn's start serialised (see the module doc): (reply, credits used, exact?)."""
    accepted = starts.expect(session.id) if starts is not None else asyncio.Event()

    def seen(event: Any) -> None:
        accepted.set()  # a first event also proves the server took the message
        on_event(event)

    await start_lock.acquire()
    released = False
    try:
        before = await aio.credits()
        task = asyncio.ensure_future(session.send(prompt, seen))
        waiter = asyncio.ensure_future(accepted.wait())
        await asyncio.wait({task, waiter}, timeout=start_timeout, return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        exact = accepted.is_set() or task.done()
        held = await aio.credits()
        start_lock.release()
        released = True
        reply = await task
    finally:
        if not released:
            start_lock.release()
    used = max(0, before.available - held.available) if exact else reply.credits_used
    return reply, used, exact


async def _one(aio: Any, v: Variant, paths: Sequence[Path], export_dir: Path | None, start_lock: asyncio.Lock,
               start_timeout: float, starts: RunStarts | None, notify: Notify) -> None:
    v.started = time.perf_counter()
    chars = [0]

    def on_event(event: Any) -> None:
        delta = getattr(event, "delta", None)
        if delta:
            chars[0] += len(delta)
            notify(v.index, f"replying… {chars[0]} characters")

    try:
        notify(v.index, "making a session…")
        session = v.session = await aio.session()
        v.session_id = session.id
        if paths:
            notify(v.index, f"uploading {len(paths)} file{'s' if len(paths) != 1 else ''}…")
            await session.upload(*paths)
        notify(v.index, "waiting for the agent…")
        v.reply, v.credits_used, v.credits_exact = await _send_counted(aio, session, v.prompt, start_lock,
                                                                        start_timeout, starts, on_event)
        v.draft = v.reply.draft_after if v.reply.draft_after is not None else session.draft
        if export_dir is not None and v.draft is not None and v.draft.is_renderable:
            notify(v.index, "rendering…")
            v.export = await session.export(export_dir / f"compare_{v.index + 1}_{session.id}.mp4",
                                            lambda pct: notify(v.index, f"rendering… {pct:.0f}%"))
        v.finished = time.perf_counter()
        v.seconds = v.finished - v.started
        if v.export is not None:
            v.poster = await asyncio.to_thread(poster_png, v.export.path, v.export.duration)
        notify(v.index, f"done in {seconds_text(v.seconds)}")
    except Exception as exc:  # noqa: BLE001 — one variant failing does not stop the others
        v.finished = time.perf_counter()
        v.seconds = v.finished - v.started
        v.error = str(exc) or type(exc).__name__
        notify(v.index, f"failed: {v.error}")


async def run_compare(aio: Any, prompts: Sequence[str], paths: Sequence[Path] = (), *, export_dir: Path | None = None,
                      notify: Notify | None = None, concurrency: int = 8, start_timeout: float = 10.0) -> CompareResult:
    """Run every prompt in its own new session on ``paths``, concurrently (on ``aio``'s loop)."""
    variants = [Variant(i, p) for i, p in enumerate(prompts)]
    report = notify or (lambda i, s: None)
    start_lock = asyncio.Lock()
    slots = asyncio.Semaphore(max(1, concurrency))
    if export_dir is not None:
        export_dir.mkdir(parents=True, exist_ok=True)

    http = getattr(getattr(aio, "transport", None), "http", None)
    starts = RunStarts(http) if http is not None else None

    async def guarded(v: Variant) -> None:
        async with slots:
            await _one(aio, v, list(paths), export_dir, start_lock, start_timeout, starts, report)

    t0 = time.perf_counter()
    before = await aio.credits()
    if starts is not None:
        with starts:
            await asyncio.gather(*(guarded(v) for v in variants))
    else:
        await asyncio.gather(*(guarded(v) for v in variants))
    after = await aio.credits()
    return CompareResult(variants, wall_seconds=time.perf_counter() - t0,
                         credits_total=max(0, before.available - after.available), media=[Path(p).name for p in paths])


class CompareResult:
    """The variants side by side; ``df`` is a DataFrame of the results."""

    def __init__(self, variants: list[Variant], *, wall_seconds: float, credits_total: int | None = None,
                 media: list[str] | None = None, limit_mb: float = 10.0):
        self.variants = variants
        self.wall_seconds = wall_seconds
        self.credits_total = credits_total
        self.media = media or []
        self.limit_mb = limit_mb

    @property
    def df(self) -> Any:
        import pandas as pd

        rows = []
        for v in self.variants:
            e = v.export
            rows.append({
                "variant": v.index + 1, "prompt": v.prompt, "session": v.session_id,
                "reply": v.reply.text if v.reply is not None else None,
                "changes": len(v.reply.changes) if v.reply is not None else None,
                "timeline": v.draft.summary() if v.draft is not None else None,
                "credits_used": v.credits_used, "seconds": round(v.seconds, 3) if v.seconds is not None else None,
                "duration_s": e.duration if e is not None else None, "size_bytes": e.size if e is not None else None,
                "path": str(e.path) if e is not None else None, "error": v.error,
            })
        df = pd.DataFrame(rows)
        df["credits_used"] = df["credits_used"].astype("Int64")
        df["size_bytes"] = df["size_bytes"].astype("Int64")
        return df

    @property
    def failed(self) -> list[Variant]:
        return [v for v in self.variants if not v.ok]

    def _column(self, v: Variant) -> str:
        parts = ['<div class="nemo-variant" style="border:1px solid #ddd;border-radius:6px;padding:8px;min-width:0">',
                 f'<div style="{MUTED}">Variant {v.index + 1} · session {esc(v.session_id or "–")}</div>',
                 ('<div class="nemo-prompt" style="font-weight:bold;margin:4px 0;white-space:pre-wrap">'
                  f'{esc(v.prompt)}</div>')]
        if v.error:
            parts.append(f'<div style="color:#c0392b">✗ {esc(v.error)}</div>')
        if v.reply is not None:
            parts.append(f'<div class="nemo-text" style="white-space:pre-wrap;max-height:12em;overflow:auto">'
                         f'{esc(v.reply.text)}</div>')
        if v.draft is not None and not v.draft.tracks:
            parts.append(f'<div style="{MUTED};margin-top:6px">Timeline: empty</div>')
        elif v.draft is not None:
            parts.append(f'<div style="margin-top:6px">{timeline_svg(v.draft, 360)}</div>')
        if v.export is not None:
            element, _ = video_html(v.export, self.limit_mb, v.poster, max_height=200)
            parts.append(f'<div style="margin-top:6px">{element}</div>')
        credits = "?" if v.credits_used is None else f"{'' if v.credits_exact else '≈'}{v.credits_used}"
        facts = [f"credits used: {credits}", f"time: {seconds_text(v.seconds)}"]
        if v.export is not None:
            facts.append(f"{seconds_text(v.export.duration)}, {size_text(v.export.size)}")
        parts.append(f'<div style="{MUTED};margin-top:4px">{esc(" · ".join(facts))}</div></div>')
        return "".join(parts)

    def bundle(self) -> dict[str, str]:
        n = max(1, len(self.variants))
        head = (f"{len(self.variants)} variants in {seconds_text(self.wall_seconds)}"
                + (f" · {self.credits_total} credits in all" if self.credits_total is not None else "")
                + (f" · media: {', '.join(self.media)}" if self.media else " · no media uploaded"))
        df = self.df
        html = ['<div class="nemo-compare" style="font:13px sans-serif;margin:4px 0">',
                f'<div style="{MUTED};margin-bottom:4px">{esc(head)}</div>',
                (f'<div style="display:grid;grid-template-columns:repeat({n},minmax(220px,1fr));gap:8px;'
                 'overflow-x:auto">'),
                *(self._column(v) for v in self.variants), "</div>",
                df.drop(columns=["reply", "timeline"]).to_html(index=False, border=0, classes="nemo-compare-table", na_rep=""),
                "</div>"]
        plain = [head]
        for v in self.variants:
            status = f"✗ {v.error}" if v.error else (v.reply.text if v.reply is not None else "")
            plain.append(f"[{v.index + 1}] {v.prompt}\n    {status}\n    credits {v.credits_used}, "
                         f"{seconds_text(v.seconds)}" + (f", {v.export.path}" if v.export is not None else ""))
        md = [md_esc(head)] + [f"**{v.index + 1}. {md_esc(v.prompt)}** — "
                               + (f"✗ {md_esc(v.error)}" if v.error else md_esc(v.reply.text if v.reply else ""))
                               for v in self.variants]
        return {"text/plain": "\n".join(plain), "text/html": "".join(html), "text/markdown": "\n\n".join(md)}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return self.bundle()

    def __repr__(self) -> str:
        return f"CompareResult({len(self.variants)} variants, {self.wall_seconds:.1f} s)"


class CompareStatus:
    """The live status lines of a running compare, in one throttled display slot."""

    def __init__(self, prompts: Sequence[str], *, rate: float = 10.0, display: Callable[..., Any] | None = None):
        from nemo_nb.notebook._fmt import Throttle

        self.prompts = list(prompts)
        self.status = ["queued"] * len(self.prompts)
        self._display = display
        self._throttle = Throttle(rate)
        self.handle: Any = None

    def _bundle(self) -> dict[str, str]:
        rows = "".join(f"<tr><td>{i + 1}</td><td>{esc(p[:80])}</td><td>{esc(s)}</td></tr>"
                       for i, (p, s) in enumerate(zip(self.prompts, self.status)))
        plain = "\n".join(f"[{i + 1}] {s} — {p[:60]}" for i, (p, s) in enumerate(zip(self.prompts, self.status)))
        return {"text/plain": plain,
                "text/html": f'<table class="nemo-compare-status" style="font:13px sans-serif">{rows}</table>'}

    def start(self) -> CompareStatus:
        display = self._display
        if display is None:
            from IPython.display import display
        self.handle = display(self._bundle(), raw=True, display_id=True)
        return self

    def set(self, index: int, status: str) -> None:
        self.status[index] = status
        if self.handle is not None and self._throttle.ready():
            self.handle.update(self._bundle(), raw=True)

    def replace(self, bundle: dict[str, str]) -> None:
        if self.handle is not None:
            self.handle.update(bundle, raw=True)
