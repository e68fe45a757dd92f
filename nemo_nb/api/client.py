"""``AsyncNemo`` and ``AsyncSession``: the whole protocol, with its recovery paths."""
from __future__ import annotations

import asyncio
import json
import mimetypes
import os
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from nemo_nb.api import errors
from nemo_nb.api.auth import Identity
from nemo_nb.api.events import ErrorEvent, Event, EventParser, Heartbeat, TextEvent, ToolCall, iter_events
from nemo_nb.api.models import Credits, Export, Reply, SessionState, UploadedFile
from nemo_nb.api.transport import Clock, Transport, decode
from nemo_nb.config import DEFAULT_API_URL, DEFAULT_WEB_URL, config_dir, skill_profile
from nemo_nb.draft import Draft
from nemo_nb.formats import MAX_UPLOAD_BYTES, media_kind
from nemo_nb.routing import route, strip_noise, translate_gui

APP = "nemo_agent"
STILL_WORKING = "⏳ Still working…"
Progress = Callable[[int, int], None]


@dataclass
class Timings:
    """The client's timers, in seconds (of the client's ``Clock``)."""

    still_working_s: float = 120.0      # "still working" every 2 minutes without text
    heartbeat_timeout_s: float = 600.0  # 10 minutes of heartbeats only → timeout
    turn_cap_s: float = 900.0           # hard cap of one turn
    drop_wait_s: float = 300.0          # after a dropped stream, poll the state this long
    drop_poll_s: float = 2.0
    render_poll_min_s: float = 0.5
    render_poll_max_s: float = 10.0
    render_timeout_s: float = 1800.0
    retry_after_cap_s: float = 30.0


