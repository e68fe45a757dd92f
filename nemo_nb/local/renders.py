"""Render jobs: a pool of workers shared fairly between users (``render_pool``), one active render per
session, real progress from ffmpeg, cancel, a time and CPU budget each, and a failed state that says why."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nemo_nb.draft import Draft
from nemo_nb.local.budget import Budget, BudgetExceeded, spending
from nemo_nb.local.records import Render
from nemo_nb.local.render_pool import FairQueue, QueuedRender
from nemo_nb.local.settings import BackendSettings
from nemo_nb.local.store import Store

log = logging.getLogger("nemo_nb.local")


class RenderManager:
    """Schedules render jobs on the server's event loop; ffmpeg itself runs in a worker thread."""

    def __init__(self, store: Store, settings: BackendSettings, data_dir: Path):
        self.store = store
        self.settings = settings
        self.out_dir = data_dir / "renders"
        self.out_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.media_root = data_dir
        workers = max(1, settings.render_workers)
        self.workers = workers
        self._queue = FairQueue(per_user=max(1, workers // 2))
        self._running = 0
        self._closing = False
        self._cancel: dict[str, threading.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._finished: dict[str, asyncio.Event] = {}  # set when a render completes, fails or is cancelled
        self._failed_once = False

    def submit(self, job: Render) -> None:
        """Queue a render already recorded as pending; it starts when the fair queue says so."""
        self._cancel[job.key] = threading.Event()
        self._finished[job.key] = asyncio.Event()
        self._queue.add(QueuedRender(job.key, job.user_id, job.session_id))
        self._dispatch()

    def cancel(self, key: str) -> None:
        event = self._cancel.get(key)
        if event:
            event.set()
        if self._queue.remove(key):
            self._cancel.pop(key, None)
        self.store.update_render(key, status="failed", error="cancelled", completed_at=time.time())
        self._done(key)

    async def wait_finished(self, key: str, timeout: float) -> None:
        """Return when the render finishes (completed, failed or cancelled), or after ``timeout`` seconds: a
        status poll held this way answers the moment a render ends, not at the client's next poll."""
        finished = self._finished.get(key)
        if finished is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(finished.wait(), timeout)

    def _done(self, key: str) -> None:
        finished = self._finished.pop(key, None)
        if finished is not None:
            finished.set()

    def _dispatch(self) -> None:
        """Start waiting renders while a worker is free."""
        while not self._closing and self._running < self.workers and (job := self._queue.take()) is not None:
            self._running += 1
            task = asyncio.get_running_loop().create_task(self._run(job))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, queued: QueuedRender) -> None:
        key = queued.key
        try:
            job = self.store.render(key)
            if job is None or job.status != "pending":  # cancelled while queued
                return
            self.store.update_render(key, status="processing", started_at=time.time(), progress=0)
            try:
                result = await asyncio.to_thread(self._render_sync, job, self._cancel[key])
            except BudgetExceeded as exc:
                log.warning("render %s over budget: %s", key, exc)
                self.store.update_render(key, status="failed", completed_at=time.time(),
                                         error=f"{exc}; renders are free, nothing was charged. Export a shorter "
                                               "or smaller version")
            except Exception as exc:  # noqa: BLE001 — the render fails, the server does not
                if not self._cancel[key].is_set():
                    log.warning("render %s failed: %s", key, exc)
                    self.store.update_render(key, status="failed", error=str(exc)[:500],
                                             completed_at=time.time())
            else:
                self.store.update_render(key, status="completed", progress=100, completed_at=time.time(),
                                         **result)
        finally:
            self._cancel.pop(key, None)
            self._done(key)
            self._queue.finished(queued)
            self._running -= 1
            self._dispatch()

    def resolver(self, user_id: str, *, preview: bool = False) -> Callable[[str], Any]:
        """Media id → ``MediaRef`` of ``user_id``'s file (None for anyone else's, or none). For a preview, the
        file is the small copy made after the upload when it is there (``media.proxy``)."""
        from nemo_nb.local.media.probe import MediaInfo
        from nemo_nb.local.media.proxy import proxy_of
        from nemo_nb.local.media.render import MediaRef

        def resolve(media_id: str) -> MediaRef | None:
            media = self.store.media(media_id, user_id) if isinstance(media_id, str) else None
            if not media:
                return None
            path = self.media_root / media.relpath
            return MediaRef(path=(proxy_of(path) or path) if preview else path, info=MediaInfo(**media.info))

        return resolve

    def _render_sync(self, job: Render, cancel: threading.Event) -> dict[str, Any]:
        from nemo_nb.local.media.render import plan_render, render

        if self.settings.faults.render_fail_once and not self._failed_once:
            self._failed_once = True
            raise RuntimeError("fault injection: this render fails once; submit it again with a new id")

        preview = job.output.get("preview") is True  # our extension: a quick small render, named as one
        resolve = self.resolver(job.user_id, preview=preview)
        # Each render has its own folder, named by its server key: client ids are per user and may contain
        # dots, so "a.es" must not meet render "a"'s Spanish file, nor any render its work folder.
        folder = self.out_dir / job.key
        out = folder / f"{job.id}{'.preview' if preview else ''}.mp4"
        work = folder / "work"
        folder.mkdir(mode=0o700, exist_ok=True)
        work.mkdir(mode=0o700, exist_ok=True)
        last = [0.0]

        def progress(percent: float) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2 or percent >= 100:
                last[0] = now
                self.store.update_render(job.key, progress=round(min(percent, 99.0), 1))

        language = job.output.get("language")
        budget = Budget("this render", self.settings.render_wall_s, self.settings.render_cpu_s)
        try:
            with spending(budget):
                plan = plan_render(Draft(self.store.render_draft(job.key)), resolve, out, work,
                                   language=language, preview=preview,
                                   loudness=job.output.get("loudness", "draft"))  # our extension: LUFS or "off"
                report = render(plan, on_progress=progress, cancel=cancel)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # the render's own folder: nothing of it is kept
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log.info("render %s: %s", job.id, report)  # the render log: how the picture was made, and why
        log.info("render %s frame: %s", job.id, report.frame)  # blurred background, bars or a crop
        log.info("render %s sound: %s", job.id, report.sound)  # measured loudness and the gain applied
        for path in (out, *plan.extra_outputs.values()):
            path.chmod(0o600)
        url_key = secrets.token_urlsafe(18)
        # An extra output's key starts with its render's key (how /files finds it) and has its own secret part.
        extra = {lang: {"relpath": path.relative_to(self.media_root).as_posix(),
                        "url_key": f"{url_key}.{secrets.token_urlsafe(12)}", "size": path.stat().st_size}
                 for lang, path in plan.extra_outputs.items()}
        return {"relpath": out.relative_to(self.media_root).as_posix(), "url_key": url_key,
                "size": out.stat().st_size, "duration": round(plan.duration_s, 3),  # as planned: no probe run
                "copies_video": int(plan.copies_video), "extra_outputs": extra, "languages": list(plan.languages)}

    async def drain(self) -> None:
        self._closing = True  # renders still waiting never start; the next start fails them (datadir)
        for event in self._cancel.values():
            event.set()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
