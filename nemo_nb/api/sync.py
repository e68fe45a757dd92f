"""``Nemo`` and ``Session``: the async client, blocking, run on one background event-loop thread.

This works where the caller's own loop is already running (a Jupyter kernel) and in plain scripts.
Callbacks (``on_event``, ``progress``) run in the caller's thread, so a notebook can display from them.
"""
from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from typing import Any, TypeVar

from nemo_nb.api.client import AsyncNemo, AsyncSession
from nemo_nb.api.models import Credits, Export, Reply, SessionState, UploadedFile
from nemo_nb.draft import Draft

T = TypeVar("T")


class LoopThread:
    """One daemon thread running an event loop, shared by every ``Nemo`` of the process."""

    _instance: LoopThread | None = None
    _guard = threading.Lock()

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="nemo-nb-loop", daemon=True)
        self.thread.start()

    @classmethod
    def get(cls) -> LoopThread:
        with cls._guard:
            if cls._instance is None or not cls._instance.thread.is_alive():
                cls._instance = cls()
            return cls._instance

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], callbacks: queue.SimpleQueue | None = None) -> T:
        """Run ``coro`` on the loop; meanwhile run the callbacks it queues, here, in this thread."""
        if threading.current_thread() is self.thread:
            raise RuntimeError("Nemo (blocking) was called from its own loop thread; use AsyncNemo there")
        future = self.submit(coro)
        try:
            while True:
                if callbacks is None:
                    return future.result()
                try:
                    fn, args = callbacks.get(timeout=0.02)
                except queue.Empty:
                    if future.done():
                        break
                    continue
                fn(*args)
            while not callbacks.empty():
                fn, args = callbacks.get_nowait()
                fn(*args)
            return future.result()
        except BaseException:
            future.cancel()
            raise


def _relay(callbacks: queue.SimpleQueue, fn: Callable[..., Any] | None) -> Callable[..., None] | None:
    """A stand-in for ``fn`` that queues the call for the caller's thread."""
    if fn is None:
        return None
    return lambda *args: callbacks.put((fn, args))


class Session:
    """A blocking view of an ``AsyncSession``."""

    def __init__(self, inner: AsyncSession, runner: LoopThread):
        self._inner = inner
        self._runner = runner

    def __repr__(self) -> str:
        return f"Session({self.id})"

    @property
    def id(self) -> str:
        return self._inner.id

    @property
    def draft(self) -> Draft:
        return self._inner.draft

    def _run(self, make: Callable[..., Coroutine[Any, Any, T]], *args: Any, **callbacks: Any) -> T:
        relay: queue.SimpleQueue = queue.SimpleQueue()
        wrapped = {name: _relay(relay, fn) for name, fn in callbacks.items()}
        return self._runner.run(make(*args, **wrapped), relay)

    def state(self) -> SessionState:
        return self._runner.run(self._inner.state())

    def upload(self, *paths: str | os.PathLike[str], progress: Callable[[int, int], None] | None = None
               ) -> list[UploadedFile]:
        return self._run(self._inner.upload, *paths, progress=progress)

    def upload_url(self, *urls: str) -> list[UploadedFile]:
        return self._runner.run(self._inner.upload_url(*urls))

    def send(self, text: str, on_event: Callable[[Any], None] | None = None, *,
             on_still_working: Callable[[str], None] | None = None) -> Reply:
        return self._run(self._inner.send, text, on_event=on_event, on_still_working=on_still_working)

    def ask(self, text: str, **kw: Any) -> Any:
        callbacks = {k: kw.pop(k) for k in ("on_event", "on_still_working", "progress") if k in kw}
        return self._run(lambda **cb: self._inner.ask(text, **kw, **cb), **callbacks)

    def export(self, path: str | os.PathLike[str], progress: Callable[[float], None] | None = None, *,
               resume: bool = False, language: str | None = None, preview: bool = False,
               loudness: float | str | None = None) -> Export:
        return self._run(lambda **cb: self._inner.export(path, resume=resume, language=language, preview=preview,
                                                         loudness=loudness, **cb), progress=progress)

    def claim_link(self) -> str:
        return self._runner.run(self._inner.claim_link())


class Nemo:
    """The NemoVideo client, blocking. Same arguments as ``AsyncNemo``.

    >>> nemo = Nemo.local()          # the embedded backend, offline
    >>> s = nemo.session()
    """

    def __init__(self, *args: Any, **kw: Any):
        self._runner = LoopThread.get()
        self._inner: AsyncNemo = self._runner.run(_build(lambda: AsyncNemo(*args, **kw)))

    @classmethod
    def local(cls, data_dir: str | os.PathLike[str] | None = None, **kw: Any) -> Nemo:
        """Start the embedded backend on loopback and talk to it over HTTP."""
        self = cls.__new__(cls)
        self._runner = LoopThread.get()
        self._inner = self._runner.run(_build(lambda: AsyncNemo.local(data_dir, **kw)))
        return self

    @property
    def aio(self) -> AsyncNemo:
        """The underlying ``AsyncNemo`` (its coroutines must run on ``Nemo``'s loop thread)."""
        return self._inner

    @property
    def api_url(self) -> str:
        return self._inner.api_url

    @property
    def user_id(self) -> str | None:
        return self._inner.user_id

    def __repr__(self) -> str:
        return f"Nemo({self._inner.api_url}, skill={self._inner.skill.name})"

    def credits(self) -> Credits:
        return self._runner.run(self._inner.credits())

    def session(self, session_id: str | None = None, *, language: str | None = None) -> Session:
        return Session(self._runner.run(self._inner.session(session_id, language=language)), self._runner)

    def registration_url(self) -> str:
        return self._inner.registration_url()

    def close(self) -> None:
        self._runner.run(self._inner.aclose())

    def __enter__(self) -> Nemo:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


async def _build(factory: Callable[[], T]) -> T:
    """Build on the loop thread, so the client's pool and locks belong to that loop."""
    return factory()
