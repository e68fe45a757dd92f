"""The studio: a live editing surface in one output (``%nemo studio``, ``s.studio()``).

A prompt box (Enter sends, Shift+Enter a new line, disabled while a turn runs), the reply streaming
in with tool-call chips, upload (button and drag-and-drop, with a progress bar), the timeline, Undo,
Export with a progress bar and Cancel, Quick look (a preview render, at most 540p, played in the same
player marked "preview"), the video of the latest export, the credits left, a session picker, and errors
as the magics' one-line errors. Every action goes through the notebook's session controller and runs on
the client's loop thread, so the kernel stays free while a turn streams.
"""
from __future__ import annotations

import asyncio
import os
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import traitlets

from nemo_nb.notebook._fmt import MUTED, Throttle, esc, seconds_text, size_text
from nemo_nb.notebook.controller import NotebookSession, controller_for
from nemo_nb.widgets.base import one_line
from nemo_nb.widgets.snapshot import poster_html, timeline_snapshot
from nemo_nb.widgets.stream import ReplyStream
from nemo_nb.widgets.timeline import TimelineTraits
from nemo_nb.widgets.transfer import CHUNK_BYTES, Incoming

MAX_HISTORY = 20
MB = 1_000_000


class Studio(TimelineTraits):
    """The studio widget on a controller's current session (see the module doc)."""

    session_id = traitlets.Unicode("").tag(sync=True)
    sessions: traitlets.List[Any] = traitlets.List([]).tag(sync=True)          # [{id, label}]
    credits = traitlets.Unicode("").tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)           # a turn is running
    status = traitlets.Unicode("").tag(sync=True)
    prompt = traitlets.Unicode("").tag(sync=True)         # the message of the turn shown
    reply = traitlets.Unicode("").tag(sync=True)          # its reply, streaming then final
    tools: traitlets.List[Any] = traitlets.List([]).tag(sync=True)             # [{name, args, state}]
    history: traitlets.List[Any] = traitlets.List([]).tag(sync=True)  # earlier turns: [{prompt, reply, failed}]
    upload_progress = traitlets.Float(-1.0).tag(sync=True)  # 0..1, -1 when idle
    upload_label = traitlets.Unicode("").tag(sync=True)
    chunk_bytes = traitlets.Int(CHUNK_BYTES).tag(sync=True)
    export_progress = traitlets.Float(-1.0).tag(sync=True)  # 0..1, -1 when idle
    export_label = traitlets.Unicode("").tag(sync=True)
    video = traitlets.Bytes(b"").tag(sync=True)           # the latest export (up to embed_limit_mb)
    video_name = traitlets.Unicode("").tag(sync=True)
    video_preview = traitlets.Bool(False).tag(sync=True)  # the video shown is a preview, not the final export

    def __init__(self, controller: NotebookSession, *, session: Any = None, embed_limit_mb: float | None = None,
                 redraw_hz: float | None = None, upload_dir: str | os.PathLike[str] = "nemo_uploads"):
        super().__init__(_kind="studio")
        self.controller = controller
        self.embed_limit_mb = controller.settings.embed_limit_mb if embed_limit_mb is None else embed_limit_mb
        self.rate = controller.settings.redraw_hz if redraw_hz is None else redraw_hz
        self.upload_dir = Path(upload_dir)
        self.last_reply: Any = None
        self.last_export: Any = None
        self.poster: bytes | None = None
        self._turn: Future[Any] | None = None
        self._export: Future[Any] | None = None
        self._incoming: Incoming | None = None
        self._upload_bar = Throttle(self.rate)
        for name, handler in (("send", self._on_send), ("undo", self._on_undo), ("export", self._on_export),
                              ("preview", self._on_preview),
                              ("cancel", self._on_cancel), ("use", self._on_use), ("new", self._on_new),
                              ("upload_begin", self._on_upload_begin), ("upload_chunk", self._on_upload_chunk),
                              ("upload_abort", self._on_upload_abort)):
            self.action(name, handler)
        if session is not None and session.id != controller.current_id:
            controller.use(session.id)
        controller.listeners.append(self._controller_changed)
        self._follow_current()

    @classmethod
    def for_session(cls, session: Any, *, embed_limit_mb: float | None = None, redraw_hz: float | None = None,
                    upload_dir: str | os.PathLike[str] = "nemo_uploads") -> Studio:
        """``s.studio()``: the controller that knows ``s`` (the magics' one when it does), on ``s``."""
        return cls(controller_for(session), session=session, embed_limit_mb=embed_limit_mb, redraw_hz=redraw_hz,
                   upload_dir=upload_dir)

    # -- the session and what it shows --------------------------------------------------------------
    def _controller_changed(self, what: str) -> None:
        self._follow_current()

    def _follow_current(self) -> None:
        c = self.controller
        if not c.connected or c.current_id is None:
            self.update(sessions=[], session_id="", error="Not connected: run %nemo connect --local first.")
            return
        rows = [{"id": sid, "label": c.label(s)} for sid, s in c.sessions.items()]
        changed = c.current_id != self.session_id
        self.update(sessions=rows, session_id=c.current_id)
        if changed:
            session = c.sessions[c.current_id]
            self.show_draft(session.draft)
            self._start(self._load(session), self._loaded)

    async def _load(self, session: Any) -> tuple[Any, Any]:
        balance = self.controller.require_client().aio.credits()
        state = session.aio.state()
        return await asyncio.gather(state, balance)

    def _loaded(self, result: tuple[Any, Any]) -> None:
        state, balance = result
        self.show_draft(state.draft)
        self.update(credits=str(balance), error="")

    def _start(self, coro: Any, done: Any) -> Future[Any]:
        """Run ``coro`` on the loop thread; ``done(result)`` there too; an error becomes the error line."""
        future = self.controller.start(coro)

        def finish(f: Future[Any]) -> None:
            if f.cancelled():
                return
            exc = f.exception()
            try:
                if exc is not None:
                    raise exc
                done(f.result())
            except Exception as error:  # noqa: BLE001 — shown in the widget
                self.fail(error)

        future.add_done_callback(finish)
        return future

    # -- a turn ----------------------------------------------------------------------------------------
    def _on_send(self, content: dict[str, Any], _buffers: list[Any]) -> None:
        self.send_message(str(content.get("text", "")))

    def _on_undo(self, _content: dict[str, Any], _buffers: list[Any]) -> None:
        self.send_message("undo")

    def send_message(self, text: str) -> Future[Any] | None:
        """What Enter does: send ``text`` (short commands — export, credits, status — are done here)."""
        text = text.strip()
        if not text or self.busy:
            return None
        from nemo_nb.routing import route

        action = route(text).action
        if action == "export":
            return self.export()
        session = self.controller.session()
        history = [*self.history, *([self._current_turn()] if self.prompt else [])][-MAX_HISTORY:]
        self.update(history=history, prompt=text, reply="", tools=[], busy=True, error="",
                    status="waiting for the agent…")
        if action in ("credits", "status"):
            self._turn = self._start(self._load(session), lambda r: self._shortcut(action, r))
            return self._turn
        stream = ReplyStream(self.update, rate=self.rate)
        self.controller.last_prompt = text
        self._turn = self._start(self._run_turn(session, text, stream), self._turn_done)
        self._turn.add_done_callback(lambda f: self._turn_failed(f, stream))
        return self._turn

    def _current_turn(self) -> dict[str, Any]:
        return {"prompt": self.prompt, "reply": self.reply, "failed": self.status.startswith("✗")}

    async def _run_turn(self, session: Any, text: str, stream: ReplyStream) -> tuple[Any, Any]:
        reply = await session.aio.send(text, stream.on_event, on_still_working=stream.on_notice)
        balance = await self.controller.client.aio.credits()
        await stream.settle()
        return reply, balance

    def _turn_done(self, result: tuple[Any, Any]) -> None:
        reply, balance = result
        self.last_reply = reply
        self.draft = reply.draft_after if reply.draft_after is not None else self.draft
        tools = [{"name": c.name, "args": "", "state": "done"} for c in reply.tool_calls]
        used = f" · {reply.credits_used} credit{'' if reply.credits_used == 1 else 's'} used" \
            if reply.credits_used is not None else ""
        with self._lock, self.hold_sync():
            self.show_draft(self.draft)
            self.update(reply=reply.text, tools=tools or self.tools, busy=False, credits=str(balance),
                        status=f"done{used}")
        self.refresh_snapshot()

    def _turn_failed(self, future: Future[Any], stream: ReplyStream) -> None:
        exc = None if future.cancelled() else future.exception()
        if future.cancelled() or exc is not None:
            status = "✗ cancelled" if exc is None else f"✗ {one_line(exc)}"
            self.update(busy=False, status=status, reply=stream.text)
            self.refresh_snapshot()

    def _shortcut(self, action: str, result: tuple[Any, Any]) -> None:
        state, balance = result
        self.show_draft(state.draft)
        text = f"Credits: {balance}" if action == "credits" else state.draft.summary()
        self.update(reply=text, credits=str(balance), busy=False, status="done")

    # -- sessions --------------------------------------------------------------------------------------
    def _on_use(self, content: dict[str, Any], _buffers: list[Any]) -> None:
        if not self.busy:
            self.controller.use(str(content.get("id", "")))

    def _on_new(self, _content: dict[str, Any], _buffers: list[Any]) -> None:
        if not self.busy:
            self.controller.new()

    # -- export ----------------------------------------------------------------------------------------
    def _on_export(self, _content: dict[str, Any], _buffers: list[Any]) -> None:
        self.export()

    def _on_preview(self, _content: dict[str, Any], _buffers: list[Any]) -> None:
        self.export(preview=True)

    def export(self, preview: bool = False) -> Future[Any] | None:
        """Render the current session (the Export button; ``preview``: the Quick look button, a small quick
        render shown marked as a preview); the video appears when it is done."""
        if self._export is not None and not self._export.done():
            return None
        session = self.controller.session()
        path = self.controller.export_path(session)
        bar = Throttle(self.rate)
        doing = "Rendering a preview" if preview else "Rendering"

        def progress(pct: float) -> None:
            if pct >= 100 or bar.ready():
                self.update(export_progress=pct / 100, export_label=f"{doing}… {pct:.0f}%")

        self.update(export_progress=0.0, export_label=f"{doing}… 0%", error="")
        self._export = self._start(self._run_export(session, path, progress, preview), self._export_done)
        self._export.add_done_callback(self._export_stopped)
        return self._export

    async def _run_export(self, session: Any, path: Path, progress: Any,
                          preview: bool = False) -> tuple[Any, bytes | None, bytes]:
        from nemo_nb.notebook.preview import poster_png

        result = await session.aio.export(path, progress, preview=preview)
        poster = await asyncio.to_thread(poster_png, result.path, result.duration)
        small = result.size <= self.embed_limit_mb * MB
        data = await asyncio.to_thread(Path(result.path).read_bytes) if small else b""
        return result, poster, data

    def _export_done(self, result: tuple[Any, bytes | None, bytes]) -> None:
        export, self.poster, data = result
        self.last_export = export
        where = "" if data else f" · over the {self.embed_limit_mb:g} MB embed limit: open {export.path}"
        marked = "Preview (not the final export) · " if export.preview else ""
        facts = f"{Path(export.path).name} · {seconds_text(export.duration)} · {size_text(export.size)}"
        self.update(video=data, video_name=Path(export.path).name, video_preview=export.preview,
                    export_progress=-1.0, export_label=f"{marked}{facts}{where}")
        self.refresh_snapshot()

    def _export_stopped(self, future: Future[Any]) -> None:
        if future.cancelled():
            self.update(export_progress=-1.0, export_label="Export cancelled.")
        elif future.exception() is not None:
            self.update(export_progress=-1.0, export_label="")

    def _on_cancel(self, _content: dict[str, Any], _buffers: list[Any]) -> None:
        if self._export is not None and not self._export.done():
            self.controller.start_cancel_export(self.controller.session(), self._export)

    # -- upload from the browser -----------------------------------------------------------------------
    def _on_upload_begin(self, content: dict[str, Any], _buffers: list[Any]) -> None:
        if self._incoming is not None:
            self._incoming.abort()
        self._incoming = None
        name = str(content.get("name", ""))
        self.update(upload_progress=0.0, upload_label=f"Sending {name}…", error="")
        try:
            self._incoming = Incoming(self.upload_dir, name, int(content.get("size", -1)))
        except Exception:
            self.update(upload_progress=-1.0, upload_label="")
            raise
        self.send({"type": "upload_ack", "received": 0})
        if self._incoming.complete:
            self._upload_received()

    def _on_upload_chunk(self, _content: dict[str, Any], buffers: list[Any]) -> None:
        incoming = self._incoming
        if incoming is None:
            return
        received = incoming.write(bytes(buffers[0]) if buffers else b"")
        if incoming.complete or self._upload_bar.ready():
            self.update(upload_progress=0.5 * received / max(1, incoming.size),
                        upload_label=f"Sending {incoming.path.name}… {100 * received / max(1, incoming.size):.0f}%")
        self.send({"type": "upload_ack", "received": received})
        if incoming.complete:
            self._upload_received()

    def _on_upload_abort(self, _content: dict[str, Any], _buffers: list[Any]) -> None:
        if self._incoming is not None:
            self._incoming.abort()
            self._incoming = None
        self.update(upload_progress=-1.0, upload_label="Upload cancelled.")

    def _upload_received(self) -> None:
        """The file is in the kernel: upload it to the session (the second half of the bar)."""
        incoming, self._incoming = self._incoming, None
        if incoming is None:
            return
        path = incoming.finish()
        session = self.controller.session()
        bar = Throttle(self.rate)

        def progress(sent: int, total: int) -> None:
            if sent >= total or bar.ready():
                self.update(upload_progress=0.5 + 0.5 * sent / max(1, total),
                            upload_label=f"Uploading {path.name}… {100 * sent / max(1, total):.0f}%")

        def done(files: list[Any]) -> None:
            self.controller.uploaded(session, [path])  # a compare re-uploads it to every variant
            names = ", ".join(f.filename for f in files)
            dims = [f"{seconds_text(f.duration)}" if f.duration else "" for f in files]
            self.update(upload_progress=-1.0, upload_label=f"Uploaded {names}" + (f" ({dims[0]})" if dims[0] else ""))
            self._start(self._load(session), self._loaded)

        future = self._start(session.aio.upload(path, progress=progress), done)

        def failed(f: Future[Any]) -> None:
            if not f.cancelled() and f.exception() is not None:
                self.update(upload_progress=-1.0, upload_label="")

        future.add_done_callback(failed)

    # -- the saved snapshot ----------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        c = self.controller
        session = c.sessions.get(self.session_id)
        head = " · ".join(x for x in (c.label(session) if session else "", f"Credits: {self.credits}"
                                      if self.credits else "") if x)
        turns = [*self.history[-4:], *([self._current_turn()] if self.prompt else [])]
        html = ['<div class="nemo-studio-snapshot" style="font:13px/1.45 sans-serif">',
                f'<div style="{MUTED}">Nemo studio · {esc(head)}</div>']
        plain = [f"Nemo studio · {head}"]
        for turn in turns:
            html.append(f'<div style="margin-top:6px"><b>{esc(turn["prompt"])}</b></div>'
                        f'<div class="nemo-text" style="white-space:pre-wrap">{esc(turn["reply"])}</div>')
            plain += [f"> {turn['prompt']}", turn["reply"]]
        if self.error:
            html.append(f'<div style="color:#c0392b">✗ {esc(self.error)}</div>')
            plain.append(f"✗ {self.error}")
        data: dict[str, Any] = {}
        if self.draft.tracks:
            timeline, picture = timeline_snapshot(self.draft)
            html.append(timeline)
            plain.append(self.summary)
            data["image/png"] = picture.b64
            self.snapshot_metadata = picture.metadata()
        if self.video_name:
            html.append(poster_html(self.poster, self.export_label))
            plain.append(self.export_label if self.video_preview else f"Exported {self.export_label}")
        html.append("</div>")
        data.update({"text/plain": "\n".join(plain), "text/html": "".join(html)})
        return data
