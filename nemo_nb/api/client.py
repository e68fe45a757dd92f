"""``AsyncNemo`` and ``AsyncSession``: the whole protocol, with its recovery paths."""
from __future__ import annotations

import asyncio
import logging
import mimetypes
import os
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from nemo_nb.api import errors, offline
from nemo_nb.api.auth import Identity
from nemo_nb.api.clock import Clock
from nemo_nb.api.events import ErrorEvent, Event, EventParser, ToolCall, iter_events
from nemo_nb.api.files import Progress, ProgressFile, checked_uploads
from nemo_nb.api.models import Answer, Credits, Export, Reply, SessionState, UploadedFile
from nemo_nb.api.renders import PendingRenders, new_render_id, preview_path, render_status, save
from nemo_nb.api.transport import Transport
from nemo_nb.api.voices import Voices
from nemo_nb.api.watch import Timings, TurnWatch
from nemo_nb.config import DEFAULT_API_URL, DEFAULT_WEB_URL, config_dir, skill_profile
from nemo_nb.draft import Draft
from nemo_nb.routing import route, strip_noise, translate_gui
from nemo_nb.transcript import Transcript

if TYPE_CHECKING:
    from nemo_nb.api.compare import Comparison
    from nemo_nb.local.server import LocalBackend

__all__ = ["APP", "AsyncNemo", "AsyncSession", "Timings"]

