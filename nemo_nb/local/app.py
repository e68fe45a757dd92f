"""The routes of docs/protocol.md as a Starlette app. Handlers are thin: check, call, answer."""
from __future__ import annotations

import functools
import html
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from nemo_nb._version import __version__
from nemo_nb.draft import Draft
from nemo_nb.formats import extension
from nemo_nb.local import errors, identity, intake, openapi, render_jobs, sse
from nemo_nb.local.backend import Backend
from nemo_nb.local.errors import ApiError, bad_request
from nemo_nb.local.middleware import (
    SECURITY_HEADERS,
    FaultGate,
    HeaderLimit,
    LoopbackGuard,
    SecurityHeaders,
    VoiceFolder,
    is_loopback,
    origin_pattern,
)
from nemo_nb.local.render_limits import check_render_size
from nemo_nb.local.settings import BackendSettings
from nemo_nb.local.topup import HOW_TO_GET_MORE, add_credits, requested_amount, top_up_all
from nemo_nb.local.turns import stream
from nemo_nb.local.web import (
    APP_NAME,
    authenticate,
    backend,
    check_path_user,
    idempotency_key,
    load_session,
    ok,
    read_json,
    require_attribution,
    text_field,
)

CLAIM_TTL_S = 604800
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
MAX_MESSAGE_CHARS = 20000
STATUS_HOLD_S = 1.0  # a status poll of an unfinished render waits this long for it to end
OWN_FILE_URL = re.compile(r"^http://(?:127\.0\.0\.1|\[::1\]|localhost):\d+(?=/files/)")


# -- identity -----------------------------------------------------------------------------------------
async def anonymous_token(request: Request) -> Response:
    b = backend(request)
    client_id = identity.check_client_id(request.headers.get("x-client-id", ""))
    ip = request.client.host if request.client else "unknown"
    return ok(identity.issue_token(b.store, b.settings, client_id, ip))


async def create_session(request: Request) -> Response:
    user_id = authenticate(request)
    check_path_user(request, user_id)
    body = await read_json(request)
    task_name = text_field(body, "task_name", "project", 100)
    language = text_field(body, "language", "en", 16)
    if not LANGUAGE.match(language):
        raise bad_request("language must be a language code such as 'en' or 'pt-BR'")
    return ok(backend(request).store.create_session(user_id, task_name, language))


async def claim_token(request: Request) -> Response:
    b = backend(request)
    user_id = authenticate(request)
    body = await read_json(request)
    session = load_session(request, user_id, body.get("session_id"))
    if body.get("task_id") not in (None, session.task_id):
        raise errors.no_session()
    token = "clm_" + secrets.token_urlsafe(24)
    b.store.add_claim(token, user_id, session.id, CLAIM_TTL_S)
    return ok({"claim_token": token, "expires_in": CLAIM_TTL_S})


async def credits(request: Request) -> Response:
    user_id = authenticate(request)
    return ok(backend(request).store.balance(user_id))


async def list_voices(request: Request) -> Response:
    """Which voice speaks each language and gender, neural or not (ours: the cloud has no such list)."""
    from nemo_nb.local.voice_list import voice_list

    authenticate(request)
    return ok(await anyio.to_thread.run_sync(voice_list, backend(request).data_dir))


async def add_credits_local(request: Request) -> Response:
    """Our extension: ``{"credits": N}`` added to the caller's balance (``%nemo credits --add N``), loopback only."""
    if request.client is None or not is_loopback(request.client.host):
        raise ApiError(errors.FORBIDDEN, "credits can be added only from this machine")
    user_id = authenticate(request)
    try:
        amount = requested_amount(await read_json(request))
    except ValueError as exc:
        raise bad_request(str(exc)) from None
    return ok(add_credits(backend(request).store, user_id, amount))


# -- state and uploads -------------------------------------------------------------------------------
def rebase_file_urls(value: Any, base: str) -> Any:
    """Our ``/files/…`` URLs stored in a state carry the port of the run that made them (a restarted
    backend usually gets a new one): answer them with this run's address."""
    if isinstance(value, str):
        return OWN_FILE_URL.sub(base, value, count=1)
    if isinstance(value, list):
        return [rebase_file_urls(v, base) for v in value]
    if isinstance(value, dict):
        return {k: rebase_file_urls(v, base) for k, v in value.items()}
    return value


async def state(request: Request) -> Response:
    user_id = authenticate(request)
    check_path_user(request, user_id)
    session = load_session(request, user_id, request.path_params["sid"])
    return ok({"session_id": session.id, "task_id": session.task_id, "task_name": session.task_name,
               "state": rebase_file_urls(session.state, backend(request).public_url)})


