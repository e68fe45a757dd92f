"""Anonymous tokens: one live token per client id, and an optional limit of new clients per address.

The per-address limit (``tokens_per_ip``) is the cloud's rule; it is off by default here, where every
client is 127.0.0.1 and ten notebooks would otherwise lock the user out for a week.
"""
from __future__ import annotations

import secrets
import time
from typing import Any

from nemo_nb.local.errors import ApiError
from nemo_nb.local.settings import BackendSettings
from nemo_nb.local.store import Store


def check_client_id(client_id: str) -> str:
    client_id = client_id.strip()
    if not client_id:
        raise ApiError(400, "missing X-Client-Id header: generate a UUID and send it")
    if len(client_id) > 128 or not client_id.isprintable():
        raise ApiError(400, "X-Client-Id must be at most 128 printable characters")
    return client_id


def _refuse_over_limits(store: Store, s: BackendSettings, client_id: str, ip: str, now: float) -> None:
    since = now - s.token_window_s
    live = [t for t in store.tokens_since("client_id", client_id, since) if not t.revoked and t.expires_at > now]
    if len(live) >= s.tokens_per_client:
        retry = int(live[0].created_at + s.token_window_s - now) + 1
        raise ApiError(429, f"this client already has a token ({s.tokens_per_client} per client per "
                       f"{s.token_window_s // 86400} days); reuse it or wait", headers={"Retry-After": str(retry)})
    if not s.tokens_per_ip:
        return
    by_ip = store.tokens_since("ip", ip, since)
    clients = {t.client_id for t in by_ip if t.client_id != client_id}
    if len(clients) >= s.tokens_per_ip:
        retry = int(by_ip[0].created_at + s.token_window_s - now) + 1
        raise ApiError(429, f"too many new clients from this address ({s.tokens_per_ip} per "
                       f"{s.token_window_s // 86400} days)", headers={"Retry-After": str(retry)})


def issue_token(store: Store, settings: BackendSettings, client_id: str, ip: str) -> dict[str, Any]:
    """A new anonymous token for ``client_id`` (its user made on first sight), or 429 over a limit."""
    _refuse_over_limits(store, settings, client_id, ip, time.time())
    user_id = store.user_for_client(client_id, settings.credits)
    token = "nmv_usr_" + secrets.token_urlsafe(32)
    expires = store.add_token(token, user_id, client_id, ip, settings.token_ttl_s)
    expires_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(expires))
    return {"token": token, "user_id": user_id, "expires_at": expires_at,
            "credits": store.balance(user_id)["available"]}
