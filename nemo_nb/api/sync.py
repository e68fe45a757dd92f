"""``Nemo`` and ``Session``: the async client, blocking, run on one background event-loop thread.

This works where the caller's own loop is already running (a Jupyter kernel) and in plain scripts.
Callbacks (``on_event``, ``progress``) run in the caller's thread, so a notebook can display from them.
"""
from __future__ import annotations

import asyncio
import os
import queue
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from nemo_nb.api.client import AsyncNemo, AsyncSession
from nemo_nb.api.clock import Clock
from nemo_nb.api.compare import Comparison
from nemo_nb.api.events import Event
from nemo_nb.api.files import Progress
from nemo_nb.api.models import Answer, Credits, Export, Reply, SessionState, UploadedFile
from nemo_nb.api.voices import Voices
from nemo_nb.api.watch import Timings
from nemo_nb.draft import Draft
from nemo_nb.transcript import Transcript

if TYPE_CHECKING:  # pragma: no cover
    from nemo_nb.widgets import Studio

T = TypeVar("T")
Callbacks = queue.SimpleQueue[tuple[Callable[..., Any], tuple[Any, ...]]]  # calls queued for the caller's thread


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

    def run(self, coro: Coroutine[Any, Any, T], callbacks: Callbacks | None = None) -> T:
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


def _relay(callbacks: Callbacks, fn: Callable[..., Any] | None) -> Callable[..., None] | None:
    """A stand-in for ``fn`` that queues the call for the caller's thread."""
    if fn is None:
        return None
    return lambda *args: callbacks.put((fn, args))


class Session:
    """A blocking view of an ``AsyncSession``."""

    def __init__(self, inner: AsyncSession, runner: LoopThread, client: Nemo | None = None):
        self._inner = inner
        self._runner = runner
        self.client = client  # the Nemo that made this session (None when built by hand)

    def __repr__(self) -> str:
        return f"Session({self.id})"

    @property
    def id(self) -> str:
        return self._inner.id

    @property
    def draft(self) -> Draft:
        return self._inner.draft

    @property
    def aio(self) -> AsyncSession:
        """The underlying ``AsyncSession`` (its coroutines run on the loop thread: ``Nemo.submit``)."""
        return self._inner

    def _run(self, make: Callable[..., Coroutine[Any, Any, T]], *args: Any,
             **callbacks: Callable[..., Any] | None) -> T:
        relay: Callbacks = queue.SimpleQueue()
        wrapped = {name: _relay(relay, fn) for name, fn in callbacks.items()}
        return self._runner.run(make(*args, **wrapped), relay)

    def state(self) -> SessionState:
        return self._runner.run(self._inner.state())

    def upload(self, *paths: str | os.PathLike[str], progress: Progress | None = None) -> list[UploadedFile]:
        return self._run(self._inner.upload, *paths, progress=progress)

    def upload_url(self, *urls: str) -> list[UploadedFile]:
        return self._runner.run(self._inner.upload_url(*urls))

    def send(self, text: str, on_event: Callable[[Event], None] | None = None, *,
             on_still_working: Callable[[str], None] | None = None) -> Reply:
        return self._run(self._inner.send, text, on_event=on_event, on_still_working=on_still_working)

    def ask(self, text: str, *, path: str | os.PathLike[str] | None = None,
            progress: Callable[..., None] | None = None, on_event: Callable[[Event], None] | None = None,
            on_still_working: Callable[[str], None] | None = None) -> Answer:
        """Export, credits, status and upload handled here, anything else sent (``AsyncSession.ask``)."""
        return self._run(lambda **cb: self._inner.ask(text, path=path, **cb), progress=progress, on_event=on_event,
                         on_still_working=on_still_working)

    def export(self, path: str | os.PathLike[str], progress: Callable[[float], None] | None = None, *,
               resume: bool = False, language: str | None = None, preview: bool = False,
               loudness: float | str | None = None) -> Export:
        return self._run(lambda **cb: self._inner.export(path, resume=resume, language=language, preview=preview,
                                                         loudness=loudness, **cb), progress=progress)

    def pending_export(self) -> Path | None:
        return self._inner.pending_export()

    def cancel_export(self) -> bool:
        return self._runner.run(self._inner.cancel_export())

    def claim_link(self) -> str:
        return self._runner.run(self._inner.claim_link())

    def transcript(self) -> Transcript:
        """What the clip says: ``.segments_df()`` and ``.words_df()`` with times and confidence."""
        return self._runner.run(self._inner.transcript())

    def studio(self, *, embed_limit_mb: float | None = None, redraw_hz: float | None = None,
               upload_dir: str | os.PathLike[str] = "nemo_uploads") -> Studio:
        """The studio widget on this session (needs ipywidgets and anywidget; imported only now)."""
        from nemo_nb.widgets import Studio

        return Studio.for_session(self, embed_limit_mb=embed_limit_mb, redraw_hz=redraw_hz, upload_dir=upload_dir)


