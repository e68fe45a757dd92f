"""Error answers of the embedded backend: protocol codes, our own codes, and their HTTP statuses.

| code | HTTP | meaning |
|------|------|---------|
| 400  | 400  | missing ``X-Client-Id`` (protocol) |
| 402  | 402  | attribution headers missing on export (protocol: "free plan can't export") |
| 429  | 429  | rate limited, with ``Retry-After`` (protocol) |
| 1001 | 401  | token missing, bad or expired (protocol) |
| 1002 | 404  | session not found — also for another user's session (protocol) |
| 2001 | 403  | not enough credits, with ``registration_url`` (protocol) |
| 4001 | 415  | unsupported file type (protocol) |
| 4003 | 403  | refused: ``Host`` not ours (loopback + our port), or a browser page's origin not allowed (ours) |
| 4002 | 413  | file too large (protocol) |
| 4000 | 400  | malformed request: bad JSON, wrong types, truncated multipart, over a bound of limits.py (ours) |
| 4004 | 404  | unknown render id (ours) |
| 4005 | 409  | the draft has nothing to render (ours) |
| 4006 | 422  | the render would be longer or larger than this backend renders (ours) |
| 4009 | 409  | render id already used (ours) |
| 4010 | 409  | render not finished, nothing to download yet (ours) |
| 4029 | 409  | a turn is already running in this session (ours) |
| 4030 | 409  | this message (``Idempotency-Key``) was already received (ours) |
| 4031 | 409  | the render can no longer be cancelled (ours) |
"""
from __future__ import annotations

from typing import Any

HTTP_STATUS = {
    400: 400, 402: 402, 429: 429,
    1001: 401, 1002: 404, 2001: 403, 4001: 415, 4002: 413,
    4000: 400, 4003: 403, 4004: 404, 4005: 409, 4006: 422, 4009: 409, 4010: 409, 4029: 409, 4030: 409,
    4031: 409,
}

BAD_REQUEST = 4000
BAD_TOKEN = 1001
NO_SESSION = 1002
NO_CREDITS = 2001
BAD_TYPE = 4001
FORBIDDEN = 4003
TOO_LARGE = 4002
UNKNOWN_RENDER = 4004
NOTHING_TO_RENDER = 4005
RENDER_TOO_LARGE = 4006
DUPLICATE_RENDER = 4009
NOT_READY = 4010
SESSION_BUSY = 4029
DUPLICATE_MESSAGE = 4030
NOT_CANCELLABLE = 4031


class ApiError(Exception):
    """An answer ``{"code", "message", "data"}`` with its HTTP status and headers."""

    def __init__(self, code: int, message: str, *, data: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.headers = headers or {}

    @property
    def status(self) -> int:
        return HTTP_STATUS.get(self.code, 400)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            body["data"] = self.data
        return body


def bad_request(message: str) -> ApiError:
    return ApiError(BAD_REQUEST, message)


def no_session() -> ApiError:
    return ApiError(NO_SESSION, "session not found; create a new session")
