"""The routes of docs/protocol.md as a Starlette app. Handlers are thin: check, call, answer."""
from __future__ import annotations

import html
import json
import re
import secrets
import time
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from nemo_nb._version import __version__
from nemo_nb.config import ATTRIBUTION_HEADERS
from nemo_nb.local import errors, sse, uploads
from nemo_nb.local.errors import ApiError, bad_request
from nemo_nb.local.library import Library
from nemo_nb.local.renders import RenderManager
from nemo_nb.local.settings import BackendSettings
from nemo_nb.local.store import Store
from nemo_nb.local.topup import HOW_TO_GET_MORE, LOOPBACK, add_credits, requested_amount, top_up_all
from nemo_nb.local.turns import TurnRunner, stream

APP_NAME = "nemo_agent"
CLAIM_TTL_S = 604800
RENDER_ID = re.compile(r"^(?!\.)[A-Za-z0-9_.-]{1,80}$")  # no leading dot: "." / ".." are not addressable in a URL
LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{2,8})*$")
MAX_MESSAGE_CHARS = 20000
MAX_URLS = 10
MAX_HEADER_BYTES = 32 * 1024
OWN_FILE_URL = re.compile(r"^http://(?:127\.0\.0\.1|\[::1\]|localhost):\d+(?=/files/)")


class Backend:
    """What the handlers share: settings, store, turn runner, render manager, public URL."""

    def __init__(self, settings: BackendSettings, data_dir: Path):
        self.settings = settings
        self.data_dir = data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(data_dir / "nemo.sqlite3")
        self.library = Library(self.store, data_dir, lambda: self.public_url)
        self.media = self.library.folder
        self.turns = TurnRunner(self.store, settings, self.library)
        self.renders = RenderManager(self.store, settings, data_dir)
        self.public_url = f"http://127.0.0.1:{settings.port}"
        self.rate_limited_once = False
        self.session_lost_once = False

    @property
    def web_url(self) -> str:
        return (self.settings.web_url or self.public_url).rstrip("/")


def backend(request: Request) -> Backend:
    return request.app.state.backend


