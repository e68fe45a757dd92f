"""The notebook's session controller: one plain-Python object (no IPython) under every notebook surface.

It owns the connection, the sessions this notebook knows (by id and by name), which one is current,
the local files uploaded to each (a compare re-uploads them), following a session the client moved to
a new id (1002), and ``{{var}}`` templating. The ``%nemo`` magics parse and call it; the widgets call
it too, so a command behaves the same from a magic, a button or Python. It speaks only the client's
public API (``nemo_nb.api``).

Blocking methods (``send``, ``upload``, ``export``…) return when the work is done; ``start_*`` methods
start the same work on the client's loop thread and return a ``concurrent.futures.Future`` at once,
so a widget never blocks the kernel.
"""
from __future__ import annotations

import contextlib
import glob
import os
import re
import time
import weakref
from collections.abc import Callable, Coroutine
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nemo_nb.notebook.errors import NOT_CONNECTED, NemoCellError
from nemo_nb.notebook.templating import substitute

if TYPE_CHECKING:
    from nemo_nb.api.voices import Voices

# The embedded backend started by "connect --local" renders a few jobs at once (so the variants of a
# compare do not queue behind each other) and is polled often: on loopback a poll costs ~1 ms.
LOCAL_RENDER_WORKERS = max(1, min(4, os.cpu_count() or 1))
_COMPARE_NAME = re.compile(r"compare-(\d+)")
_CONTROLLERS: weakref.WeakSet[NotebookSession] = weakref.WeakSet()


def local_timings() -> Any:
    from nemo_nb.api import Timings

    return Timings(render_poll_min_s=0.1, render_poll_max_s=1.0, drop_poll_s=0.5)


@dataclass
class Settings:
    """What the notebook surfaces share (the magics copy their ``%config`` options here)."""

    language: str = "en"
    export_dir: str = "nemo_exports"
    embed_limit_mb: float = 10.0
    redraw_hz: float = 10.0
    compare_concurrency: int = 4


@dataclass(frozen=True)
class SessionRow:
    """One line of ``sessions()``."""

    id: str
    name: str
    current: bool
    uploads: tuple[str, ...]
    summary: str


def expand_paths(raw: list[str] | tuple[str, ...]) -> list[Path]:
    """``~`` and globs expanded (a name that exists as it is, brackets and all, is taken literally)."""
    paths: list[Path] = []
    for item in raw:
        expanded = os.path.expanduser(item)
        matches = sorted(glob.glob(expanded)) if glob.has_magic(expanded) and not os.path.exists(expanded) else []
        paths += [Path(m) for m in matches] or [Path(expanded)]
    return paths


