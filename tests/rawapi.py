"""Plain HTTP calls to the embedded backend, for protocol tests (the real client is ``nemo_nb.api``)."""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from nemo_nb.config import skill_profile


class RawApi:
    """Plain HTTP calls to the backend for protocol tests (the real client is ``nemo_nb.api``)."""

    def __init__(self, url: str):
        self.url = url
        # trust_env=False: loopback needs no proxy settings, and reading os.environ while pytest rewrites
        # PYTEST_CURRENT_TEST from another thread (the corpus runs cases in threads) can raise KeyError
        self.http = httpx.Client(base_url=url, timeout=60, trust_env=False)
        self.token: str | None = None
        self.client_id = str(uuid.uuid4())

    def close(self) -> None:
        self.http.close()

    def headers(self, attribution: bool = True) -> dict[str, str]:
        h = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if attribution:
            h.update(skill_profile("ai-voiceover-for").headers())
        return h

    def login(self) -> dict[str, Any]:
        r = self.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": self.client_id})
        assert r.status_code == 200, r.text
        data = r.json()["data"]
        self.token = data["token"]
        return data

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {**self.headers(), **kw.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kw)

    def session(self, language: str = "en") -> str:
        r = self.call("POST", "/api/tasks/me/with-session/nemo_agent",
                      json={"task_name": "project", "language": language})
        assert r.status_code == 200, r.text
        return r.json()["data"]["session_id"]

    def upload(self, sid: str, *paths: Path, **kw: Any) -> httpx.Response:
        files = [("files", (p.name, p.open("rb"), "application/octet-stream")) for p in paths]
        try:
            return self.call("POST", f"/api/upload-video/nemo_agent/me/{sid}", files=files, **kw)
        finally:
            for _, (_, f, _) in files:
                f.close()

    def sse(self, sid: str, text: str, **kw: Any) -> list[Any]:
        """Send a message; the parsed ``data:`` payloads (None for empty ones)."""
        body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
                "new_message": {"parts": [{"text": text}]}}
        events: list[Any] = []
        with self.http.stream("POST", "/run_sse", json=body, headers={**self.headers(), **kw.pop("headers", {})},
                              timeout=None) as r:
            assert r.status_code == 200, r.read()
            for line in r.iter_lines():
                if line.startswith("data:"):
                    payload = line[5:].strip()
                    events.append(json.loads(payload) if payload else None)
        return events

    def state(self, sid: str) -> dict[str, Any]:
        r = self.call("GET", f"/api/state/nemo_agent/me/{sid}/latest")
        assert r.status_code == 200, r.text
        return r.json()["data"]

    def render(self, sid: str, render_id: str, draft: dict[str, Any] | None = None, **kw: Any) -> httpx.Response:
        draft = draft if draft is not None else self.state(sid)["state"]["draft"]
        return self.call("POST", "/api/render/proxy/lambda",
                         json={"id": render_id, "sessionId": sid, "draft": draft,
                               "output": {"format": "mp4", "quality": "high"}}, **kw)

    def wait_render(self, render_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            r = self.call("GET", f"/api/render/proxy/lambda/{render_id}")
            assert r.status_code == 200, r.text
            body = r.json()
            data = body.get("data", body)
            if data["status"] in ("completed", "failed"):
                return body
            time.sleep(0.1)
        raise TimeoutError(render_id)