# -- request helpers --------------------------------------------------------------------------------
def ok(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse({"code": 0, "message": "success", "data": data}, status_code=status)


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, size-capped; a clear 4000 otherwise."""
    limit = backend(request).settings.max_json_bytes
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise bad_request(f"JSON body larger than {limit} bytes")
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise bad_request("the body is not valid JSON") from None
    except RecursionError:
        raise bad_request("the JSON body is nested too deeply") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    return data


def text_field(body: dict[str, Any], name: str, default: str | None = None, max_len: int = 200) -> str:
    value = body.get(name, default)
    if value is None:
        raise bad_request(f"missing field {name!r}")
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise bad_request(f"field {name!r} must be a string")
    if len(value) > max_len:
        raise bad_request(f"field {name!r} is longer than {max_len} characters")
    return value


def bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(errors.BAD_TOKEN, "missing token: send Authorization: Bearer <token>")
    return token.strip()


def authenticate(request: Request) -> str:
    """The token's user id, or 1001."""
    b = backend(request)
    user_id = b.store.use_token(bearer(request), b.settings.faults.expire_token_after)
    if user_id is None:
        raise ApiError(errors.BAD_TOKEN, "token invalid or expired; ask for a new anonymous token")
    return user_id


def check_path_user(request: Request, user_id: str) -> None:
    if request.path_params.get("user", "me") not in ("me", user_id):
        raise errors.no_session()
    if request.path_params.get("app", APP_NAME) != APP_NAME:
        raise bad_request(f"unknown app; use {APP_NAME!r}")


def load_session(request: Request, user_id: str, session_id: Any) -> dict[str, Any]:
    """The user's session, or 1002 (also for someone else's session: existence is never leaked)."""
    b = backend(request)
    if session_id is None:
        raise bad_request("missing the session id (field 'session_id'; 'sessionId' in a render)")
    if not isinstance(session_id, (str, int)) or isinstance(session_id, bool):
        raise bad_request("the session id must be a string of digits, as returned when the session was made")
    if not str(session_id).isdigit():
        raise errors.no_session()
    session = b.store.session(str(session_id), user_id)
    if session is None:
        raise errors.no_session()
    if b.settings.faults.session_lost_once and not b.session_lost_once:
        b.session_lost_once = True
        b.store.delete_session(session["id"])
        raise errors.no_session()
    return session


def require_attribution(request: Request) -> None:
    missing = [h for h in ATTRIBUTION_HEADERS if not request.headers.get(h, "").strip()]
    if missing:
        raise ApiError(402, "export needs the attribution headers " + ", ".join(missing)
                       + " (the free plan cannot export without them); this is not a credits problem")


def idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key", "").strip()
    if len(key) > 200:
        raise bad_request("Idempotency-Key longer than 200 characters")
    return key or None


def registration_url(b: Backend, user_id: str) -> str:
    return f"{b.web_url}/register?bind={user_id}"


# -- identity -----------------------------------------------------------------------------------------
async def anonymous_token(request: Request) -> Response:
    b = backend(request)
    s = b.settings
    client_id = request.headers.get("x-client-id", "").strip()
    if not client_id:
        raise ApiError(400, "missing X-Client-Id header: generate a UUID and send it")
    if len(client_id) > 128 or not client_id.isprintable():
        raise ApiError(400, "X-Client-Id must be at most 128 printable characters")
    ip = request.client.host if request.client else "unknown"
    now = time.time()
    since = now - s.token_window_s
    live = [t for t in b.store.tokens_since("client_id", client_id, since)
            if not t["revoked"] and t["expires_at"] > now]
    if len(live) >= s.tokens_per_client:
        retry = int(live[0]["created_at"] + s.token_window_s - now) + 1
        raise ApiError(429, f"this client already has a token ({s.tokens_per_client} per client per "
                       f"{s.token_window_s // 86400} days); reuse it or wait", headers={"Retry-After": str(retry)})
    by_ip = b.store.tokens_since("ip", ip, since)
    clients = {t["client_id"] for t in by_ip if t["client_id"] != client_id}
    if len(clients) >= s.tokens_per_ip:
        retry = int(by_ip[0]["created_at"] + s.token_window_s - now) + 1
        raise ApiError(429, f"too many new clients from this address ({s.tokens_per_ip} per "
                       f"{s.token_window_s // 86400} days)", headers={"Retry-After": str(retry)})
    user_id = b.store.user_for_client(client_id, s.credits)
    token = "nmv_usr_" + secrets.token_urlsafe(32)
    expires = b.store.add_token(token, user_id, client_id, ip, s.token_ttl_s)
    balance = b.store.balance(user_id)
    expires_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
    return ok({"token": token, "user_id": user_id, "expires_at": expires_at, "credits": balance["available"]})


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
    if body.get("task_id") not in (None, session["task_id"]):
        raise errors.no_session()
    token = "clm_" + secrets.token_urlsafe(24)
    b.store.add_claim(token, user_id, session["id"], CLAIM_TTL_S)
    return ok({"claim_token": token, "expires_in": CLAIM_TTL_S})


async def credits(request: Request) -> Response:
    user_id = authenticate(request)
    return ok(backend(request).store.balance(user_id))


async def add_credits_local(request: Request) -> Response:
    """Our extension: ``{"credits": N}`` added to the caller's balance (``%nemo credits --add N``), loopback only."""
    if request.client is None or request.client.host not in LOOPBACK:
        raise ApiError(403, "credits can be added only from this machine")
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
    return ok({"session_id": session["id"], "task_id": session["task_id"], "task_name": session["task_name"],
               "state": rebase_file_urls(session["state"], backend(request).public_url)})


async def upload(request: Request) -> Response:
    import anyio

    from nemo_nb.local.library import inspect
    from nemo_nb.local.media.probe import ProbeError

    b = backend(request)
    user_id = authenticate(request)
    check_path_user(request, user_id)
    session = load_session(request, user_id, request.path_params["sid"])
    key = idempotency_key(request)
    if key and (seen := b.store.remembered(user_id, f"upload:{session['id']}", key)):
        return JSONResponse(seen[1], status_code=seen[0])
    limit = b.settings.max_upload_bytes
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        received = await uploads.receive_multipart(request, b.media, limit)
    else:
        body = await read_json(request)
        urls = body.get("urls")
        if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and len(u) < 2048 for u in urls):
            raise bad_request("send files as multipart field 'files', or JSON {\"urls\": [...], "
                              "\"source_type\": \"url\"}")
        if len(urls) > MAX_URLS:
            raise bad_request(f"at most {MAX_URLS} URLs per upload")
        received = []
        try:
            for url in urls:
                received.append(await uploads.fetch_url(
                    url, b.media, limit, allow_private=b.settings.allow_private_urls,
                    timeout_s=b.settings.url_timeout_s))
        except BaseException:
            b.media.discard(received)
            raise
    described = []
    try:
        for item in received:
            try:
                info = await anyio.to_thread.run_sync(inspect, item.path)
            except ProbeError:
                raise uploads.unsupported(item.filename) from None
            media = b.library.record(item, info, user_id, session["id"], "upload")
            described.append((media, b.library.describe(media)))
    except BaseException:
        b.media.discard(received)
        raise
    for media, _ in described:
        b.store.add_media(media)
    fresh = b.store.session(session["id"], user_id)
    fresh["state"].setdefault("video_infos", []).extend(d for _, d in described)
    b.store.save_state(session["id"], fresh["state"])
    answer = {"code": 0, "message": "success",
              "data": {"files": [d for _, d in described], "session_state_applied": True}}
    if key:
        b.store.remember(user_id, f"upload:{session['id']}", key, 200, answer)
    return JSONResponse(answer)


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
    if key and b.store.turn_with_key(session["id"], key):
        raise ApiError(errors.DUPLICATE_MESSAGE, "this message was already received (same Idempotency-Key); "
                       "it is not run twice — fetch the session state to see its result")
    queue = b.turns.start(session, user_id, text, key, registration_url(b, user_id))
    body_iter = stream(queue, sse.encoder(b.settings.sse_dialect), b.settings.faults.drop_sse_after)
    return StreamingResponse(body_iter, media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


# -- renders -----------------------------------------------------------------------------------------
def render_view(b: Backend, job: dict[str, Any]) -> dict[str, Any]:
    """A render's status in the configured poll shape.

    A dubbed render adds ``languages`` (its audio tracks, in order) and, when it made one MP4 per
    language, ``outputs`` ({language: url}) — in ``data`` (wrapped) or in ``output`` (top-level).
    """
    url = f"{b.public_url}/files/{job['url_key']}/{job['id']}.mp4" if job.get("url_key") else None
    iso = lambda t: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)) if t else None  # noqa: E731
    dubbed: dict[str, Any] = {}
    if url:
        extra = json.loads(job.get("extra_outputs") or "{}")
        if extra:
            dubbed["outputs"] = {lang: f"{b.public_url}/files/{e['url_key']}/{job['id']}.{lang}.mp4"
                                 for lang, e in extra.items()}
        if languages := json.loads(job.get("languages") or "[]"):
            dubbed["languages"] = languages
    if b.settings.render_shape == "toplevel":
        out: dict[str, Any] = {"taskId": job["id"], "status": job["status"], "progress": job["progress"]}
        if url:
            out["output"] = {"url": url, "duration": job["duration"], "size": job["size"], **dubbed}
    else:
        data = {"id": job["id"], "status": job["status"], "progress": job["progress"], "outputUrl": url,
                "createdAt": iso(job["created_at"]), "completedAt": iso(job["completed_at"])}
        if url:
            data.update(duration=job["duration"], size=job["size"], **dubbed)
        out = {"success": True, "data": data}
    if job.get("error"):
        (out if "taskId" in out else out["data"])["error"] = job["error"]
    return out