class NotebookSession:
    """The current connection and sessions of one notebook (see the module doc)."""

    def __init__(self, settings: Settings | None = None):
        self.settings = settings or Settings()
        self.client: Any = None               # nemo_nb.api.Nemo
        self.is_local = False
        self.sessions: dict[str, Any] = {}    # id -> Session
        self.names: dict[str, str] = {}       # name -> id
        self.current_id: str | None = None
        self.uploads: dict[str, list[Path]] = {}  # session id -> local files uploaded from this notebook
        self.last_prompt: str | None = None   # the last message sent (after {{var}})
        self.listeners: list[Callable[[str], None]] = []  # told "sessions" / "current" / "connection"
        _CONTROLLERS.add(self)

    # -- the connection ----------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.client is not None

    def require_client(self) -> Any:
        if self.client is None:
            raise NOT_CONNECTED
        return self.client

    def connect(self, *, local: bool = False, url: str | None = None, skill: str | None = None,
                language: str | None = None, data_dir: str | None = None,
                backend_options: dict[str, Any] | None = None) -> Any:
        """Connect (closing any earlier connection) and make a first session current; returns it."""
        if local and url:
            raise NemoCellError("Use either --local or --url, not both.")
        from nemo_nb.api import Nemo
        from nemo_nb.config import skill_profile

        try:
            skill_profile(skill)
        except ValueError as exc:
            raise NemoCellError(str(exc).capitalize() + ".") from None
        self.close()
        kw: dict[str, Any] = {"skill": skill, "language": language or self.settings.language}
        if local:
            folder = Path(data_dir).expanduser() if data_dir else None
            options = {"render_workers": LOCAL_RENDER_WORKERS, **(backend_options or {})}
            client = Nemo.local(folder, backend_options=options, timings=local_timings(), **kw)
        else:
            client = Nemo(url or None, **kw)
        try:
            session = client.session()
        except BaseException:
            with contextlib.suppress(Exception):  # the first error is the one to show
                client.close()
            raise
        self.client, self.is_local = client, local
        self.register(session)
        self._tell("connection")
        return session

    def adopt(self, session: Any) -> None:
        """Take over a ``Session`` made in Python (``s.studio()``): its client becomes the connection."""
        if self.client is None:
            self.client = session.client
            self.is_local = session.client is not None and session.client.local_data_dir is not None
        self.register(session)

    def close(self) -> None:
        """Forget every session and close the connection (stopping an embedded backend)."""
        client, self.client = self.client, None
        self.sessions.clear()
        self.names.clear()
        self.uploads.clear()
        self.current_id = None
        if client is not None:
            with contextlib.suppress(Exception):  # closing must not fail a cell or the interpreter's exit
                client.close()
            self._tell("connection")

    # -- sessions ------------------------------------------------------------------------------------------
    def register(self, session: Any, name: str | None = None, *, current: bool = True) -> None:
        self.sessions[session.id] = session
        if name:
            self.names[name] = session.id
        if current:
            self.current_id = session.id
        self._tell("sessions")

    def sync_ids(self) -> None:
        """After a lost session (1002) the client moved a Session to a new id: follow it."""
        for old, session in list(self.sessions.items()):
            if session.id != old:
                del self.sessions[old]
                self.sessions[session.id] = session
                self.names = {n: (session.id if i == old else i) for n, i in self.names.items()}
                if old in self.uploads:
                    self.uploads[session.id] = self.uploads.pop(old)
                if self.current_id == old:
                    self.current_id = session.id
                self._tell("sessions")

    def new(self, name: str | None = None, language: str | None = None) -> Any:
        client = self.require_client()
        if name and name in self.names:
            raise NemoCellError(f"A session is already named {name!r}.", "Pick another name, or %nemo use it.")
        session = client.session(language=language or self.settings.language)
        self.register(session, name)
        return session

    def resolve(self, name: str) -> Any:
        """A known session by name or id, or one the server knows by id."""
        client = self.require_client()
        sid = self.names.get(name, name)
        if sid in self.sessions:
            return self.sessions[sid]
        unknown = NemoCellError(f"Unknown session {name!r}.",
                                "%nemo sessions lists this notebook's sessions; %nemo new [NAME] makes one.")
        if not re.fullmatch(r"[\w-]{1,64}", name) or not any(ch.isdigit() for ch in name):
            raise unknown
        from nemo_nb.api.errors import SessionNotFound

        try:
            session = client.session(name)
        except SessionNotFound:
            raise unknown from None
        self.register(session, current=False)
        return session

    def use(self, name: str) -> Any:
        session = self.resolve(name)
        self.current_id = session.id
        self._tell("current")
        return session

    def session(self, name: str | None = None) -> Any:
        """``name``'s session (a name or an id), or the current one."""
        self.require_client()
        self.sync_ids()
        if name:
            return self.resolve(name)
        if self.current_id is None or self.current_id not in self.sessions:
            raise NemoCellError("No session in use.", "Make one with %nemo new, or pick one with %nemo use ID.")
        return self.sessions[self.current_id]

    def name_of(self, sid: str) -> str:
        names = [n for n, i in self.names.items() if i == sid and n != sid]
        return names[0] if names else ""

    def label(self, session: Any) -> str:
        name = self.name_of(session.id)
        return f"session {session.id}" + (f" ({name})" if name else "")

    def rows(self) -> list[SessionRow]:
        self.require_client()
        self.sync_ids()
        return [SessionRow(sid, self.name_of(sid), sid == self.current_id,
                           tuple(p.name for p in self.uploads.get(sid, [])), session.draft.summary())
                for sid, session in self.sessions.items()]

    # -- the work --------------------------------------------------------------------------------------
    def template(self, text: str, namespace: dict[str, Any]) -> str:
        return substitute(text, namespace)

    def upload(self, session: Any, raw_paths: list[str] | tuple[str, ...],
               progress: Callable[[int, int], None] | None = None) -> list[Any]:
        paths = expand_paths(raw_paths)
        files = session.upload(*paths, progress=progress)
        self.uploaded(session, paths)
        return list(files)

    def uploaded(self, session: Any, paths: list[Path]) -> None:
        """Remember local files uploaded to ``session`` (after following a moved id)."""
        self.sync_ids()
        known = self.uploads.setdefault(session.id, [])
        known += [p.resolve() for p in paths if p.resolve() not in known]

    def status(self, session: Any) -> Any:
        state = session.state()
        self.sync_ids()
        return state

    def transcript(self, session: Any) -> Any:
        """What ``session``'s clip says (``Session.transcript``: asks the agent only when it was not heard)."""
        heard = session.transcript()
        self.sync_ids()
        return heard

    def credits(self) -> Any:
        return self.require_client().credits()

    def add_credits(self, credits: int) -> Any:
        """Add offline credits (the embedded backend only): the new balance."""
        from nemo_nb.api.errors import EmbeddedOnly

        try:
            return self.require_client().add_credits(credits)
        except EmbeddedOnly:
            raise NemoCellError("Credits can be added only on the embedded backend (offline, %nemo connect --local).",
                                f"On the cloud, register or top up: {self.registration_url()}") from None

    @property
    def embedded(self) -> bool:
        """Connected to the embedded backend: offline credits, and no cloud features (claiming a project)."""
        return self.client is not None and (self.is_local or bool(self.client.is_embedded()))

    def registration_url(self) -> str:
        return str(self.require_client().registration_url())

    def voices(self) -> Voices:
        """Which voice speaks each language and gender (``Nemo.voices()``)."""
        voices: Voices = self.require_client().voices()
        return voices

    def export_path(self, session: Any, to: str | None = None, resume: bool = False) -> Path:
        if to:
            path = Path(os.path.expanduser(to))
            return path / f"nemo_{session.id}.mp4" if path.is_dir() else path
        if resume:
            pending = session.pending_export()
            if pending is not None:
                return Path(pending)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return Path(self.settings.export_dir).expanduser() / f"nemo_{session.id}_{stamp}.mp4"

    def export(self, session: Any, path: Path, progress: Callable[[float], None] | None = None,
               resume: bool = False, preview: bool = False) -> Any:
        """Render ``session`` to ``path``; ``preview``: a quick small look saved as ``<name>.preview.mp4``."""
        result = session.export(path, progress=progress, resume=resume, preview=preview)
        self.sync_ids()
        return result

    def send(self, session: Any, text: str, on_event: Callable[[Any], None] | None = None,
             on_still_working: Callable[[str], None] | None = None) -> Any:
        self.last_prompt = text
        reply = session.send(text, on_event=on_event, on_still_working=on_still_working)
        self.sync_ids()
        return reply

    def compare_paths(self, base: Any) -> list[Path]:
        """The local files of ``base`` that every variant uploads again (checked to still exist)."""
        paths = list(self.uploads.get(base.id, []))
        missing = [p for p in paths if not p.is_file()]
        if missing:
            raise NemoCellError(f"{missing[0]} is gone: the variants re-upload the files of {self.label(base)}.",
                                "Put the file back, or upload another with %nemo upload.")
        return paths

    def compare(self, prompts: list[str], base: Any, *, export: bool = True,
                notify: Callable[[int, str], None] | None = None) -> Any:
        """Every prompt in its own new session on ``base``'s uploads; the variants become sessions
        named ``compare-N`` (``use("compare-2")`` carries on with one)."""
        paths = self.compare_paths(base)
        export_dir = Path(self.settings.export_dir).expanduser() if export else None
        result = self.require_client().compare(prompts, paths, export_dir=export_dir, notify=notify,
                                               concurrency=self.settings.compare_concurrency)
        taken = [int(m.group(1)) for m in map(_COMPARE_NAME.fullmatch, self.names) if m]
        start = max(taken, default=0)
        for k, variant in enumerate(result.variants, 1):
            if variant.session is not None:
                self.register(variant.session, f"compare-{start + k}", current=False)
                self.uploads[variant.session.id] = list(paths)
        return result

    # -- without blocking: for widgets ------------------------------------------------------------------
    def start(self, coro: Coroutine[Any, Any, Any]) -> Future[Any]:
        """Run a coroutine of the client's async API on its loop thread; the future says when it is done
        (and then the controller follows any session that moved to a new id)."""
        future: Future[Any] = self.require_client().submit(coro)
        future.add_done_callback(lambda _f: self.sync_ids())
        return future

    def start_send(self, session: Any, text: str, on_event: Callable[[Any], None] | None = None,
                   on_still_working: Callable[[str], None] | None = None) -> Future[Any]:
        self.last_prompt = text
        return self.start(session.aio.send(text, on_event, on_still_working=on_still_working))

    def start_upload(self, session: Any, paths: list[Path],
                     progress: Callable[[int, int], None] | None = None) -> Future[Any]:
        future = self.start(session.aio.upload(*paths, progress=progress))
        future.add_done_callback(lambda f: None if f.cancelled() or f.exception() else self.uploaded(session, paths))
        return future

    def start_export(self, session: Any, path: Path, progress: Callable[[float], None] | None = None,
                     preview: bool = False) -> Future[Any]:
        return self.start(session.aio.export(path, progress, preview=preview))

    def start_cancel_export(self, session: Any, running: Future[Any] | None) -> Future[Any]:
        """Stop waiting for an export and cancel its render on the server (the future: whether one was)."""
        if running is not None:
            running.cancel()
        return self.start(session.aio.cancel_export())

    # -- listeners (widgets redraw their session picker) -----------------------------------------------
    def _tell(self, what: str) -> None:
        for listener in list(self.listeners):
            with contextlib.suppress(Exception):  # a broken view must not break a command
                listener(what)


def controller_for(session: Any) -> NotebookSession:
    """The controller that knows ``session`` (the magics' one when it does), else a new one adopting it."""
    for controller in list(_CONTROLLERS):
        if session.id in controller.sessions:
            return controller
    controller = NotebookSession()
    controller.adopt(session)
    return controller