async def upload(request: Request) -> Response:
    b = backend(request)
    user_id = authenticate(request)
    check_path_user(request, user_id)
    session = load_session(request, user_id, request.path_params["sid"])
    answer = await b.idempotency.run(user_id, f"upload:{session.id}", idempotency_key(request),
                                     lambda: intake.upload(b, request, user_id, session))
    return JSONResponse(answer.body, status_code=answer.status)


# -- the agent ---------------------------------------------------------------------------------------
def message_text(body: dict[str, Any]) -> str:
    message = body.get("new_message", body.get("newMessage"))
    parts = message.get("parts") if isinstance(message, dict) else None
    if not isinstance(parts, list) or not parts:
        raise bad_request("new_message.parts must be a non-empty list")
    texts = [p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str)]
    text = "\n".join(texts).strip()
    if not text:
        raise bad_request("the message has no text")
    if len(text) > MAX_MESSAGE_CHARS:
        raise bad_request(f"the message is longer than {MAX_MESSAGE_CHARS} characters")
    return text


async def run_sse(request: Request) -> Response:
    b = backend(request)
    user_id = authenticate(request)
    body = await read_json(request)
    if body.get("user_id", body.get("userId", "me")) not in ("me", user_id):
        raise errors.no_session()
    if body.get("app_name", body.get("appName", APP_NAME)) != APP_NAME:
        raise bad_request(f"unknown app_name; use {APP_NAME!r}")
    session = load_session(request, user_id, body.get("session_id", body.get("sessionId")))
    text = message_text(body)
    key = idempotency_key(request)
    if key and b.store.turn_with_key(session.id, key):
        raise ApiError(errors.DUPLICATE_MESSAGE, "this message was already received (same Idempotency-Key); "
                       "it is not run twice — fetch the session state to see its result")
    queue = await b.turns.start(session, user_id, text, key, b.registration_url(user_id))
    body_iter = stream(queue, sse.encoder(b.settings.sse_dialect), b.settings.faults.drop_sse_after)
    return StreamingResponse(body_iter, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# -- renders -----------------------------------------------------------------------------------------
async def submit_render(request: Request) -> Response:
    b = backend(request)
    user_id = authenticate(request)
    require_attribution(request)

    async def submit() -> dict[str, Any]:
        body = await read_json(request)
        rid = render_jobs.render_id(body)
        session = load_session(request, user_id, body.get("sessionId", body.get("session_id")))
        output = await anyio.to_thread.run_sync(render_jobs.check_draft, body.get("draft"), body.get("output"))
        preview = output.get("preview") is True
        await anyio.to_thread.run_sync(functools.partial(  # reads the media: 4006 before any encoding
            check_render_size, Draft(body["draft"]), b.renders.resolver(user_id), b.settings, preview=preview))
        return render_jobs.submit(b, user_id, session, rid, body["draft"], output)

    answer = await b.idempotency.run(user_id, "render", idempotency_key(request), submit)
    return JSONResponse(answer.body, status_code=answer.status)


async def render_status(request: Request) -> Response:
    b = backend(request)
    job = render_jobs.user_render(b, authenticate(request), request.path_params["rid"])
    if job.status in ("pending", "processing"):  # held a moment: answered as soon as the render ends
        await b.renders.wait_finished(job.key, STATUS_HOLD_S)
        job = b.store.render(job.key) or job
    return JSONResponse(render_jobs.render_view(b, job))


async def render_download(request: Request) -> Response:
    b = backend(request)
    job = render_jobs.user_render(b, authenticate(request), request.path_params["rid"])
    path, name = render_jobs.download(b, job, request.query_params.get("language"))
    return FileResponse(path, media_type="video/mp4", filename=name)


async def cancel_render(request: Request) -> Response:
    b = backend(request)
    job = render_jobs.user_render(b, authenticate(request), request.path_params["rid"])
    if job.status not in ("pending", "processing"):
        raise ApiError(errors.NOT_CANCELLABLE, f"the render is already {job.status}")
    b.renders.cancel(job.key)
    return JSONResponse(render_jobs.render_view(b, b.store.render(job.key) or job))


# -- files and small pages ------------------------------------------------------------------------------
TEXT_DOCUMENTS = ("txt", "md", "srt")


async def serve_file(request: Request) -> Response:
    """A file by its secret URL key. Documents are never shown as pages: text as ``text/plain``, others
    (pdf, docx) as attachments."""
    b = backend(request)
    key = request.path_params["key"]
    media = b.store.media_by_url_key(key)
    relpath = media.relpath if media else render_jobs.output_file(b, key)
    if relpath is None:
        return JSONResponse({"code": 404, "message": "file not found"}, status_code=404)
    if media is None or media.file_type != "document":
        return FileResponse(b.data_dir / relpath)
    if extension(media.filename) in TEXT_DOCUMENTS:
        return FileResponse(b.data_dir / relpath, media_type="text/plain; charset=utf-8")
    return FileResponse(b.data_dir / relpath, filename=media.filename, content_disposition_type="attachment")


async def claim_page(request: Request) -> Response:
    claim = backend(request).store.claim(request.query_params.get("ct", ""))
    if not claim:
        return HTMLResponse("<h1>Claim link invalid or expired</h1>", status_code=404)
    return HTMLResponse(f"<h1>Session {html.escape(claim.session_id)} is yours</h1>"
                        "<p>This is the embedded nemo_nb backend: your work is already stored on this machine.</p>")


async def register_page(request: Request) -> Response:
    how = html.escape(HOW_TO_GET_MORE).replace("%nemo credits --add 100", "<code>%nemo credits --add 100</code>")
    return HTMLResponse("<h1>No account needed</h1><p>This is the embedded nemo_nb backend: it runs on your "
                        f"machine, has no accounts and keeps your work here. To {how}.</p>")


async def health(request: Request) -> Response:
    return ok({"name": "nemo-nb embedded backend", "version": __version__,
               "sse_dialect": backend(request).settings.sse_dialect})


ROUTES = [
    Route("/", health),
    Route("/openapi.json", openapi.serve),
    Route("/api/auth/anonymous-token", anonymous_token, methods=["POST"]),
    Route("/api/auth/claim-token", claim_token, methods=["POST"]),
    Route("/api/tasks/{user}/with-session/{app}", create_session, methods=["POST"]),
    Route("/api/credits/balance/simple", credits),
    Route("/api/voices", list_voices),
    Route("/api/local/credits/add", add_credits_local, methods=["POST"]),
    Route("/api/state/{app}/{user}/{sid}/latest", state),
    Route("/api/upload-video/{app}/{user}/{sid}", upload, methods=["POST"]),
    Route("/run_sse", run_sse, methods=["POST"]),
    Route("/api/render/proxy/lambda", submit_render, methods=["POST"]),
    Route("/api/render/proxy/lambda/{rid}", render_status),
    Route("/api/render/proxy/lambda/{rid}/cancel", cancel_render, methods=["POST"]),
    Route("/api/render/proxy/{rid}/download", render_download),
    Route("/files/{key}/{name}", serve_file),
    Route("/workspace/claim", claim_page),
    Route("/register", register_page),
]


# -- error answers -------------------------------------------------------------------------------------
async def api_error(request: Request, exc: ApiError) -> Response:
    body = exc.body()
    if request.url.path.startswith("/api/render/"):
        body["success"] = False
    return JSONResponse(body, status_code=exc.status, headers=exc.headers)


async def http_error(request: Request, exc: HTTPException) -> Response:
    """Starlette's own 404 / 405 in the envelope, so every answer of the API reads the same way."""
    message = {404: f"no such endpoint: {request.method} {request.url.path}",
               405: f"method {request.method} not allowed on {request.url.path}"}.get(exc.status_code, exc.detail)
    return JSONResponse({"code": exc.status_code, "message": message}, status_code=exc.status_code,
                        headers=exc.headers)


async def client_gone(request: Request, exc: ClientDisconnect) -> Response:
    """The client hung up mid-request (an interrupted upload): its files are already removed; no traceback."""
    return Response(status_code=400)


async def internal_error(request: Request, exc: Exception) -> Response:
    """(Starlette answers this outside the middleware, so it adds the security headers itself.)"""
    return JSONResponse({"code": 500, "message": "internal error in the embedded backend"}, status_code=500,
                        headers={k.decode(): v.decode() for k, v in SECURITY_HEADERS})


def cors(settings: BackendSettings) -> Middleware:
    """CORS answers for the allowed origins (others never get past ``LoopbackGuard``)."""
    from starlette.middleware.cors import CORSMiddleware

    return Middleware(CORSMiddleware, allow_origin_regex=origin_pattern(settings.allowed_origins).pattern,
                      allow_methods=["GET", "POST"], allow_headers=["*"], expose_headers=["Retry-After"])


def create_app(settings: BackendSettings, data_dir: Path) -> Starlette:
    """The embedded backend's ASGI app over ``data_dir``."""
    b = Backend(settings, data_dir)
    if settings.top_up:
        top_up_all(b.store, settings.credits)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await b.start()
        yield
        await b.stop()

    handlers: dict[Any, Any] = {ApiError: api_error, HTTPException: http_error, ClientDisconnect: client_gone,
                                Exception: internal_error}  # Starlette types each handler as taking any Exception
    middleware = [Middleware(SecurityHeaders), Middleware(HeaderLimit), Middleware(LoopbackGuard, backend_=b),
                  cors(settings), Middleware(VoiceFolder, data_dir=data_dir),
                  Middleware(FaultGate, backend_=b)]  # the first is the outermost
    app = Starlette(routes=ROUTES, lifespan=lifespan, exception_handlers=handlers, middleware=middleware)
    app.state.backend = b
    return app
