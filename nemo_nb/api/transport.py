"""HTTP for the client: one httpx pool, attribution headers, envelope decoding, the retry policy.

Policy (PROTOCOL.md): 1001 → one token refresh, then retry; 429 → wait ``Retry-After`` (capped)
and retry once; transport errors → retried with jittered backoff only for idempotent requests
(reads, and POSTs carrying an ``Idempotency-Key``). POSTs that start work are never repeated.
"""
from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from nemo_nb.api.auth import Identity
from nemo_nb.api.errors import ServerError, error_for

RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError, httpx.RemoteProtocolError,
             httpx.WriteError, httpx.PoolTimeout, httpx.ReadTimeout)


class Clock:
    """Time for the client's timers; ``speed`` > 1 makes tests live minutes in moments."""

    def __init__(self, speed: float = 1.0):
        self.speed = speed
        self._origin = time.monotonic()

    def monotonic(self) -> float:
        return self._origin + (time.monotonic() - self._origin) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class Transport:
    """Sends requests to the API with the token and attribution headers, applying the retry policy."""

    def __init__(self, api_url: str, identity: Identity, headers: dict[str, str], *, clock: Clock | None = None,
                 retry_after_cap_s: float = 30.0, attempts: int = 3, timeout_s: float = 60.0):
        self.api_url = api_url.rstrip("/")
        self.identity = identity
        self.headers = dict(headers)
        self.clock = clock or Clock()
        self.retry_after_cap_s = retry_after_cap_s
        self.attempts = attempts
        loopback = httpx.URL(self.api_url).host in ("127.0.0.1", "localhost", "::1")
        self.http = httpx.AsyncClient(base_url=self.api_url, timeout=httpx.Timeout(timeout_s),
                                      limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                                      trust_env=not loopback)  # proxies (HTTPS_PROXY) are for the cloud only

    async def aclose(self) -> None:
        await self.http.aclose()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.api_url}{path}"

    # -- the policy -------------------------------------------------------------------------------
    async def _retry_wait(self, attempt: int) -> None:
        await self.clock.sleep(min(8.0, 0.25 * 2 ** attempt) * (0.5 + random.random()))

    def _retry_after(self, response: httpx.Response) -> float:
        value = response.headers.get("retry-after", "")
        try:
            seconds = float(value)
        except ValueError:
            seconds = 30.0
        return min(max(seconds, 0.0), self.retry_after_cap_s)

    async def _send_once(self, method: str, path: str, *, idempotent: bool, **kw: Any) -> httpx.Response:
        """One logical request: transport errors retried when idempotent; 429 waited out once."""
        rate_limited = False
        attempt = 0
        while True:
            if attempt:
                _rewind(kw.get("files"))
            try:
                response = await self.http.request(method, self.url(path), **kw)
            except RETRYABLE:
                attempt += 1
                if not idempotent or attempt >= self.attempts:
                    raise
                await self._retry_wait(attempt)
                continue
            if response.status_code == 429 and not rate_limited:
                rate_limited = True
                await self.clock.sleep(self._retry_after(response))
                continue
            return response

    async def anonymous(self, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        """An unauthenticated request (the anonymous token), with the 429 policy."""
        return await self._send_once(method, path, idempotent=False, headers={**self.headers, **headers})

    async def _auth_headers(self) -> dict[str, str]:
        token = await self.identity.token(self.anonymous)
        return {**self.headers, "Authorization": f"Bearer {token}"}

    async def send(self, method: str, path: str, *, idempotent: bool | None = None,
                   headers: dict[str, str] | None = None, **kw: Any) -> httpx.Response:
        """An authenticated request; a 1001 refreshes the token once and retries."""
        if idempotent is None:
            idempotent = method == "GET" or bool(headers and headers.get("Idempotency-Key"))
        for refreshed in (False, True):
            auth = await self._auth_headers()
            response = await self._send_once(method, path, idempotent=idempotent,
                                             headers={**auth, **(headers or {})}, **kw)
            if not refreshed and _is_bad_token(response):
                await self.identity.refresh(self.anonymous, auth["Authorization"][7:])
                continue
            return response
        return response

    async def call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """A JSON request: the decoded body, or the error it stands for."""
        return decode(await self.send(method, path, **kw))

    @asynccontextmanager
    async def stream(self, method: str, path: str, **kw: Any) -> AsyncIterator[httpx.Response]:
        """A streamed response (SSE, downloads). Errors before the body starts are raised as usual;
        the request itself is never repeated after it reached the server, except for 1001/429."""
        for refreshed in (False, True):
            auth = await self._auth_headers()
            headers = {**auth, **kw.pop("headers", {})}
            rate_limited = False
            while True:
                request = self.http.build_request(method, self.url(path), headers=headers, **kw)
                response = await self.http.send(request, stream=True)
                if response.status_code == 429 and not rate_limited:
                    rate_limited = True
                    await response.aclose()
                    await self.clock.sleep(self._retry_after(response))
                    continue
                break
            if response.status_code >= 400:
                await response.aread()
                await response.aclose()
                if not refreshed and _is_bad_token(response):
                    await self.identity.refresh(self.anonymous, auth["Authorization"][7:])
                    continue
                decode(response)
            try:
                yield response
            finally:
                await response.aclose()
            return

    def __repr__(self) -> str:
        return f"Transport({self.api_url})"


def _rewind(files: Any) -> None:
    """Before a retry, put the file objects of a multipart upload back at their start."""
    for item in files or []:
        handle = item[1][1] if isinstance(item, tuple) and isinstance(item[1], tuple) else None
        if hasattr(handle, "seek"):
            handle.seek(0)


def _is_bad_token(response: httpx.Response) -> bool:
    if response.status_code == 401:
        return True
    if response.headers.get("content-type", "").startswith("application/json"):
        try:
            return response.json().get("code") == 1001
        except (ValueError, AttributeError):
            return False
    return False


def decode(response: httpx.Response) -> dict[str, Any]:
    """The JSON body of a success; the matching ``NemoError`` otherwise."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        retry = response.headers.get("retry-after")
        raise error_for(response.status_code, body, float(retry) if retry and retry.isdigit() else None)
    if not isinstance(body, dict):
        raise ServerError(f"unexpected answer from {response.request.url.path} (HTTP {response.status_code})")
    code = body.get("code", 0)
    if code not in (0, None) or body.get("success") is False:
        raise error_for(response.status_code, body)
    return body