async def submit_render(request: Request) -> Response:
    from nemo_nb.draft import Draft

    b = backend(request)
    user_id = authenticate(request)
    require_attribution(request)
    key = idempotency_key(request)
    if key and (seen := b.store.remembered(user_id, "render", key)):
        return JSONResponse(seen[1], status_code=seen[0])
    body = await read_json(request)
    render_id = text_field(body, "id", max_len=80)
    if not RENDER_ID.match(render_id):
        raise bad_request("render id must be 1-80 characters of letters, digits, '_', '.' or '-'")
    session = load_session(request, user_id, body.get("sessionId", body.get("session_id")))
    draft = body.get("draft")
    if not isinstance(draft, dict):
        raise bad_request("field 'draft' must be a JSON object (the session's draft)")
    if not Draft(draft).is_renderable:
        raise ApiError(errors.NOTHING_TO_RENDER, "the draft has nothing to render: no track has segments. "
                       "Upload a video and add it to the timeline first")
    output = body.get("output") or {"format": "mp4", "quality": "high"}
    if not isinstance(output, dict) or output.get("format", "mp4") != "mp4":
        raise bad_request("output.format must be 'mp4'")
    if output.get("language") is not None:  # one language of a dubbed draft: it must be there
        from nemo_nb.local.media.timeline import RenderError, draft_languages, language_code

        try:
            language = language_code(output["language"], "output.language")
            known = draft_languages(Draft(draft))
        except RenderError as exc:
            raise bad_request(str(exc)) from None
        if language not in known:
            raise bad_request(f"output.language {output['language']!r} is not in the draft; its languages: "
                              + (", ".join(known) or "none (no audio segment has a 'lang')"))
    if not b.store.add_render(render_id, user_id, session["id"], draft, output):
        raise ApiError(errors.DUPLICATE_RENDER, f"render id {render_id!r} is already used; choose a new one")
    b.renders.submit(render_id)
    answer = {"success": True, "data": {"id": render_id, "status": "pending", "progress": 0}}
    if key:
        b.store.remember(user_id, "render", key, 200, answer)
    return JSONResponse(answer)


