"""ASGI middleware of the embedded backend: checks that run before any route, and headers on every answer.

``LoopbackGuard`` is what Jupyter Server does for a loopback server: a web page the user visits can
point a name it controls at 127.0.0.1 (DNS rebinding) or send the user's browser here, so a request
whose ``Host`` is not a loopback name with our port, or a browser request from an origin not allowed
(``allowed_origins``), is refused with 4003 before any route runs.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.responses import JSONResponse

from nemo_nb.local.backend import Backend
from nemo_nb.local.errors import FORBIDDEN, ApiError, bad_request

MAX_HEADER_BYTES = 32 * 1024
PAGES = ("/files/", "/workspace/claim", "/register")  # opened by links and <video> from a notebook page
DEFAULT_PORTS = {"http": 80, "https": 443}


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback IP address."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_pattern(allowed: Iterable[str]) -> re.Pattern[str]:
    """One regex for the allowed origins: ``scheme://host:port``, ``:*`` for any port, ``*`` for any origin."""
    choices = []
    for entry in allowed:
        if entry == "*":
            choices.append(".*")
            continue
        base, star, _ = entry.rstrip("/").partition(":*")
        choices.append(re.escape(base.lower()) + (r"(:\d+)?" if star else ""))
    return re.compile("|".join(f"(?:{c})" for c in choices) or "(?!)")


def refusal(headers: Headers, method: str, path: str, port: int, origins: re.Pattern[str]) -> str | None:
    """Why a request must be refused (None: it may go on)."""
    try:
        where = urlsplit("//" + headers.get("host", ""))
        host, host_port = where.hostname or "", where.port or 80
    except ValueError:
        host, host_port = "", 0
    if not is_loopback(host) or host_port != port:
        return (f"Host {headers.get('host', '')[:100]!r} is not this server: it answers only to localhost, "
                f"127.0.0.1 or [::1] with port {port}")
    origin = headers.get("origin")
    if origin is not None:
        if not origins.fullmatch(origin.lower()):
            return (f"requests from the web page at {origin[:100]!r} are refused; allow that origin with the "
                    "backend's allowed_origins setting")
        return None
    page = method in ("GET", "HEAD") and (path == "/" or path.startswith(PAGES))
    if headers.get("sec-fetch-site", "") in ("cross-site", "same-site") and not page:
        return "cross-site browser requests to the API are refused"
    return None


class HeaderLimit:
    """Request headers over ``MAX_HEADER_BYTES`` in all answer 4000 before any handler runs."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and sum(len(k) + len(v) for k, v in scope["headers"]) > MAX_HEADER_BYTES:
            exc = bad_request(f"request headers larger than {MAX_HEADER_BYTES // 1024} KB in all")
            await JSONResponse(exc.body(), status_code=exc.status)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class LoopbackGuard:
    """Refuses (4003) requests for another host and browser requests from origins not allowed."""

    def __init__(self, app: Any, backend_: Backend):
        self.app = app
        self.backend = backend_
        self.origins = origin_pattern(backend_.settings.allowed_origins)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            reason = refusal(Headers(scope=scope), scope["method"], scope["path"], self.backend.settings.port,
                             self.origins)
            if reason:
                exc = ApiError(FORBIDDEN, reason)
                await JSONResponse(exc.body(), status_code=exc.status)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class SecurityHeaders:
    """``X-Content-Type-Options: nosniff`` on every answer: a browser never takes a file for another type."""

    def __init__(self, app: Any):
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *SECURITY_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)


SECURITY_HEADERS = [(b"x-content-type-options", b"nosniff")]


class FaultGate:
    """For the ``rate_limit_once`` fault: the first request answers 429."""

    def __init__(self, app: Any, backend_: Backend):
        self.app = app
        self.backend = backend_

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        b = self.backend
        if scope["type"] == "http" and b.settings.faults.rate_limit_once and not b.rate_limited_once:
            b.rate_limited_once = True
            response = JSONResponse({"code": 429, "message": "rate limited (fault injection); retry after 1 s"},
                                    status_code=429, headers={"Retry-After": "1"})
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
