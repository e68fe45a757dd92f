"""Reading a request: its JSON body, fields, token, session and headers, each refused with a clear error."""
from __future__ import annotations

from typing import Any

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse

from nemo_nb.config import ATTRIBUTION_HEADERS
from nemo_nb.local import errors, limits
from nemo_nb.local.backend import Backend
from nemo_nb.local.errors import ApiError, bad_request
from nemo_nb.local.records import Session

APP_NAME = "nemo_agent"


def backend(request: Request) -> Backend:
    b: Backend = request.app.state.backend
    return b


def ok(data: Any, status: int = 200) -> JSONResponse:
    return JSONResponse({"code": 0, "message": "success", "data": data}, status_code=status)


def body_too_large(limit: int) -> ApiError:
    """4000 for a body over ``limit``; the connection is closed after it, so its rest is never read."""
    return ApiError(errors.BAD_REQUEST, f"JSON body larger than {limit} bytes", headers={"Connection": "close"})


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body, refused (4000) as soon as it is known to be larger than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise body_too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise body_too_large(limit)
    return bytes(body)


async def read_json(request: Request) -> dict[str, Any]:
    """The body as a JSON object, bounded in size and shape (``limits.py``); a clear 4000 otherwise. It is
    decoded in a worker thread, so a large body does not hold up other requests."""
    body = await read_body(request, backend(request).settings.max_json_bytes)
    return await anyio.to_thread.run_sync(limits.decode_object, body)


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


def load_session(request: Request, user_id: str, session_id: Any) -> Session:
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
        b.store.delete_session(session.id)
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