APP = "nemo_agent"
log = logging.getLogger("nemo_nb.api")


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
        log.debug("session %s not found (1002); making a new session", old)
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
        files = checked_uploads(paths)
        total = sum(f.stat().st_size for f in files)
        sent = [0]

        def report(n: int) -> None:
            sent[0] += n
            if progress:
                progress(sent[0], total)

        handles = [ProgressFile(f, report) for f in files]
        try:
            parts = [("files", (f.name, h, mimetypes.guess_type(f.name)[0] or "application/octet-stream"))
                     for f, h in zip(files, handles, strict=True)]
            body = await self._call("POST", f"/api/upload-video/{APP}/me/{self.id}", files=parts,
                                    headers={"Idempotency-Key": str(uuid.uuid4())},
                                    timeout=self.nemo.timings.http_timeout(read=600, unlimited_write=True))
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

    async def _events(self, text: str, parser: EventParser,
                      on_accepted: Callable[[], None] | None = None) -> AsyncIterator[Event]:
        body = {"app_name": APP, "user_id": "me", "session_id": self.id,
                "new_message": {"role": "user", "parts": [{"text": text}]}, "streaming": True}
        headers = {"Accept": "text/event-stream", "Idempotency-Key": str(uuid.uuid4())}
        try:
            async with self.nemo.transport.stream("POST", "/run_sse", json=body, headers=headers,
                                                  timeout=self.nemo.timings.http_timeout(read=None)) as response:
                if not response.headers.get("content-type", "").startswith("text/event-stream"):
                    await response.aread()
                    self.nemo.transport.decode(response)
                    raise errors.ServerError("/run_sse answered without an event stream")
                if on_accepted:
                    on_accepted()
                async for event in iter_events(response.aiter_text(), parser):
                    yield event
                    if isinstance(event, ErrorEvent):
                        return
        except errors.SessionNotFound as exc:
            raise await self._lost(exc) from None

    async def send(self, text: str, on_event: Callable[[Event], None] | None = None, *,
                   on_still_working: Callable[[str], None] | None = None,
                   on_accepted: Callable[[], None] | None = None) -> Reply:
        """Send one message and wait for the whole reply. Never re-sends: a dropped stream is
        followed by polling the state; a turn without text is described from the draft diff.
        ``on_accepted`` is called once the server has taken the message (its event stream began)."""
        nemo = self.nemo
        before, credits_before = await asyncio.gather(self.state(), nemo.credits())
        parser, events = EventParser(), list[Event]()
        watch = TurnWatch(nemo.clock, nemo.timings, on_still_working)
        dropped = False

        async def consume() -> None:
            nonlocal dropped
            try:
                async for event in self._events(text, parser, on_accepted):
                    watch.saw(event)
                    events.append(event)
                    if on_event:
                        on_event(event)
            except errors.StreamDropped:
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
            log.debug("the reply stream of session %s dropped; not re-sending, polling the state", self.id)
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
            text = " ".join(changes) if changes else "Done. Nothing on the timeline changed."
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

    async def ask(self, text: str, *, path: str | os.PathLike[str] | None = None,
                  progress: Callable[..., None] | None = None, on_event: Callable[[Event], None] | None = None,
                  on_still_working: Callable[[str], None] | None = None) -> Answer:
        """Route like docs/protocol.md ("Routing user text"): export, credits, status and upload are
        handled here without a message (an ``Export`` to ``path``, ``Credits``, ``SessionState``, the
        ``UploadedFile`` list); anything else is sent to the agent (a ``Reply``). ``progress`` gets
        ``(sent, total)`` bytes for an upload and the percentage for an export."""
        intent = route(text)
        if intent.action == "export":
            return await self.export(path or f"nemo_{self.id}.mp4", progress=progress)
        if intent.action == "credits":
            return await self.nemo.credits()
        if intent.action == "status":
            return await self.state()
        if intent.action == "upload":
            if not intent.paths:
                raise errors.BadRequest("say which file to upload, e.g. 'upload clip.mp4'")
            return await self.upload(*intent.paths, progress=progress)
        return await self.send(text, on_event, on_still_working=on_still_working)

    async def transcript(self) -> Transcript:
        """What the clip says: segments and words with times and confidence (``nemo_nb.api.transcripts``)."""
        from nemo_nb.api.transcripts import session_transcript

        return await session_transcript(self)

    # -- export ----------------------------------------------------------------------------------------
    def pending_export(self) -> Path | None:
        """Where the render this session started and has not downloaded yet will be saved (or None)."""
        pending = self.nemo.pending.get(self.id)
        return Path(pending["path"]) if pending and pending.get("path") else None

    async def cancel_export(self) -> bool:
        """Cancel this session's unfinished render on the server; False when there was none to cancel."""
        pending = self.nemo.pending.get(self.id)
        if not pending:
            return False
        self.nemo.pending.clear(self.id)
        try:
            await self._call("POST", f"/api/render/proxy/lambda/{pending['render_id']}/cancel")
        except errors.NemoError:
            return False  # already finished or unknown: nothing left to stop
        return True

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
        target = preview_path(path) if preview else Path(path).expanduser()
        pending = self.nemo.pending.get(self.id) if resume else None
        if pending:
            render_id = pending["render_id"]
        else:
            render_id = await self._submit(target, language, preview, loudness)
        status = await self._poll(render_id, progress)
        if status["status"] == "failed":
            first_error = status.get("error") or "unknown error"
            log.debug("render %s failed; submitting once more with a new id", render_id)
            render_id = await self._submit(target, language, preview, loudness)
            status = await self._poll(render_id, progress)
            if status["status"] == "failed":
                self.nemo.pending.clear(self.id)
                raise errors.RenderFailed(f"the render failed twice: {status.get('error') or first_error}")
        size = await self._download(render_id, status.get("url"), target)
        outputs = {}
        for lang, url in status["outputs"].items():
            own = target.with_name(f"{target.stem}.{lang}{target.suffix}")
            await self._download(render_id, url, own, language=lang)
            outputs[lang] = own
        self.nemo.pending.clear(self.id)
        duration = status.get("duration")
        return Export(path=target, url=status.get("url"), duration=float(duration) if duration else None,
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
        """Stream the MP4 to ``path`` (via a .part file): the output URL first, else the API's fallback
        download. The transport sends credentials only to the API's own origin, never to another host."""
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_name(path.name + ".part")
        # (URL, query params): the output URL exactly as given (params would replace its query)
        fallback = (f"/api/render/proxy/{render_id}/download", {"language": language} if language else None)
        targets = [(url, None), fallback] if url else [fallback]
        last_error: errors.NemoError | None = None
        for target, params in targets:
            try:
                async with self.nemo.transport.stream("GET", target, params=params,
                                                      timeout=self.nemo.timings.http_timeout(read=300)) as response:
                    size = await save(response, part)
                os.replace(part, path)
                return size
            except errors.NemoError as exc:
                last_error = exc
                part.unlink(missing_ok=True)
        raise errors.RenderFailed(f"the render finished but could not be downloaded: {last_error}")


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
                                   retry_after_cap_s=self.timings.retry_after_cap_s,
                                   timeout_s=self.timings.request_timeout_s, web_url=self.web_url)
        self.pending = PendingRenders(directory)
        self.backend: LocalBackend | None = None  # a LocalBackend this client started and owns
        self._embedded: bool | None = None  # whether api_url is an embedded backend (asked once)

    @classmethod
    def local(cls, data_dir: str | os.PathLike[str] | None = None, *, backend_options: dict[str, Any] | None = None,
              client_id: str | None = None, skill: str | None = None, language: str = "en",
              platform: str | None = None, web_url: str | None = None,
              config_directory: str | os.PathLike[str] | None = None, clock: Clock | None = None,
              timings: Timings | None = None) -> AsyncNemo:
        """Start the embedded backend on loopback (``backend_options``: its settings, e.g.
        ``{"credits": 500}``) and talk to it over HTTP, like to the cloud."""
        from nemo_nb.local.server import LocalBackend

        backend = LocalBackend(Path(data_dir) if data_dir is not None else None, **(backend_options or {})).start()
        scope = f"local:{backend.data_dir.resolve()}"  # tokens outlive the backend's random port
        nemo = cls(backend.url, client_id=client_id, skill=skill, language=language, platform=platform,
                   web_url=web_url or backend.url, config_directory=config_directory, clock=clock, timings=timings,
                   token_scope=scope)
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

    async def voices(self) -> Voices:
        """Which voice speaks each language and gender, and whether it is neural or the robotic fallback synth.

        Only the embedded backend lists its voices (an extension): other servers raise ``NotAvailable``.
        """
        try:
            body = await self.transport.call("GET", "/api/voices")
        except errors.NemoError as exc:
            if exc.status in (404, 405):
                raise errors.NotAvailable("this server does not list its voices (NemoVideo's cloud picks them "
                                          "itself); the voice list is an extension of nemo_nb's embedded backend",
                                          status=exc.status) from None
            raise
        data = body.get("data")
        if not isinstance(data, dict):
            raise errors.ServerError("the voices answer holds no data")
        return Voices.from_data(data)

    async def add_credits(self, credits: int) -> Credits:
        """Add offline credits (the embedded backend only; ``EmbeddedOnly`` elsewhere): the new balance."""
        return await offline.add_credits(self, credits)

    async def is_embedded(self) -> bool:
        """Whether this client talks to the embedded backend (started here, or ``nemo-nb serve`` on loopback)."""
        return await offline.is_embedded(self)

    async def _create_session(self, language: str | None = None) -> dict[str, Any]:
        body = await self.transport.call("POST", f"/api/tasks/me/with-session/{APP}",
                                         json={"task_name": "project", "language": language or self.language})
        data = body.get("data")
        if not isinstance(data, dict) or not data.get("session_id"):
            raise errors.ServerError("the new-session answer holds no session_id")
        return data

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

    @property
    def local_data_dir(self) -> Path | None:
        """The data folder of the embedded backend this client started, or None (cloud, or a URL)."""
        return Path(self.backend.data_dir) if self.backend is not None else None

    def registration_url(self) -> str:
        """``$WEB/register?bind=<user id>``: where an anonymous user registers to keep work and get credits."""
        return f"{self.web_url}/register?bind={quote(self.user_id or '', safe='')}"

    async def compare(self, prompts: Sequence[str], paths: Sequence[str | os.PathLike[str]] = (), *,
                      export_dir: str | os.PathLike[str] | None = None,
                      notify: Callable[[int, str], None] | None = None, concurrency: int = 8,
                      start_timeout: float = 10.0) -> Comparison:
        """Each prompt in its own new session on the same uploads, concurrently: a ``Comparison``.

        ``export_dir``: render each variant there (None: replies and timelines only); ``notify(index,
        status)`` hears each variant's progress; ``concurrency`` bounds the variants running at once.
        """
        from nemo_nb.api.compare import run_compare

        return await run_compare(self, prompts, paths, export_dir=export_dir, notify=notify,
                                 concurrency=concurrency, start_timeout=start_timeout)

    async def aclose(self) -> None:
        await self.transport.aclose()
        if self.backend is not None:
            await asyncio.to_thread(self.backend.stop)
            self.backend = None

    async def __aenter__(self) -> AsyncNemo:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
