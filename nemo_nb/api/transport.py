"""HTTP for the client: one httpx pool, credentials for the API's own host only, envelope decoding.

Every request goes through the one retry policy (``api/retry.py``, see docs/protocol.md). A request
to the API's own origin (same scheme, host and port) carries the token and the ``X-Skill-*``
attribution headers; a request to any other host (an output URL on a CDN) carries neither.
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import httpx

from nemo_nb.api.answers import decode
from nemo_nb.api.clock import Clock
from nemo_nb.api.retry import RetryPolicy, connection_error, send_with_retries
from nemo_nb.config import DEFAULT_API_URL

if TYPE_CHECKING:
    from nemo_nb.api.auth import Identity

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class Transport:
    """Sends requests to the API with the token and attribution headers, applying the retry policy."""

    def __init__(self, api_url: str, identity: Identity, headers: dict[str, str], *, clock: Clock | None = None,
                 retry_after_cap_s: float = 30.0, attempts: int = 3, timeout_s: float = 60.0,
                 web_url: str | None = None):
        self.api_url = api_url.rstrip("/")
        self.identity = identity
        self.headers = dict(headers)
        self.web_url = web_url  # for the registration link of an OutOfCredits
        self.policy = RetryPolicy(clock or Clock(), retry_after_cap_s, attempts)
        try:
            api = httpx.URL(self.api_url)
        except httpx.InvalidURL:
            api = httpx.URL("")
        if api.scheme not in ("http", "https") or not api.host:
            raise ValueError(f"the API URL must be an http(s) URL such as {DEFAULT_API_URL}, not {api_url[:80]!r}")
        self._own = _origin_key(api)
        loopback = api.host in LOOPBACK
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(timeout_s),
                                      limits=httpx.Limits(max_connections=32, max_keepalive_connections=16),
                                      trust_env=not loopback)  # proxies (HTTPS_PROXY) are for the cloud only

    @property
    def clock(self) -> Clock:
        return self.policy.clock

    async def aclose(self) -> None:
        await self.http.aclose()

    def url(self, path: str) -> httpx.URL:
        """An API path (``/api/…``) on the API's base URL; an absolute URL as it is."""
        return httpx.URL(path if path.startswith(("http://", "https://")) else f"{self.api_url}{path}")

    def is_own(self, url: httpx.URL) -> bool:
        """Is ``url`` on the API's own origin (scheme, host and port), where credentials may go?"""
        return _origin_key(url) == self._own

    async def anonymous(self, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        """An unauthenticated request to the API (the anonymous token): attribution headers, no token."""
        url = self.url(path)

        async def attempt() -> httpx.Response:
            return await self.http.send(self.http.build_request(method, url, headers={**self.headers, **headers}))

        return await send_with_retries(attempt, method=method, url=url, policy=self.policy, safe=False)

    async def send(self, method: str, path: str, *, safe: bool | None = None, headers: dict[str, str] | None = None,
                   stream: bool = False, **kw: Any) -> httpx.Response:
        """A request under the retry policy. ``safe`` (to repeat after a failed connection) defaults to
        GETs and requests with an ``Idempotency-Key``. ``kw`` goes to ``httpx.AsyncClient.build_request``."""
        url = self.url(path)
        own = self.is_own(url)
        if safe is None:
            safe = method == "GET" or bool(headers and headers.get("Idempotency-Key"))
        token_used: list[str] = []
        tries = 0

        async def attempt() -> httpx.Response:
            nonlocal tries
            if tries:
                _rewind(kw.get("files"))
            tries += 1
            sent = dict(headers or {})
            if own:
                token = await self.identity.token(self.anonymous)
                token_used[:] = [token]
                sent = {**self.headers, "Authorization": f"Bearer {token}", **sent}
            return await self.http.send(self.http.build_request(method, url, headers=sent, **kw), stream=stream)

        async def refresh() -> None:
            await self.identity.refresh(self.anonymous, token_used[0])

        return await send_with_retries(attempt, method=method, url=url, policy=self.policy, safe=safe,
                                       refresh=refresh if own else None)

    def decode(self, response: httpx.Response) -> dict[str, Any]:
        """The JSON body of a success, or the error it stands for."""
        return decode(response, web_url=self.web_url, user_id=self.identity.user_id)

    async def call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        """A JSON request: the decoded body, or the error it stands for."""
        return self.decode(await self.send(method, path, **kw))

    @asynccontextmanager
    async def stream(self, method: str, path: str, **kw: Any) -> AsyncIterator[httpx.Response]:
        """A streamed answer (SSE, downloads). An error answer is raised before the body is handed
        out; a connection that breaks during the body raises ``StreamDropped`` / ``NemoTimeout``.
        Only GETs are repeated after a failed connection (a message to the agent never is)."""
        kw.setdefault("safe", method == "GET")
        response = await self.send(method, path, stream=True, **kw)
        try:
            if response.status_code >= 400:
                await response.aread()
                self.decode(response)
            yield response
        except httpx.TransportError as exc:
            raise connection_error(exc, response.request.url, started=True) from exc
        finally:
            await response.aclose()

    def __repr__(self) -> str:
        return f"Transport({self.api_url})"


def _origin_key(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host.lower(), url.port or default


def _rewind(files: Any) -> None:
    """Before a retry, put the file objects of a multipart upload back at their start."""
    for item in files or []:
        handle = item[1][1] if isinstance(item, tuple) and isinstance(item[1], tuple) else None
        if handle is not None and hasattr(handle, "seek"):
            handle.seek(0)
