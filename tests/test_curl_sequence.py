"""The seed documents' curl sequence, run with the real curl binary against the embedded backend.

anonymous token → session → upload (``-F files=@clip.mp4``) → ``/run_sse`` (``-N``) → credits → state →
render (draft from the state) → poll → download (``-o out.mp4``) → probe the MP4, and fetch ``outputUrl``.

The token never appears on a command line or in any output: curl reads the Authorization and attribution
headers from a 0600 header file (``-H @file``), and no assertion message includes it.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from nemo_nb.config import skill_profile
from nemo_nb.local.media.probe import probe
from nemo_nb.local.server import LocalBackend

CURL = shutil.which("curl") or ("/usr/bin/curl" if Path("/usr/bin/curl").exists() else None)
pytestmark = pytest.mark.skipif(CURL is None, reason="curl is not installed")


class Curl:
    """Runs curl in a working folder, with the auth headers from a private header file."""

    def __init__(self, base: str, cwd: Path):
        self.base = base
        self.cwd = cwd
        self.header_file = cwd / "headers.txt"
        self.secret = ""  # the token, only to check it never leaks into output

    def set_token(self, token: str) -> None:
        self.secret = token
        lines = [f"Authorization: Bearer {token}"]
        lines += [f"{k}: {v}" for k, v in skill_profile("ai-voice-over-generator").headers().items()]
        fd = os.open(self.header_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join(lines) + "\n")

    def run(self, *args: str, auth: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [CURL, "--silent", "--show-error", "--noproxy", "*", "--max-time", str(int(timeout))]
        if auth:
            cmd += ["-H", f"@{self.header_file}"]
        done = subprocess.run([*cmd, *args], cwd=self.cwd, capture_output=True, timeout=timeout + 10)
        out = done.stdout + done.stderr
        # (booleans first: a failing assert must not print the token either)
        leaked = bool(self.secret) and self.secret.encode() in out
        assert not leaked, "the token appeared in curl's output"
        on_command_line = bool(self.secret) and any(self.secret in a for a in cmd + list(args))
        assert not on_command_line, "the token was put on a command line"
        return done

    def json(self, *args: str, status: int = 200, **kw: Any) -> dict[str, Any]:
        """Run curl, check the HTTP status (from ``-w``) and return the JSON body."""
        done = self.run("-w", "\n%{http_code}", *args, **kw)
        assert done.returncode == 0, done.stderr.decode(errors="replace")
        body, _, code = done.stdout.decode().rpartition("\n")
        assert int(code) == status, (code, body[:500])
        return json.loads(body)

    def url(self, path: str) -> str:
        return self.base + path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    with LocalBackend(tmp_path_factory.mktemp("curl-backend"), heartbeat_s=0.2) as b:
        yield b


@pytest.mark.slow
def test_seed_curl_sequence(server: LocalBackend, clip: Path, tmp_path: Path) -> None:
    shutil.copy(clip, tmp_path / "clip.mp4")
    clip_info = probe(clip)
    c = Curl(server.url, tmp_path)

    # 1. anonymous token (no auth yet), header X-Client-Id, no body
    answer = c.json("-X", "POST", c.url("/api/auth/anonymous-token"), "-H", f"X-Client-Id: {uuid.uuid4()}",
                    auth=False)
    assert answer["code"] == 0
    data = answer["data"]
    token = data["token"]
    well_formed = token.startswith("nmv_usr_") and len(token) > 20
    assert well_formed, "the token does not look like nmv_usr_…"
    assert data["user_id"].startswith("anon_") and data["credits"] == 100
    assert data["expires_at"].endswith("Z")
    c.set_token(token)
    del token, answer, data

    # without X-Client-Id: HTTP 400
    c.json("-X", "POST", c.url("/api/auth/anonymous-token"), auth=False, status=400)

    # 2. session
    answer = c.json("-X", "POST", c.url("/api/tasks/me/with-session/nemo_agent"),
                    "-H", "Content-Type: application/json", "-d", '{"task_name":"project","language":"en"}')
    sid = answer["data"]["session_id"]
    assert sid.isdigit() and answer["data"]["task_id"]

    # 3. upload, exactly as the seed writes it
    answer = c.json("-X", "POST", c.url(f"/api/upload-video/nemo_agent/me/{sid}"), "-F", "files=@clip.mp4")
    files = answer["data"]["files"]
    assert answer["data"]["session_state_applied"] is True
    assert len(files) == 1 and files[0]["filename"] == "clip.mp4" and files[0]["file_type"] == "video"
    assert abs(files[0]["duration"] - clip_info.duration_s) < 0.1
    assert (files[0]["width"], files[0]["height"]) == (320, 240)

    # 4. the agent, streamed (-N), with Accept: text/event-stream
    (tmp_path / "message.json").write_text(json.dumps({
        "app_name": "nemo_agent", "user_id": "me", "session_id": sid,
        "new_message": {"parts": [{"text": "add my clip to the timeline"}]}}))
    done = c.run("-N", "-X", "POST", c.url("/run_sse"), "-H", "Accept: text/event-stream",
                 "-H", "Content-Type: application/json", "-d", "@message.json", "-D", "sse-headers.txt")
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    head = (tmp_path / "sse-headers.txt").read_text().lower()
    assert " 200" in head.splitlines()[0] and "content-type: text/event-stream" in head
    events = []
    for line in done.stdout.decode().splitlines():
        if line.startswith("data:"):
            payload = line[5:].strip()
            if payload:
                events.append(json.loads(payload))
    kinds = [e.get("type") for e in events]
    assert "text" in kinds and "tool_call" in kinds and "tool_result" in kinds, kinds
    assert not any("error" in e for e in events), events
    text = "".join(e["content"] for e in events if e.get("type") == "text")
    assert "clip.mp4" in text

    # 5. credits: the edit cost one credit, nothing frozen once the turn is over
    credits = c.json(c.url("/api/credits/balance/simple"))["data"]
    assert credits == {"available": 99, "frozen": 0, "total": 99}

    # 6. state: the clip is on the video track
    state = c.json(c.url(f"/api/state/nemo_agent/me/{sid}/latest"))["data"]
    assert state["session_id"] == sid
    draft = state["state"]["draft"]
    segments = [s for t in draft["t"] for s in t["sg"]]
    assert len(segments) == 1 and segments[0]["src"] == files[0]["media_id"]
    assert [v["media_id"] for v in state["state"]["video_infos"]] == [files[0]["media_id"]]

    # 7. export with the draft taken from the state
    render_id = f"render_{int(time.time() * 1000)}"
    (tmp_path / "render.json").write_text(json.dumps({
        "id": render_id, "sessionId": sid, "draft": draft, "output": {"format": "mp4", "quality": "high"}}))
    answer = c.json("-X", "POST", c.url("/api/render/proxy/lambda"), "-H", "Content-Type: application/json",
                    "-d", "@render.json")
    assert answer["success"] is True and answer["data"]["id"] == render_id
    assert answer["data"]["status"] == "pending"

    # 8. poll until completed
    deadline = time.monotonic() + 120
    seen = []
    while True:
        status = c.json(c.url(f"/api/render/proxy/lambda/{render_id}"))["data"]
        seen.append(status["status"])
        assert 0 <= status["progress"] <= 100
        if status["status"] in ("completed", "failed"):
            break
        assert time.monotonic() < deadline, "the render did not finish in 120 s"
        time.sleep(0.2)
    assert status["status"] == "completed", status
    assert status["progress"] == 100 and status["outputUrl"] and status["completedAt"]
    assert set(seen) <= {"pending", "processing", "completed"}

    # 9. download (-o out.mp4) and look inside
    done = c.run("-f", "-o", "out.mp4", "-D", "download-headers.txt",
                 c.url(f"/api/render/proxy/{render_id}/download"))
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert "content-type: video/mp4" in (tmp_path / "download-headers.txt").read_text().lower()
    out = tmp_path / "out.mp4"
    info = probe(out)
    assert info.has_video and info.has_audio
    assert info.video_codec == "h264", info
    assert abs(info.duration_s - clip_info.duration_s) < 0.25, (info.duration_s, clip_info.duration_s)
    assert info.width > 0 and info.height > 0 and info.width % 2 == 0 and info.height % 2 == 0
    assert out.stat().st_size == status["size"]

    # 10. the outputUrl serves the same file (no token needed: it is a capability URL)
    done = c.run("-f", "-o", "via-url.mp4", status["outputUrl"], auth=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")
    assert (tmp_path / "via-url.mp4").read_bytes() == out.read_bytes()

    # nothing the sequence wrote to disk holds the token, except the private header file
    for path in tmp_path.rglob("*"):
        if path.is_file() and path != c.header_file:
            leaked = c.secret.encode() in path.read_bytes()
            assert not leaked, f"the token is in {path.name}"
    assert (c.header_file.stat().st_mode & 0o077) == 0