def own_render(request: Request) -> dict[str, Any]:
    b = backend(request)
    user_id = authenticate(request)
    job = b.store.render(request.path_params["rid"], user_id)
    if job is None:
        raise ApiError(errors.UNKNOWN_RENDER, "unknown render id")
    return job


async def render_status(request: Request) -> Response:
    return JSONResponse(render_view(backend(request), own_render(request)))


async def render_download(request: Request) -> Response:
    job = own_render(request)
    if job["status"] != "completed":
        raise ApiError(errors.NOT_READY, f"the render is {job['status']}; download it once it is completed")
    relpath, name = job["relpath"], f"{job['id']}.mp4"
    if (language := request.query_params.get("language")) is not None:  # one language of a dubbed render
        extra = json.loads(job.get("extra_outputs") or "{}")
        languages = json.loads(job.get("languages") or "[]")
        code = language.lower().replace("_", "-")
        if code in extra:
            relpath, name = extra[code]["relpath"], f"{job['id']}.{code}.mp4"
        elif languages != [code]:  # a one-language render is its own file
            raise bad_request(f"this render has no language {language[:20]!r}; its languages: "
                              + (", ".join(languages) or "none"))
    return FileResponse(backend(request).data_dir / relpath, media_type="video/mp4", filename=name)


async def cancel_render(request: Request) -> Response:
    b = backend(request)
    job = own_render(request)
    if job["status"] not in ("pending", "processing"):
        raise ApiError(errors.NOT_CANCELLABLE, f"the render is already {job['status']}")
    b.renders.cancel(job["id"])
    return JSONResponse(render_view(b, b.store.render(job["id"])))


