"""Restart persistence and crash recovery of the embedded backend, over HTTP, on one data directory.

A first backend makes a token, a session, an upload, a turn (spending a credit), a claim and a completed
render; a second backend on the same directory must serve all of it with the same token. Rows left
``processing`` / ``running`` by a crash come back failed / interrupted, with frozen credits released.
Tokens are stored hashed: the raw token is in no file under the data directory.
"""
from __future__ import annotations

import hashlib
import time
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from nemo_nb.config import skill_profile
from nemo_nb.local.media.probe import probe
from nemo_nb.local.server import LocalBackend
from nemo_nb.local.store import Store


class Client:
    """Plain HTTP with a token (like tests/conftest.py's RawApi, but the token survives a new base URL)."""

    def __init__(self, url: str, token: str | None = None, client_id: str | None = None):
        self.http = httpx.Client(base_url=url, timeout=60)
        self.token = token
        self.client_id = client_id or str(uuid.uuid4())

    def close(self) -> None:
        self.http.close()

    def login(self) -> dict[str, Any]:
        r = self.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": self.client_id})
        assert r.status_code == 200, r.status_code
        data = r.json()["data"]
        self.token = data["token"]
        return data

    def call(self, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}", **skill_profile("ai-voiceover-for").headers(),
                   **kw.pop("headers", {})}
        return self.http.request(method, path, headers=headers, **kw)

    def data(self, method: str, path: str, **kw: Any) -> Any:
        r = self.call(method, path, **kw)
        assert r.status_code == 200, (r.status_code, r.text[:300])
        body = r.json()
        return body.get("data", body)

    def state(self, sid: str) -> dict[str, Any]:
        return self.data("GET", f"/api/state/nemo_agent/me/{sid}/latest")

    def credits(self) -> dict[str, int]:
        return self.data("GET", "/api/credits/balance/simple")

    def sse(self, sid: str, text: str, key: str | None = None) -> list[dict[str, Any]]:
        import json

        body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
                "new_message": {"parts": [{"text": text}]}}
        headers = {"Idempotency-Key": key} if key else {}
        events = []
        with self.http.stream("POST", "/run_sse", json=body, timeout=None, headers={
                "Authorization": f"Bearer {self.token}", **headers}) as r:
            assert r.status_code == 200, r.read()[:300]
            for line in r.iter_lines():
                if line.startswith("data:") and line[5:].strip():
                    events.append(json.loads(line[5:]))
        return events

    def wait_render(self, render_id: str, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            data = self.data("GET", f"/api/render/proxy/lambda/{render_id}")
            if data["status"] in ("completed", "failed"):
                return data
            time.sleep(0.1)
        raise TimeoutError(render_id)


def base(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def strip_origin(value: Any, origin: str) -> Any:
    """The state with this run's origin taken out of its file URLs, to compare two runs."""
    if isinstance(value, str):
        return value.replace(origin, "<origin>")
    if isinstance(value, list):
        return [strip_origin(v, origin) for v in value]
    if isinstance(value, dict):
        return {k: strip_origin(v, origin) for k, v in value.items()}
    return value


def assert_no_secret(root: Path, *secrets: str) -> None:
    """No file under ``root`` (the SQLite database, its WAL, media, renders) holds a raw secret.
    Computed into booleans first, so a failure never prints the secret itself."""
    files = [p for p in sorted(root.rglob("*")) if p.is_file()]
    assert any(p.name.startswith("nemo.sqlite3") for p in files)
    for path in files:
        content = path.read_bytes()
        leaked = [i for i, secret in enumerate(secrets) if secret.encode() in content]
        assert not leaked, f"secret #{leaked} stored in clear in {path.relative_to(root)}"


@pytest.mark.slow
def test_everything_survives_a_restart(tmp_path: Path, clip: Path) -> None:
    data_dir = tmp_path / "data"
    key = f"turn-{uuid.uuid4()}"

    # -- first run ------------------------------------------------------------------------------------
    with LocalBackend(data_dir, heartbeat_s=0.2) as first:
        c = Client(first.url)
        try:
            identity = c.login()
            token = c.token
            session = c.data("POST", "/api/tasks/me/with-session/nemo_agent",
                             json={"task_name": "persist", "language": "en"})
            sid = session["session_id"]
            with clip.open("rb") as f:
                upload = c.data("POST", f"/api/upload-video/nemo_agent/me/{sid}",
                                files=[("files", ("clip.mp4", f, "video/mp4"))])
            media = upload["files"][0]
            events = c.sse(sid, "add my clip to the timeline", key=key)
            assert any(e.get("type") == "tool_result" for e in events)
            credits_before = c.credits()
            assert credits_before == {"available": 99, "frozen": 0, "total": 99}
            state_before = c.state(sid)
            assert state_before["state"]["draft"]["t"][0]["sg"][0]["src"] == media["media_id"]
            claim = c.data("POST", "/api/auth/claim-token", json={"task_id": session["task_id"], "session_id": sid})
            render_id = f"render_{int(time.time() * 1000)}"
            c.data("POST", "/api/render/proxy/lambda",
                   json={"id": render_id, "sessionId": sid, "draft": state_before["state"]["draft"],
                         "output": {"format": "mp4", "quality": "high"}})
            render_before = c.wait_render(render_id)
            assert render_before["status"] == "completed", render_before
            video = c.call("GET", f"/api/render/proxy/{render_id}/download").content
            assert probe_bytes(tmp_path / "before.mp4", video).has_video
            # while running (WAL and all), the raw secrets are in no file under the data dir
            assert_no_secret(data_dir, token, claim["claim_token"])
            old_origin = base(first.url)
        finally:
            c.close()

    assert_no_secret(data_dir, token, claim["claim_token"])
    store = Store(data_dir / "nemo.sqlite3")
    try:
        rows = [dict(r) for r in store._all("SELECT hash, user_id FROM tokens")]
    finally:
        store.close()
    assert len(rows) == 1 and len(rows[0]["hash"]) == 64
    hashed = rows[0]["hash"] == hashlib.sha256(token.encode()).hexdigest()
    assert hashed, "the tokens table does not hold the token's SHA-256"

    # -- second run: a new server on the same data dir, the same token ----------------------------------
    with LocalBackend(data_dir, heartbeat_s=0.2) as second:
        c = Client(second.url, token=token, client_id=c.client_id)
        try:
            assert c.credits() == credits_before
            state_after = c.state(sid)
            new_origin = base(second.url)
            assert strip_origin(state_after, new_origin) == strip_origin(state_before, old_origin)
            assert state_after["state"]["video_infos"][0]["media_id"] == media["media_id"]
            # the stored file URLs point at this run, and serve the upload
            cdn_url = state_after["state"]["video_infos"][0]["cdn_url"]
            assert cdn_url.startswith(new_origin + "/files/")
            assert httpx.get(cdn_url).content == clip.read_bytes()
            segment_url = state_after["state"]["draft"]["t"][0]["sg"][0]["url"]
            assert segment_url == cdn_url
            # the turn is remembered: the same Idempotency-Key is not run (or charged) twice
            r = c.call("POST", "/run_sse", headers={"Idempotency-Key": key},
                       json={"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
                             "new_message": {"parts": [{"text": "add my clip to the timeline"}]}})
            assert r.status_code == 409 and r.json()["code"] == 4030, r.text
            assert c.credits() == credits_before
            # the completed render: status, download, output URL
            render_after = c.wait_render(render_id, timeout=5)
            assert render_after["status"] == "completed" and render_after["progress"] == 100
            for field in ("id", "createdAt", "completedAt", "size", "duration"):
                assert render_after[field] == render_before[field], field
            assert render_after["outputUrl"].startswith(new_origin + "/files/")
            assert c.call("GET", f"/api/render/proxy/{render_id}/download").content == video
            assert httpx.get(render_after["outputUrl"]).content == video
            # the claim link still works; the user is the same
            page = httpx.get(f"{new_origin}/workspace/claim", params={"ct": claim["claim_token"]})
            assert page.status_code == 200 and sid in page.text
            again = c.data("POST", "/api/tasks/me/with-session/nemo_agent", json={})
            assert again["user_id"] == identity["user_id"]
            # the client id still holds its live token: no second one
            r = c.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": c.client_id})
            assert r.status_code == 429 and "Retry-After" in r.headers
            # and the session keeps working after the restart
            events = c.sse(sid, "what can you do?")
            assert any(e.get("type") == "text" for e in events)
        finally:
            c.close()

    store = Store(data_dir / "nemo.sqlite3")
    try:
        turns = store.turns(sid)
    finally:
        store.close()
    assert [t.status for t in turns] == ["done", "done"]
    assert turns[0].idempotency_key == key and turns[0].cost == 1 and "clip.mp4" in turns[0].text
    assert turns[0].message == "add my clip to the timeline"


def probe_bytes(path: Path, content: bytes):
    path.write_bytes(content)
    return probe(path)


@pytest.mark.slow
def test_crash_recovery(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with LocalBackend(data_dir) as first:
        c = Client(first.url)
        try:
            user_id = c.login()["user_id"]
            sid = c.data("POST", "/api/tasks/me/with-session/nemo_agent", json={})["session_id"]
            token = c.token
        finally:
            c.close()

    # while it is stopped, leave the rows a crash would: renders mid-way, a turn running with credits frozen
    draft = {"t": [{"tt": 0, "sg": [{"id": "s", "src": "med_x", "st": 0, "d": 1000}]}], "m": {}}
    store = Store(data_dir / "nemo.sqlite3")
    try:
        crashed = store.add_render("render_crashed", user_id, sid, draft, {"format": "mp4"})
        assert crashed is not None
        store.update_render(crashed.key, status="processing", progress=42.0, started_at=time.time())
        assert store.add_render("render_queued", user_id, sid, draft, {"format": "mp4"})
        turn_id = store.start_turn(sid, "add my clip", None)
        assert turn_id and store.hold(user_id, 5, turn_id)
        assert store.balance(user_id) == {"available": 95, "frozen": 5, "total": 100}
    finally:
        store.close()

    with LocalBackend(data_dir) as second:
        c = Client(second.url, token=token)
        try:
            for rid in ("render_crashed", "render_queued"):
                data = c.data("GET", f"/api/render/proxy/lambda/{rid}")
                assert data["status"] == "failed", data
                assert "stopped before" in data["error"] and "again" in data["error"], data["error"]
                assert data["completedAt"] and not data["outputUrl"]
                r = c.call("GET", f"/api/render/proxy/{rid}/download")
                assert r.status_code == 409 and r.json()["code"] == 4010
                r = c.call("POST", f"/api/render/proxy/lambda/{rid}/cancel")
                assert r.status_code == 409 and r.json()["code"] == 4031
            # the frozen credits of the interrupted turn are released, nothing charged
            assert c.credits() == {"available": 100, "frozen": 0, "total": 100}
            # the session is not stuck behind the interrupted turn
            events = c.sse(sid, "hello")
            assert any(e.get("type") == "text" for e in events)
            # the crashed render's id stays taken
            r = c.call("POST", "/api/render/proxy/lambda",
                       json={"id": "render_crashed", "sessionId": sid, "draft": draft})
            assert r.status_code == 409 and r.json()["code"] == 4009
        finally:
            c.close()

    store = Store(data_dir / "nemo.sqlite3")
    try:
        statuses = {t.id: t.status for t in store.turns(sid)}
    finally:
        store.close()
    assert statuses[turn_id] == "interrupted"
