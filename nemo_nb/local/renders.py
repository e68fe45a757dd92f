"""Render jobs: one active render per session (others wait their turn), a few at once overall,
real progress from ffmpeg, cancel, and a failed state that says why."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from nemo_nb.draft import Draft
from nemo_nb.local.settings import BackendSettings
from nemo_nb.local.store import Store

log = logging.getLogger("nemo_nb.local")


class RenderManager:
    """Schedules render jobs on the server's event loop; ffmpeg itself runs in a worker thread."""

    def __init__(self, store: Store, settings: BackendSettings, data_dir: Path):
        self.store = store
        self.settings = settings
        self.out_dir = data_dir / "renders"
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.media_root = data_dir
        self._session_locks: dict[str, asyncio.Lock] = {}
        self._slots: asyncio.Semaphore | None = None
        self._cancel: dict[str, threading.Event] = {}
        self._tasks: set[asyncio.Task] = set()
        self._finished: dict[str, asyncio.Event] = {}  # set when a render completes, fails or is cancelled
        self._failed_once = False

    def clean_leftovers(self) -> None:
        """Work folders and partial files of renders cut off by a crash.

        Each render has its own folder ``<id>/`` (``<id>.mp4``, ``<id>.<lang>.mp4``, ``work/`` while it
        runs); older versions wrote ``<id>.mp4`` with a ``<id>.work/`` folder next to it.
        """
        for path in self.out_dir.iterdir():
            if not path.is_dir():
                if path.name.endswith(".part"):  # older layout
                    path.unlink(missing_ok=True)
                continue
            shutil.rmtree(path / "work", ignore_errors=True)
            for partial in path.glob("*.part"):
                partial.unlink(missing_ok=True)
            # An older work folder, or a render folder left with nothing (its render failed): a finished
            # render's folder always holds its MP4, also when its id ends in ".work".
            if not any(path.glob("*.mp4")):
                shutil.rmtree(path, ignore_errors=True)

    def submit(self, render_id: str) -> None:
        """Queue a render already recorded as pending."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(max(1, self.settings.render_workers))
        self._cancel[render_id] = threading.Event()
        self._finished[render_id] = asyncio.Event()
        task = asyncio.get_running_loop().create_task(self._run(render_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def cancel(self, render_id: str) -> None:
        event = self._cancel.get(render_id)
        if event:
            event.set()
        self.store.update_render(render_id, status="failed", error="cancelled", completed_at=time.time())
        self._done(render_id)

    async def wait_finished(self, render_id: str, timeout: float) -> None:
        """Return when the render finishes (completed, failed or cancelled), or after ``timeout`` seconds: a
        status poll held this way answers the moment a render ends, not at the client's next poll."""
        finished = self._finished.get(render_id)
        if finished is not None:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(finished.wait(), timeout)

    def _done(self, render_id: str) -> None:
        finished = self._finished.pop(render_id, None)
        if finished is not None:
            finished.set()

    async def _run(self, render_id: str) -> None:
        job = self.store.render(render_id)
        lock = self._session_locks.setdefault(job["session_id"], asyncio.Lock())
        async with lock, self._slots:
            if self.store.render(render_id)["status"] != "pending":  # cancelled while queued
                return
            self.store.update_render(render_id, status="processing", started_at=time.time(), progress=0)
            try:
                result = await asyncio.to_thread(self._render_sync, job, self._cancel[render_id])
            except Exception as exc:
                if not self._cancel[render_id].is_set():
                    log.warning("render %s failed: %s", render_id, exc)
                    self.store.update_render(render_id, status="failed", error=str(exc)[:500],
                                             completed_at=time.time())
            else:
                self.store.update_render(render_id, status="completed", progress=100, completed_at=time.time(),
                                         **result)
            finally:
                self._cancel.pop(render_id, None)
                self._done(render_id)

    def _render_sync(self, job: dict[str, Any], cancel: threading.Event) -> dict[str, Any]:
        from nemo_nb.local.media.probe import MediaInfo
        from nemo_nb.local.media.proxy import proxy_of
        from nemo_nb.local.media.render import MediaRef, plan_render, render

        if self.settings.faults.render_fail_once and not self._failed_once:
            self._failed_once = True
            raise RuntimeError("fault injection: this render fails once; submit it again with a new id")

        def resolve(media_id: str) -> MediaRef | None:
            media = self.store.media(media_id, job["user_id"]) if isinstance(media_id, str) else None
            if not media:
                return None
            path = self.media_root / media["relpath"]
            if preview:  # a preview decodes the small copy made after the upload, when it is there
                path = proxy_of(path) or path
            return MediaRef(path=path, info=MediaInfo(**media["info"]))

        # Each render has its own folder: ids are unique but may contain dots, so "a.es" must not
        # meet render "a"'s Spanish file, nor any render its work folder.
        output = json.loads(job["output"])
        output = output if isinstance(output, dict) else {}
        preview = output.get("preview") is True  # our extension: a quick small render, named as one
        folder = self.out_dir / job["id"]
        out = folder / f"{job['id']}{'.preview' if preview else ''}.mp4"
        work = folder / "work"
        work.mkdir(parents=True, exist_ok=True)
        last = [0.0]

        def progress(percent: float) -> None:
            now = time.monotonic()
            if now - last[0] >= 0.2 or percent >= 100:
                last[0] = now
                self.store.update_render(job["id"], progress=round(min(percent, 99.0), 1))

        language = output.get("language")
        try:
            plan = plan_render(Draft(json.loads(job["draft"])), resolve, out, work, language=language, preview=preview,
                               loudness=output.get("loudness", "draft"))  # our extension: LUFS or "off"
            report = render(plan, on_progress=progress, cancel=cancel)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)  # the render's own folder: nothing of it is kept
            raise
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log.info("render %s: %s", job["id"], report)  # the render log: how the picture was made, and why
        log.info("render %s frame: %s", job["id"], report.frame)  # blurred background, bars or a crop
        log.info("render %s sound: %s", job["id"], report.sound)  # measured loudness and the gain applied
        url_key = secrets.token_urlsafe(18)
        # An extra output's key starts with its render's key (how /files finds it) and has its own secret part.
        extra = {lang: {"relpath": path.relative_to(self.media_root).as_posix(),
                        "url_key": f"{url_key}.{secrets.token_urlsafe(12)}", "size": path.stat().st_size}
                 for lang, path in plan.extra_outputs.items()}
        return {"relpath": out.relative_to(self.media_root).as_posix(), "url_key": url_key,
                "size": out.stat().st_size, "duration": round(plan.duration_s, 3),  # as planned: no probe run
                "copies_video": int(plan.copies_video), "extra_outputs": json.dumps(extra),
                "languages": json.dumps(list(plan.languages))}

    async def drain(self) -> None:
        for event in self._cancel.values():
            event.set()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=10)
