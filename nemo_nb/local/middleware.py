"""ASGI middleware of the embedded backend: checks that run before any route."""
from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from nemo_nb.local.backend import Backend
from nemo_nb.local.errors import bad_request

MAX_HEADER_BYTES = 32 * 1024


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