class ProgressFile:
    """A file opened for upload that reports bytes read; httpx streams it chunk by chunk.

    Reads are at least ``MIN_READ`` bytes: httpx asks for 64 KiB at a time, and fewer, larger
    writes keep a large upload as fast as a bare streamed one while memory stays flat.
    """

    MIN_READ = 1 << 20

    def __init__(self, path: Path, report: Callable[[int], None]):
        self._f = path.open("rb")
        self._report = report
        self._sent = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._f.read(size if size < 0 else max(size, self.MIN_READ))
        self._sent += len(chunk)
        self._report(len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._f.seek(offset, whence)
        if whence == 0 and offset == 0 and self._sent:
            self._report(-self._sent)
            self._sent = 0
        return position

    def tell(self) -> int:
        return self._f.tell()

    def fileno(self) -> int:
        return self._f.fileno()

    def close(self) -> None:
        self._f.close()


class PendingRenders:
    """Render ids started per session, kept on disk so an export survives a kernel restart."""

    def __init__(self, directory: Path):
        self.path = directory / "pending_renders.json"

    def _load(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return {}

    def get(self, session_id: str) -> dict[str, Any] | None:
        return self._load().get(session_id)

    def put(self, session_id: str, render_id: str, path: Path) -> None:
        data = self._load()
        data[session_id] = {"render_id": render_id, "path": str(path), "started": time.time()}
        self._save(data)

    def clear(self, session_id: str) -> None:
        data = self._load()
        if data.pop(session_id, None) is not None:
            self._save(data)

    def _save(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.replace(tmp, self.path)


def render_status(body: dict[str, Any]) -> dict[str, Any]:
    """Either poll shape (wrapped ``data`` or top-level ``taskId``) → one flat dict."""
    d = body["data"] if isinstance(body.get("data"), dict) else body
    output = d.get("output") if isinstance(d.get("output"), dict) else {}
    outputs = output.get("outputs") or d.get("outputs")
    return {"id": d.get("id") or d.get("taskId"), "status": str(d.get("status", "pending")),
            "progress": float(d.get("progress") or 0), "url": d.get("outputUrl") or output.get("url"),
            "duration": output.get("duration", d.get("duration")), "size": output.get("size", d.get("size")),
            "error": d.get("error"), "outputs": outputs if isinstance(outputs, dict) else {}}


def new_render_id() -> str:
    return f"render_{int(time.time() * 1000)}_{secrets.token_hex(3)}"


class TurnWatch:
    """Timers of one turn: "still working" notices, heartbeats-only timeout, hard cap."""

    def __init__(self, clock: Clock, timings: Timings, on_still_working: Callable[[str], None] | None):
        self.clock, self.timings, self.on_still_working = clock, timings, on_still_working
        self.started = self.last_text = self.last_work = clock.monotonic()
        self.expired: str | None = None
        self.notices: list[str] = []

    def saw(self, event: Event) -> None:
        if isinstance(event, Heartbeat):
            return
        now = self.clock.monotonic()
        self.last_work = now
        if isinstance(event, TextEvent):
            self.last_text = now

    async def run(self, consumer: asyncio.Future) -> None:
        t = self.timings
        tick = min(1.0, t.still_working_s / 4)
        while not consumer.done():
            await self.clock.sleep(tick)
            now = self.clock.monotonic()
            if now - self.started >= t.turn_cap_s:
                self.expired = f"the turn passed the {t.turn_cap_s / 60:.0f}-minute cap"
            elif now - self.last_work >= t.heartbeat_timeout_s:
                self.expired = f"{t.heartbeat_timeout_s / 60:.0f} minutes of heartbeats only"
            if self.expired:
                consumer.cancel()
                return
            if now - self.last_text >= t.still_working_s:
                self.last_text = now
                self.notices.append(STILL_WORKING)
                if self.on_still_working:
                    self.on_still_working(STILL_WORKING)


class AsyncSession:
    """One editing session: upload, talk, look at the timeline, export."""

    def __init__(self, nemo: AsyncNemo, session_id: str, task_id: str = ""):
        self.nemo = nemo
        self.id = str(session_id)
        self.task_id = task_id
        self._state: SessionState | None = None

    def __repr__(self) -> str:
        return f"AsyncSession({self.id})"

    @property
    def draft(self) -> Draft:
        """The last draft seen (``state()`` refreshes it)."""
        return self._state.draft if self._state else Draft()

    # -- session-scoped calls, with the 1002 recovery ------------------------------------------------
    async def _lost(self, error: errors.SessionNotFound) -> errors.SessionNotFound:
        old = self.id
        fresh = await self.nemo._create_session()
        self.id, self.task_id, self._state = fresh["session_id"], fresh.get("task_id", ""), None
        return errors.SessionNotFound(f"session {old} was not found on the server; a new session {self.id} "
                                      "was made and is now in use", code=1002, status=error.status)

    async def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        try:
            return await self.nemo.transport.call(method, path, **kw)
        except errors.SessionNotFound as exc:
            raise await self._lost(exc) from None

    async def state(self) -> SessionState:
        body = await self._call("GET", f"/api/state/{APP}/me/{self.id}/latest")
        self._state = SessionState.from_data(body.get("data") or {})
        self.task_id = self._state.task_id or self.task_id
        return self._state

    async def claim_link(self) -> str:
        """A browser link that gives this session to a registered account (it holds a secret: share with care)."""
        body = await self._call("POST", "/api/auth/claim-token", json={"task_id": self.task_id, "session_id": self.id})
        return f"{self.nemo.web_url}/workspace/claim?ct={body['data']['claim_token']}"

    # -- uploads ---------------------------------------------------------------------------------------
    async def upload(self, *paths: str | os.PathLike[str], progress: Progress | None = None) -> list[UploadedFile]:
        """Upload files (streamed from disk), checked for type and size before any byte is sent."""
        files = [Path(p).expanduser() for p in paths]
        if not files:
            raise errors.BadRequest("name at least one file to upload")
        for f in files:
            if not f.is_file():
                raise errors.BadRequest(f"no such file: {f}")
            if media_kind(f.name) is None:
                raise errors.UnsupportedFile(f"{f.name} is not a supported type")
            if f.stat().st_size > MAX_UPLOAD_BYTES:
                raise errors.FileTooLarge(f"{f.name} is {f.stat().st_size / 1e6:.0f} MB")
        total = sum(f.stat().st_size for f in files)
        sent = [0]

        def report(n: int) -> None:
            sent[0] += n
            if progress:
                progress(sent[0], total)

        handles = [ProgressFile(f, report) for f in files]
        try:
            parts = [("files", (f.name, h, mimetypes.guess_type(f.name)[0] or "application/octet-stream"))
                     for f, h in zip(files, handles)]
            body = await self._call("POST", f"/api/upload-video/{APP}/me/{self.id}", files=parts,
                                    headers={"Idempotency-Key": str(uuid.uuid4())},
                                    timeout=httpx.Timeout(60, write=None, read=600))
        finally:
            for h in handles:
                h.close()
        return [UploadedFile.from_data(d) for d in body["data"].get("files", [])]

    async def upload_url(self, *urls: str) -> list[UploadedFile]:
        """Ask the server to fetch media from http(s) URLs."""
        body = await self._call("POST", f"/api/upload-video/{APP}/me/{self.id}",
                                json={"urls": list(urls), "source_type": "url"},
                                headers={"Idempotency-Key": str(uuid.uuid4())})
        return [UploadedFile.from_data(d) for d in body["data"].get("files", [])]

    # -- talking to the agent --------------------------------------------------------------------------
    async def stream(self, text: str) -> AsyncIterator[Event]:
        """The raw events of one turn, as they arrive (no timers, no recovery: see ``send``)."""
        parser = EventParser()
        async for event in self._events(text, parser):
            yield event

    async def _events(self, text: str, parser: EventParser) -> AsyncIterator[Event]:
        body = {"app_name": APP, "user_id": "me", "session_id": self.id,
                "new_message": {"role": "user", "parts": [{"text": text}]}, "streaming": True}
        headers = {"Accept": "text/event-stream", "Idempotency-Key": str(uuid.uuid4())}
        try:
            async with self.nemo.transport.stream("POST", "/run_sse", json=body, headers=headers,
                                                  timeout=httpx.Timeout(60, read=None)) as response:
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    await response.aread()
                    decode(response)
                    raise errors.ServerError("/run_sse answered without an event stream")
                async for event in iter_events(response.aiter_text(), parser):
                    yield event
                    if isinstance(event, ErrorEvent):
                        return
        except errors.SessionNotFound as exc:
            raise await self._lost(exc) from None

    async def send(self, text: str, on_event: Callable[[Event], None] | None = None, *,
                   on_still_working: Callable[[str], None] | None = None) -> Reply:
        """Send one message and wait for the whole reply. Never re-sends: a dropped stream is
        followed by polling the state; a turn without text is described from the draft diff."""
        nemo = self.nemo
        before, credits_before = await asyncio.gather(self.state(), nemo.credits())
        parser, events = EventParser(), []
        watch = TurnWatch(nemo.clock, nemo.timings, on_still_working)
        dropped = False

        async def consume() -> None:
            nonlocal dropped
            try:
                async for event in self._events(text, parser):
                    watch.saw(event)
                    events.append(event)
                    if on_event:
                        on_event(event)
            except (httpx.RemoteProtocolError, httpx.ReadError, httpx.StreamError):
                dropped = True

        consumer = asyncio.ensure_future(consume())
        watchdog = asyncio.ensure_future(watch.run(consumer))
        try:
            await consumer
        except asyncio.CancelledError:
            if watch.expired is None:
                raise
            raise errors.StreamTimeout(f"no reply: {watch.expired}") from None
        finally:
            watchdog.cancel()
        error = next((e for e in events if isinstance(e, ErrorEvent)), None)
        if error:
            raise errors.AgentError(f"the agent reported an error: {error.message}")
        notices = list(watch.notices)
        after = await self.state()
        incomplete = False
        if dropped:
            after, landed = await self._await_change(before.draft)
            notices.append("The connection dropped; the message was not re-sent. "
                           + ("The edit landed: see the changes below." if landed else
                              f"The timeline did not change within {nemo.timings.drop_wait_s / 60:.0f} minutes; "
                              "check s.state() later."))
            incomplete = not landed
        return await self._reply(parser.text, events, before, after, credits_before, notices, incomplete)

    async def _await_change(self, before: Draft) -> tuple[SessionState, bool]:
        t = self.nemo.timings
        deadline = self.nemo.clock.monotonic() + t.drop_wait_s
        state = await self.state()
        while state.draft == before and self.nemo.clock.monotonic() < deadline:
            await self.nemo.clock.sleep(t.drop_poll_s)
            state = await self.state()
        return state, state.draft != before

    async def _reply(self, raw: str, events: list[Event], before: SessionState, after: SessionState,
                     credits_before: Credits, notices: list[str], incomplete: bool) -> Reply:
        changes = after.draft.diff(before.draft)
        silent = not raw.strip()
        actions: tuple[str, ...] = ()
        if silent:
            text = " ".join(changes) if changes else "The agent finished without a reply; the timeline did not change."
        else:
            translated = translate_gui(strip_noise(raw))
            text, actions = translated.text, translated.actions
        if notices:
            text = "\n\n".join([text, *notices])
        credits_after = await self.nemo.credits()
        return Reply(text=text, events=events, tool_calls=[e for e in events if isinstance(e, ToolCall)],
                     silent=silent, changes=changes, draft_before=before.draft, draft_after=after.draft,
                     credits_used=max(0, credits_before.available - credits_after.available), actions=actions,
                     notices=notices, raw_text=raw, incomplete=incomplete)

    async def ask(self, text: str, **kw: Any) -> Any:
        """Route like PROTOCOL.md: export / credits / status / upload handled here, the rest sent."""
        intent = route(text)
        if intent.action == "export":
            return await self.export(kw.get("path") or f"nemo_{self.id}.mp4", progress=kw.get("progress"))
        if intent.action == "credits":
            return await self.nemo.credits()
        if intent.action == "status":
            return await self.state()
        if intent.action == "upload":
            if not intent.paths:
                raise errors.BadRequest("say which file to upload, e.g. 'upload clip.mp4'")
            return await self.upload(*intent.paths, progress=kw.get("progress"))
        return await self.send(text, kw.get("on_event"), on_still_working=kw.get("on_still_working"))

    # -- export ----------------------------------------------------------------------------------------
    async def export(self, path: str | os.PathLike[str], progress: Callable[[float], None] | None = None, *,
                     resume: bool = False, language: str | None = None, preview: bool = False,
                     loudness: float | str | None = None) -> Export:
        """Render the draft to an MP4 at ``path``. ``resume=True`` picks up a render started earlier
        (even before a kernel restart). A failed render is retried once with a new id. A dubbed draft
        gives one MP4 with every language as a tagged audio track, plus ``<name>.<lang>.mp4`` per
        language (``Export.outputs``); ``language="es"`` renders that language alone. ``preview=True``:
        a quick small render for looking (at most 540p; the embedded backend's extension), saved as
        ``<name>.preview.mp4`` and marked ``Export.preview`` — never the final export. ``loudness``: the
        sound's target in LUFS for this render (``-16`` for a podcast) or ``"off"``; by default the draft's
        (``m.loudness``), else −14 LUFS (the embedded backend's extension)."""
        path = preview_path(path) if preview else Path(path).expanduser()
        pending = self.nemo.pending.get(self.id) if resume else None
        if pending:
            render_id = pending["render_id"]
        else:
            render_id = await self._submit(path, language, preview, loudness)
        status = await self._poll(render_id, progress)
        if status["status"] == "failed":
            first_error = status.get("error") or "unknown error"
            render_id = await self._submit(path, language, preview, loudness)
            status = await self._poll(render_id, progress)
            if status["status"] == "failed":
                self.nemo.pending.clear(self.id)
                raise errors.RenderFailed(f"the render failed twice: {status.get('error') or first_error}")
        size = await self._download(render_id, status.get("url"), path)
        outputs = {}
        for lang, url in status["outputs"].items():
            target = path.with_name(f"{path.stem}.{lang}{path.suffix}")
            await self._download(render_id, url, target, language=lang)
            outputs[lang] = target
        self.nemo.pending.clear(self.id)
        duration = status.get("duration")
        return Export(path=path, url=status.get("url"), duration=float(duration) if duration else None,
                      size=size, render_id=render_id, outputs=outputs, preview=preview)

    async def _submit(self, path: Path, language: str | None = None, preview: bool = False,
                      loudness: float | str | None = None) -> str:
        state = await self.state()
        if not state.draft.is_renderable:
            raise errors.NothingToExport("the timeline is empty: nothing to export")
        render_id = new_render_id()
        self.nemo.pending.put(self.id, render_id, path)
        output = {"format": "mp4", "quality": "high", **({"language": language} if language else {}),
                  **({"preview": True} if preview else {}), **({"loudness": loudness} if loudness is not None else {})}
        await self._call("POST", "/api/render/proxy/lambda",
                         json={"id": render_id, "sessionId": self.id, "draft": state.draft.to_json(),
                               "output": output},
                         headers={"Idempotency-Key": render_id})
        return render_id

    async def _poll(self, render_id: str, progress: Callable[[float], None] | None) -> dict[str, Any]:
        t, clock = self.nemo.timings, self.nemo.clock
        delay = t.render_poll_min_s
        deadline = clock.monotonic() + t.render_timeout_s
        while True:
            status = render_status(await self._call("GET", f"/api/render/proxy/lambda/{render_id}"))
            if progress:
                progress(100.0 if status["status"] == "completed" else status["progress"])
            if status["status"] in ("completed", "failed"):
                return status
            if clock.monotonic() > deadline:
                raise errors.RenderFailed(f"the render did not finish within {t.render_timeout_s / 60:.0f} minutes")
            await clock.sleep(delay)
            delay = min(t.render_poll_max_s, delay * 1.5)

    async def _download(self, render_id: str, url: str | None, path: Path, language: str | None = None) -> int:
        """Stream the MP4 to ``path`` (via a .part file): the output URL first (no credentials sent
        to it unless it is the API's own host), else the API's fallback download."""
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        transport = self.nemo.transport
        attempts: list[Any] = []
        if url:
            attempts.append(("url", url))
        query = f"?language={language}" if language else ""
        attempts.append(("api", f"/api/render/proxy/{render_id}/download{query}"))
        last_error: Exception | None = None
        for kind, target in attempts:
            try:
                if kind == "url":
                    async with transport.http.stream("GET", transport.url(target), timeout=httpx.Timeout(60, read=300),
                                                     headers={}) as response:
                        response.raise_for_status()
                        size = await _save(response, part)
                else:
                    async with transport.stream("GET", target) as response:
                        size = await _save(response, part)
                os.replace(part, path)
                return size
            except (httpx.HTTPError, errors.NemoError) as exc:
                last_error = exc
                part.unlink(missing_ok=True)
        raise errors.RenderFailed(f"the render finished but could not be downloaded: {last_error}")


def preview_path(path: str | os.PathLike[str]) -> Path:
    """Where a preview of an export to ``path`` goes: ``clip.mp4`` → ``clip.preview.mp4`` (kept as it is
    when already so named)."""
    path = Path(path).expanduser()
    return path if path.stem.endswith(".preview") else path.with_name(f"{path.stem}.preview{path.suffix or '.mp4'}")


async def _save(response: httpx.Response, part: Path) -> int:
    size = 0
    with part.open("wb") as out:
        async for chunk in response.aiter_bytes(1 << 20):
            out.write(chunk)
            size += len(chunk)
    return size


class AsyncNemo:
    """The NemoVideo client (async). ``async with AsyncNemo() as nemo: s = await nemo.session()``."""

    def __init__(self, api_url: str | None = None, *, token: str | None = None, client_id: str | None = None,
                 skill: str | None = None, language: str = "en", platform: str | None = None,
                 web_url: str | None = None, config_directory: str | os.PathLike[str] | None = None,
                 clock: Clock | None = None, timings: Timings | None = None, token_scope: str | None = None):
        self.api_url = (api_url or os.environ.get("NEMO_API_URL") or DEFAULT_API_URL).rstrip("/")
        self.web_url = (web_url or os.environ.get("NEMO_WEB_URL") or DEFAULT_WEB_URL).rstrip("/")
        self.language = language
        self.skill = skill_profile(skill)
        self.clock = clock or Clock()
        self.timings = timings or Timings()
        directory = Path(config_directory) if config_directory else config_dir()
        self.identity = Identity(self.api_url, token=token, cid=client_id, directory=directory, scope=token_scope)
        self.transport = Transport(self.api_url, self.identity, self.skill.headers(platform), clock=self.clock,
                                   retry_after_cap_s=self.timings.retry_after_cap_s)
        self.pending = PendingRenders(directory)
        self.backend: Any = None  # a LocalBackend this client started and owns

    @classmethod
    def local(cls, data_dir: str | os.PathLike[str] | None = None, *, backend_options: dict[str, Any] | None = None,
              **kw: Any) -> AsyncNemo:
        """Start the embedded backend on loopback and talk to it over HTTP, like to the cloud."""
        from nemo_nb.local.server import LocalBackend

        backend = LocalBackend(data_dir, **(backend_options or {})).start()
        scope = f"local:{backend.data_dir.resolve()}"  # tokens outlive the backend's random port
        nemo = cls(backend.url, web_url=kw.pop("web_url", backend.url), token_scope=scope, **kw)
        nemo.backend = backend
        return nemo

    def __repr__(self) -> str:
        return f"AsyncNemo({self.api_url}, skill={self.skill.name})"

    @property
    def user_id(self) -> str | None:
        return self.identity.user_id

    async def credits(self) -> Credits:
        body = await self.transport.call("GET", "/api/credits/balance/simple")
        return Credits.from_data(body.get("data") or {})

    async def _create_session(self, language: str | None = None) -> dict[str, Any]:
        body = await self.transport.call("POST", f"/api/tasks/me/with-session/{APP}",
                                         json={"task_name": "project", "language": language or self.language})
        return body["data"]

    async def session(self, session_id: str | None = None, *, language: str | None = None) -> AsyncSession:
        """A new session, or ``session_id``'s (checked with the server: an unknown id raises
        ``SessionNotFound`` and makes no new session)."""
        if session_id is None:
            data = await self._create_session(language)
            return AsyncSession(self, data["session_id"], data.get("task_id", ""))
        session = AsyncSession(self, str(session_id))
        body = await self.transport.call("GET", f"/api/state/{APP}/me/{session.id}/latest")  # 1002 raised as is
        session._state = SessionState.from_data(body.get("data") or {})
        session.task_id = session._state.task_id
        return session

    def registration_url(self) -> str:
        return f"{self.web_url}/register?bind={self.user_id or ''}"

    async def aclose(self) -> None:
        await self.transport.aclose()
        if self.backend is not None:
            await asyncio.to_thread(self.backend.stop)
            self.backend = None

    async def __aenter__(self) -> AsyncNemo:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
