"""HTTP answers: the decoded body or the typed error it stands for, ``Retry-After``, a refused token."""
from __future__ import annotations

import email.utils
import math
import time
from datetime import timezone
from typing import Any

import httpx

from nemo_nb.api.errors import ServerError, error_for


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP date); ``None`` when
    absent or unreadable. Never negative."""
    if not value or not value.strip():
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # HTTP dates are GMT
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - (time.time() if now is None else now)
    return max(0.0, seconds) if math.isfinite(seconds) else None


def json_body(response: httpx.Response) -> Any:
    """The JSON of a read response, or ``None`` when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return None


def refused_token(response: httpx.Response) -> bool:
    """Does a (read) answer say the token is bad or expired: HTTP 401 or envelope code 1001?"""
    if response.status_code == 401:
        return True
    if response.headers.get("content-type", "").startswith("application/json"):
        body = json_body(response)
        return isinstance(body, dict) and body.get("code") == 1001
    return False


def decode(response: httpx.Response, *, web_url: str | None = None, user_id: str | None = None) -> dict[str, Any]:
    """The JSON body of a success; the matching ``NemoError`` otherwise (``web_url`` and ``user_id``
    make the registration link of an ``OutOfCredits``)."""
    body = json_body(response)
    if response.status_code >= 400:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise error_for(response.status_code, body, retry_after, web_url=web_url, user_id=user_id)
    if not isinstance(body, dict):
        raise ServerError(f"unexpected answer from {response.request.url.path} (HTTP {response.status_code})")
    if body.get("code", 0) not in (0, None) or body.get("success") is False:
        raise error_for(response.status_code, body, web_url=web_url, user_id=user_id)
    return body