# -- files and small pages ------------------------------------------------------------------------------
async def serve_file(request: Request) -> Response:
    b = backend(request)
    key = request.path_params["key"]
    media = b.store.media_by_url_key(key)
    job = None if media else b.store.render_by_url_key(key)
    relpath = media["relpath"] if media else job["relpath"] if job else None
    if relpath is None and "." in key:  # one language's MP4 of a dubbed render: "<render key>.<own key>"
        parent = b.store.render_by_url_key(key.split(".", 1)[0])
        extra = json.loads(parent.get("extra_outputs") or "{}") if parent else {}
        relpath = next((e["relpath"] for e in extra.values()
                        if secrets.compare_digest(e["url_key"].encode(), key.encode())), None)
    if relpath is None:
        return JSONResponse({"code": 404, "message": "file not found"}, status_code=404)
    return FileResponse(b.data_dir / relpath)


async def claim_page(request: Request) -> Response:
    claim = backend(request).store.claim(request.query_params.get("ct", ""))
    if not claim:
        return HTMLResponse("<h1>Claim link invalid or expired</h1>", status_code=404)
    return HTMLResponse(f"<h1>Session {html.escape(claim['session_id'])} is yours</h1>"
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
    Route("/api/auth/anonymous-token", anonymous_token, methods=["POST"]),
    Route("/api/auth/claim-token", claim_token, methods=["POST"]),
    Route("/api/tasks/{user}/with-session/{app}", create_session, methods=["POST"]),
    Route("/api/credits/balance/simple", credits),
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
    return JSONResponse({"code": 500, "message": "internal error in the embedded backend"}, status_code=500)


class HeaderLimit:
    """ASGI middleware: request headers over ``MAX_HEADER_BYTES`` in all answer 4000 before any handler runs."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and sum(len(k) + len(v) for k, v in scope["headers"]) > MAX_HEADER_BYTES:
            exc = bad_request(f"request headers larger than {MAX_HEADER_BYTES // 1024} KB in all")
            await JSONResponse(exc.body(), status_code=exc.status)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class FaultGate:
    """ASGI middleware for the ``rate_limit_once`` fault: the first request answers 429."""

    def __init__(self, app: Any, backend_: Backend):
        self.app = app
        self.backend = backend_

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        b = self.backend
        if scope["type"] == "http" and b.settings.faults.rate_limit_once and not b.rate_limited_once:
            b.rate_limited_once = True
            response = JSONResponse({"code": 429, "message": "rate limited (fault injection); retry after 1 s"},
                                    status_code=429, headers={"Retry-After": "1"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def warm_speech() -> None:
    """Load the neural voice in its worker now, so the first voiceover does not wait for it."""
    try:
        from nemo_nb.local.media.tts import engine
    except ImportError:  # the voices are optional
        return
    engine().warm()


def create_app(settings: BackendSettings, data_dir: Path) -> Starlette:
    """The embedded backend's ASGI app over ``data_dir``."""
    from contextlib import asynccontextmanager

    from starlette.middleware import Middleware

    b = Backend(settings, data_dir)
    if settings.top_up:
        top_up_all(b.store, settings.credits)

    @asynccontextmanager
    async def lifespan(app: Starlette):
        b.store.fail_interrupted_renders()
        b.store.interrupt_running_turns()
        b.renders.clean_leftovers()
        warm_speech()
        yield
        await b.turns.drain()
        await b.renders.drain()
        b.store.close()

    app = Starlette(routes=ROUTES, lifespan=lifespan,
                    exception_handlers={ApiError: api_error, HTTPException: http_error, ClientDisconnect: client_gone,
                                        Exception: internal_error},
                    middleware=[Middleware(HeaderLimit), Middleware(FaultGate, backend_=b)])
    app.state.backend = b
    return app
