"""Render jobs: one active render per session (others wait their turn), a few at once overall,
real progress from ffmpeg, cancel, and a failed state that says why."""
from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from nemo_nb.draft import Draft
from nemo_nb.local.records import Render
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
        self._session_locks: dict[str, asyncio.Lock] = {}
        self._slots: asyncio.Semaphore | None = None
        self._cancel: dict[str, threading.Event] = {}
        self._tasks: set[asyncio.Task] = set()
        self._failed_once = False

    def submit(self, key: str) -> None:
        """Queue a render already recorded as pending (by its server key)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(1, self.settings.render_workers))
        self._cancel[key] = threading.Event()
        task = asyncio.get_running_loop().create_task(self._run(key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self, key: str) -> None:
        event = self._cancel.get(key)
        if event:
            event.set()
        self.store.update_render(key, status="failed", error="cancelled", completed_at=time.time())

    async def _run(self, key: str) -> None:
        job = self.store.render(key)
        if job is None or self._slots is None:
            return
        lock = self._session_locks.setdefault(job.session_id, asyncio.Lock())
        async with lock, self._slots:
            now = self.store.render(key)
            if now is None or now.status != "pending":  # cancelled while queued
                return
            self.store.update_render(key, status="processing", started_at=time.time(), progress=0)
            try:
                result = await asyncio.to_thread(self._render_sync, job, self._cancel[key])
            except Exception as exc:
                if not self._cancel[key].is_set():
                    log.warning("render %s failed: %s", key, exc)
                    self.store.update_render(key, status="failed", error=str(exc)[:500],
                                             completed_at=time.time())
            else:
                self.store.update_render(key, status="completed", progress=100, completed_at=time.time(),
                                         **result)
            finally:
                self._cancel.pop(key, None)

    def _render_sync(self, job: Render, cancel: threading.Event) -> dict[str, Any]:
        from nemo_nb.local.media.probe import MediaInfo, probe
        from nemo_nb.local.media.render import MediaRef, plan_render, render

        if self.settings.faults.render_fail_once and not self._failed_once:
            self._failed_once = True
            raise RuntimeError("fault injection: this render fails once; submit it again with a new id")

        def resolve(media_id: str) -> MediaRef | None:
            media = self.store.media(media_id, job.user_id) if isinstance(media_id, str) else None
            if not media:
                return None
            return MediaRef(path=self.media_root / media.relpath, info=MediaInfo(**media.info))

        # Each render has its own folder, named by its server key: client ids are per user and may contain
        # dots, so "a.es" must not meet render "a"'s Spanish file, nor any render its work folder.
        folder = self.out_dir / job.key
        out = folder / f"{job.id}.mp4"
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
        try:
            plan = plan_render(Draft(self.store.render_draft(job.key)), resolve, out, work, language=language)
            render(plan, on_progress=progress, cancel=cancel)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # the render's own folder: nothing of it is kept
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        info = probe(out)
        for path in (out, *plan.extra_outputs.values()):
            path.chmod(0o600)
        url_key = secrets.token_urlsafe(18)
        # An extra output's key starts with its render's key (how /files finds it) and has its own secret part.
        extra = {lang: {"relpath": path.relative_to(self.media_root).as_posix(),
                        "url_key": f"{url_key}.{secrets.token_urlsafe(12)}", "size": path.stat().st_size}
                 for lang, path in plan.extra_outputs.items()}
        return {"relpath": out.relative_to(self.media_root).as_posix(), "url_key": url_key,
                "size": out.stat().st_size, "duration": round(info.duration_s, 3),
                "copies_video": int(plan.copies_video), "extra_outputs": extra, "languages": list(plan.languages)}

    async def drain(self) -> None:
        for event in self._cancel.values():
            event.set()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
