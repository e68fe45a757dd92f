"""kill -9 of the backend leaves nothing running (issue 12, item 5): its ffmpeg and its speech worker die
with it, and a restarted backend is not raced by an orphan still writing its files."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from _procs import command, descendants, has_proc, wait_gone
from _server import embedded_server
from rawapi import RawApi

pytestmark = pytest.mark.skipif(not has_proc(), reason="reads the process tree from /proc")


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return value


def children_named(pid: int, name: str) -> list[int]:
    return [p for p in descendants(pid) if name in command(p)]


@pytest.mark.slow
def test_kill_9_leaves_no_ffmpeg_or_speech_worker(tmp_path: Path):
    data = str(tmp_path / "data")
    with embedded_server(data) as (url, server):
        api = RawApi(url)
        api.login()
        sid = api.session()
        draft = {"t": [{"tt": 7, "sg": [{"st": 0, "d": 600_000, "tx": "Long"}]}],
                 "m": {"canvas": {"w": 1280, "h": 720}}}
        assert api.render(sid, "long", draft).status_code == 200
        wait_for(lambda: children_named(server.pid, "ffmpeg"), 20, "the render's ffmpeg")
        wait_for(lambda: children_named(server.pid, "tts_worker"), 20, "the speech worker")
        below = descendants(server.pid)
        api.close()
        os.kill(server.pid, signal.SIGKILL)
        server.wait()
        survivors = wait_gone(below, timeout=2.0)
        assert survivors == [], [command(p) for p in survivors]
    with embedded_server(data) as (url, server):  # the restart removes the render's folder: nobody rewrites it
        api = RawApi(url)
        assert api.http.get("/").status_code == 200  # started: leftovers swept
        time.sleep(1.0)
        assert list((Path(data) / "renders").iterdir()) == []  # the render's folder is gone and stays gone
        api.close()
