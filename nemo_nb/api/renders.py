"""Export helpers: render ids, either render-status shape, pending renders kept on disk, saving a download."""
from __future__ import annotations

import json
import secrets
import time
from pathlib import Path
from typing import Any

import httpx

from nemo_nb.api.auth import write_private
from nemo_nb.config import read_json_object


def new_render_id() -> str:
    return f"render_{int(time.time() * 1000)}_{secrets.token_hex(3)}"


def render_status(body: dict[str, Any]) -> dict[str, Any]:
    """Either poll shape (wrapped ``data`` or top-level ``taskId``) → one flat dict."""
    d = body["data"] if isinstance(body.get("data"), dict) else body
    output = d["output"] if isinstance(d.get("output"), dict) else {}
    outputs = output.get("outputs") or d.get("outputs")
    return {"id": d.get("id") or d.get("taskId"), "status": str(d.get("status", "pending")),
            "progress": float(d.get("progress") or 0), "url": d.get("outputUrl") or output.get("url"),
            "duration": output.get("duration", d.get("duration")), "size": output.get("size", d.get("size")),
            "error": d.get("error"), "outputs": outputs if isinstance(outputs, dict) else {}}


class PendingRenders:
    """Render ids started per session, kept on disk (0600) so an export survives a kernel restart."""

    def __init__(self, directory: Path):
        self.path = directory / "pending_renders.json"

    def _load(self) -> dict[str, Any]:
        return read_json_object(self.path)

    def get(self, session_id: str) -> dict[str, Any] | None:
        entry = self._load().get(session_id)
        return entry if isinstance(entry, dict) else None

    def put(self, session_id: str, render_id: str, path: Path) -> None:
        data = self._load()
        data[session_id] = {"render_id": render_id, "path": str(path), "started": time.time()}
        self._save(data)

    def clear(self, session_id: str) -> None:
        data = self._load()
        if data.pop(session_id, None) is not None:
            self._save(data)

    def _save(self, data: dict[str, Any]) -> None:
        write_private(self.path, json.dumps(data))


async def save(response: httpx.Response, part: Path) -> int:
    """Stream a response body into ``part``; the number of bytes written."""
    size = 0
    with part.open("wb") as out:
        async for chunk in response.aiter_bytes(1 << 20):
            out.write(chunk)
            size += len(chunk)
    return size
