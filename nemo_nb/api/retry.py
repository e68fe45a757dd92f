"""The client's one retry policy, and a debug line in the ``nemo_nb.api`` log for each of its decisions.

- HTTP 429: wait ``Retry-After`` (30 s when absent, capped), then retry once.
- A refused token (HTTP 401 / code 1001): fetch a new one once, then retry.
- A failed connection: retried with jittered exponential backoff, but only when the request is safe to
  repeat (reads, and POSTs carrying an ``Idempotency-Key``); a message to the agent is never re-sent.
  When no retry is left, httpx's exception becomes a ``NemoConnectionError`` / ``NemoTimeout``.

Log lines name the method and an API path (only the origin for other URLs, whose paths may hold a
file's secret key): never a header, a query string or a body.
"""
from __future__ import annotations

import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx

from nemo_nb.api.answers import parse_retry_after, refused_token
from nemo_nb.api.clock import Clock
from nemo_nb.api.errors import NemoConnectionError, NemoTimeout, StreamDropped

log = logging.getLogger("nemo_nb.api")

DEFAULT_RETRY_AFTER_S = 30.0  # the protocol's wait after a 429 that names none
# Failures where no answer came; a request that may have reached the server is repeated only when safe.
RETRYABLE = (httpx.ConnectError, httpx.ConnectTimeout, httpx.ReadError, httpx.RemoteProtocolError,
             httpx.WriteError, httpx.PoolTimeout, httpx.ReadTimeout)


@dataclass
class RetryPolicy:
    """How long to wait and how often to try; ``clock`` lets tests speed the waits up."""

    clock: Clock = field(default_factory=Clock)
    retry_after_cap_s: float = 30.0
    attempts: int = 3  # tries of a safe request whose connection fails

    def rate_limit_wait(self, response: httpx.Response) -> float:
        seconds = parse_retry_after(response.headers.get("retry-after"))
        return min(DEFAULT_RETRY_AFTER_S if seconds is None else seconds, self.retry_after_cap_s)

    def backoff(self, failures: int) -> float:
        """0.5 s, 1 s, 2 s … (at most 8 s), each times a random factor in [0.5, 1.5)."""
        return min(8.0, 0.25 * 2.0**failures) * (0.5 + random.random())  # noqa: S311  # jitter, not a secret


def origin(url: httpx.URL) -> str:
    """``scheme://host:port`` of a URL: what errors and logs may name (no path, query or userinfo)."""
    return f"{url.scheme}://{url.host}" + (f":{url.port}" if url.port else "")


def loggable(url: httpx.URL) -> str:
    """What a log line may show of a URL: an API path as it is, else only the origin."""
    path = url.path
    return path if path.startswith("/api/") or path == "/run_sse" else f"{origin(url)}/…"


def connection_error(exc: httpx.TransportError, url: httpx.URL, *, started: bool = False) -> NemoConnectionError:
    """httpx's transport exception as the client's typed error; ``started``: the answer had begun."""
    detail = str(exc).strip()
    reason = type(exc).__name__ + (f": {detail}" if detail and "://" not in detail else "")
    where = origin(url)
    if isinstance(exc, httpx.TimeoutException):
        return NemoTimeout(f"no answer from {where} in time ({reason})", origin=where, reason=reason)
    if started:
        return StreamDropped(f"the connection to {where} broke off during the answer ({reason})",
                             origin=where, reason=reason)
    return NemoConnectionError(f"could not reach {where} ({reason})", origin=where, reason=reason)


async def send_with_retries(attempt: Callable[[], Awaitable[httpx.Response]], *, method: str, url: httpx.URL,
                            policy: RetryPolicy, safe: bool,
                            refresh: Callable[[], Awaitable[object]] | None = None) -> httpx.Response:
    """Run ``attempt`` (one HTTP request; called again for each retry) under the policy.

    ``refresh`` fetches a new token after a refusal; without it (anonymous requests, other hosts) a
    401 is an answer like any other. The response returned may be a stream that is not read yet."""
    what = f"{method} {loggable(url)}"
    rate_limited = refreshed = False
    failures = 0
    while True:
        try:
            response = await attempt()
        except RETRYABLE as exc:
            failures += 1
            name = type(exc).__name__
            if not safe:
                log.debug("%s: %s; not retried: the request is not safe to repeat", what, name)
            elif failures >= policy.attempts:
                log.debug("%s: %s; giving up after %d tries", what, name, failures)
            else:
                delay = policy.backoff(failures)
                log.debug("%s: %s; retry %d of %d in %.2f s", what, name, failures, policy.attempts - 1, delay)
                await policy.clock.sleep(delay)
                continue
            raise connection_error(exc, url) from exc
        except httpx.TransportError as exc:  # e.g. a proxy or protocol error: retrying would not help
            log.debug("%s: %s; not retried", what, type(exc).__name__)
            raise connection_error(exc, url) from exc
        if response.status_code == 429:
            if rate_limited:
                log.debug("%s: HTTP 429 again; not retried", what)
                return response
            rate_limited = True
            delay = policy.rate_limit_wait(response)
            log.debug("%s: HTTP 429; waiting %.1f s (Retry-After: %s), then one retry", what, delay,
                      response.headers.get("retry-after", "absent")[:40])
            await response.aclose()
            await policy.clock.sleep(delay)
            continue
        if refresh is not None and response.status_code < 500 and await _refused(response):
            if refreshed:
                log.debug("%s: the new token was refused too; not retried", what)
                return response
            refreshed = True
            log.debug("%s: token refused (HTTP %d); fetching a new one, then one retry", what, response.status_code)
            await response.aclose()
            await refresh()
            continue
        return response


async def _refused(response: httpx.Response) -> bool:
    """``refused_token`` for a response that may still be streaming: reads only a JSON or error body."""
    content_type = response.headers.get("content-type", "")
    if response.status_code < 400 and not content_type.startswith("application/json"):
        return False
    try:
        await response.aread()
    except httpx.TransportError:
        return False  # the body broke off: the caller meets the same failure when it reads
    return refused_token(response)
