"""Offline credits on the embedded backend: adding them (our extension ``POST /api/local/credits/add``,
docs/protocol.md) and telling whether a client talks to the embedded backend at all."""
from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

from nemo_nb.api import errors
from nemo_nb.api.models import Credits

if TYPE_CHECKING:  # pragma: no cover
    from nemo_nb.api.client import AsyncNemo

EMBEDDED_NAME = "nemo-nb embedded backend"   # what the embedded backend's ``GET /`` calls itself
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1", "[::1]")


async def is_embedded(nemo: AsyncNemo) -> bool:
    """True for a backend this client started, or a ``nemo-nb serve`` on this machine (asked once, on
    loopback only: the cloud is never probed)."""
    if nemo.backend is not None:
        return True
    if nemo._embedded is None:
        nemo._embedded = False
        if httpx.URL(nemo.api_url).host in LOOPBACK_HOSTS:
            try:
                body = await nemo.transport.call("GET", "/")
            except errors.NemoError:
                return False
            data = body.get("data")
            nemo._embedded = isinstance(data, dict) and data.get("name") == EMBEDDED_NAME
    return nemo._embedded


async def add_credits(nemo: AsyncNemo, credits: int) -> Credits:
    """Add ``credits`` to this user's offline balance; the new balance. The cloud sells credits, so
    there this raises ``EmbeddedOnly`` with the registration link, and nothing is sent."""
    if type(credits) is not int or credits < 1:
        raise ValueError("credits to add must be a whole number, 1 or more")
    if not await is_embedded(nemo):
        raise errors.EmbeddedOnly(
            f"Only the embedded backend can add credits; on the cloud, register or top up: {nemo.registration_url()}")
    body = await nemo.transport.call("POST", "/api/local/credits/add", json={"credits": credits})
    return Credits.from_data(body.get("data") or {})
