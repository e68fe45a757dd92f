"""An upload request from start to answer: receive (multipart or URLs), probe, register, add to the session."""
from __future__ import annotations

from typing import Any

import anyio
from starlette.requests import Request

from nemo_nb.local import errors, uploads
from nemo_nb.local.backend import Backend
from nemo_nb.local.errors import bad_request
from nemo_nb.local.fetch import fetch_url
from nemo_nb.local.records import Media, Session
from nemo_nb.local.web import read_json

MAX_URLS = 10


async def _receive(b: Backend, request: Request) -> list[uploads.Received]:
    """The request's files written to disk (multipart parts, or downloaded URLs)."""
    limit = b.settings.max_upload_bytes
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return await uploads.receive_multipart(request, b.media, limit)
    body = await read_json(request)
    urls = body.get("urls")
    if not isinstance(urls, list) or not urls or not all(isinstance(u, str) and len(u) < 2048 for u in urls):
        raise bad_request("send files as multipart field 'files', or JSON {\"urls\": [...], "
                          "\"source_type\": \"url\"}")
    if len(urls) > MAX_URLS:
        raise bad_request(f"at most {MAX_URLS} URLs per upload")
    received: list[uploads.Received] = []
    try:
        for url in urls:
            received.append(await fetch_url(url, b.media, limit, allow_private=b.settings.allow_private_urls,
                                            timeout_s=b.settings.url_timeout_s,
                                            allow_hosts=b.settings.url_allow_hosts))
    except BaseException:
        b.media.discard(received)
        raise
    return received


async def _register(b: Backend, received: list[uploads.Received], user_id: str,
                    session: Session) -> list[tuple[Media, dict[str, Any]]]:
    """Probe every file (all must be usable) and make its record and description."""
    from nemo_nb.local.library import inspect
    from nemo_nb.local.media.probe import ProbeError

    described = []
    for item in received:
        try:
            info = await anyio.to_thread.run_sync(inspect, item.path)
        except ProbeError:
            raise uploads.unsupported(item.filename) from None
        media = b.library.record(item, info, user_id, session.id, "upload")
        described.append((media, b.library.describe(media)))
    return described


async def upload(b: Backend, request: Request, user_id: str, session: Session) -> dict[str, Any]:
    """Receive the request's files into ``session``; the answer's body. A failed upload leaves no file."""
    received = await _receive(b, request)
    try:
        described = await _register(b, received, user_id, session)
    except BaseException:
        b.media.discard(received)
        raise
    fresh = b.store.session(session.id, user_id)
    if fresh is None:  # the session went away meanwhile
        b.media.discard(received)
        raise errors.no_session()
    for media, _ in described:
        b.store.add_media(media)
    fresh.state.setdefault("video_infos", []).extend(d for _, d in described)
    b.store.save_state(session.id, fresh.state)
    return {"code": 0, "message": "success",
            "data": {"files": [d for _, d in described], "session_state_applied": True}}