class Nemo:
    """The NemoVideo client, blocking. Same arguments as ``AsyncNemo``.

    >>> nemo = Nemo.local()          # the embedded backend, offline
    >>> s = nemo.session()
    """

    def __init__(self, api_url: str | None = None, *, token: str | None = None, client_id: str | None = None,
                 skill: str | None = None, language: str = "en", platform: str | None = None,
                 web_url: str | None = None, config_directory: str | os.PathLike[str] | None = None,
                 clock: Clock | None = None, timings: Timings | None = None, token_scope: str | None = None):
        self._runner = LoopThread.get()
        self._inner: AsyncNemo = self._runner.run(_build(lambda: AsyncNemo(
            api_url, token=token, client_id=client_id, skill=skill, language=language, platform=platform,
            web_url=web_url, config_directory=config_directory, clock=clock, timings=timings,
            token_scope=token_scope)))

    @classmethod
    def local(cls, data_dir: str | os.PathLike[str] | None = None, *, backend_options: dict[str, Any] | None = None,
              client_id: str | None = None, skill: str | None = None, language: str = "en",
              platform: str | None = None, web_url: str | None = None,
              config_directory: str | os.PathLike[str] | None = None, clock: Clock | None = None,
              timings: Timings | None = None) -> Nemo:
        """Start the embedded backend on loopback (``backend_options``: its settings, e.g.
        ``{"credits": 500}``) and talk to it over HTTP."""
        self = cls.__new__(cls)
        self._runner = LoopThread.get()
        self._inner = self._runner.run(_build(lambda: AsyncNemo.local(
            data_dir, backend_options=backend_options, client_id=client_id, skill=skill, language=language,
            platform=platform, web_url=web_url, config_directory=config_directory, clock=clock, timings=timings)))
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

    @property
    def skill(self) -> str:
        """The skill profile's name (the attribution headers)."""
        return self._inner.skill.name

    @property
    def local_data_dir(self) -> Path | None:
        """The data folder of the embedded backend this client started, or None."""
        return self._inner.local_data_dir

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Start an ``AsyncNemo`` / ``AsyncSession`` coroutine on the loop thread without waiting for it
        (its callbacks run on that thread); the future's ``cancel()`` cancels it."""
        return self._runner.submit(coro)

    def __repr__(self) -> str:
        return f"Nemo({self._inner.api_url}, skill={self._inner.skill.name})"

    def credits(self) -> Credits:
        return self._runner.run(self._inner.credits())

    def voices(self) -> Voices:
        """``AsyncNemo.voices``: which voice speaks each language and gender, neural or the fallback synth."""
        return self._runner.run(self._inner.voices())

    def add_credits(self, credits: int) -> Credits:
        """Add offline credits on the embedded backend (``%nemo credits --add N``): the new balance."""
        return self._runner.run(self._inner.add_credits(credits))

    def is_embedded(self) -> bool:
        """Whether this client talks to the embedded backend rather than the cloud."""
        return self._runner.run(self._inner.is_embedded())

    def session(self, session_id: str | None = None, *, language: str | None = None) -> Session:
        return Session(self._runner.run(self._inner.session(session_id, language=language)), self._runner, self)

    def registration_url(self) -> str:
        return self._inner.registration_url()

    def compare(self, prompts: Sequence[str], paths: Sequence[str | os.PathLike[str]] = (), *,
                export_dir: str | os.PathLike[str] | None = None,
                notify: Callable[[int, str], None] | None = None, concurrency: int = 8,
                start_timeout: float = 10.0) -> Comparison:
        """``AsyncNemo.compare``, blocking; ``notify`` runs in the caller's thread and each variant's
        ``session`` is a ``Session``."""
        relay: queue.SimpleQueue[Any] = queue.SimpleQueue()
        run = self._inner.compare(prompts, paths, export_dir=export_dir, notify=_relay(relay, notify),
                                  concurrency=concurrency, start_timeout=start_timeout)
        result: Comparison = self._runner.run(run, relay)
        for variant in result.variants:
            if variant.session is not None:
                variant.session = Session(variant.session, self._runner, self)
        return result

    def close(self) -> None:
        self._runner.run(self._inner.aclose())

    def __enter__(self) -> Nemo:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


async def _build(factory: Callable[[], T]) -> T:
    """Build on the loop thread, so the client's pool and locks belong to that loop."""
    return factory()
