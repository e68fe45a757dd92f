"""Fault injection: each switch produces the failure the client must recover from, and only it."""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from rawapi import RawApi

from nemo_nb.local.server import LocalBackend
from nemo_nb.local.settings import Faults


@contextmanager
def faulty(tmp_path, *faults: str, **options) -> Iterator[RawApi]:
    """A backend with these faults switched on, and a raw API client for it."""
    with LocalBackend(tmp_path, faults=list(faults), heartbeat_s=0.1, **options) as b:
        api = RawApi(b.url)
        try:
            yield api
        finally:
            api.close()


def session_with(api: RawApi, clip) -> str:
    """Log in, make a session and upload ``clip`` (when given)."""
    api.login()
    sid = api.session()
    if clip is not None:
        api.upload(sid, clip)
    return sid


def test_faults_are_off_by_default():
    assert Faults() == Faults.parse([])
    with pytest.raises(ValueError, match="unknown fault"):
        Faults.parse(["explode"])


def test_rate_limit_once(tmp_path):
    with faulty(tmp_path, "rate_limit_once") as api:
        r = api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": api.client_id})
        assert r.status_code == 429 and r.headers["Retry-After"] == "1" and r.json()["code"] == 429
        assert api.login()["token"]


def test_expire_token_after_n_requests_then_refresh_same_user(tmp_path):
    with faulty(tmp_path, "expire_token_after=3") as api:
        user = api.login()["user_id"]
        for _ in range(3):
            assert api.call("GET", "/api/credits/balance/simple").status_code == 200
        r = api.call("GET", "/api/credits/balance/simple")
        assert r.status_code == 401 and r.json()["code"] == 1001
        again = api.login()  # same client id: allowed, because the old token is dead
        assert again["user_id"] == user
        assert api.call("GET", "/api/credits/balance/simple").status_code == 200


def test_drop_sse_after_n_events_but_the_edit_lands(tmp_path, clip):
    with faulty(tmp_path, "drop_sse_after=2") as api:
        sid = session_with(api, clip)
        with pytest.raises(httpx.RemoteProtocolError):
            api.sse(sid, "add my clip to the timeline")
        deadline = time.monotonic() + 10
        while not api.state(sid)["state"]["draft"]["t"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert api.state(sid)["state"]["draft"]["t"][0]["sg"]


def test_silent_edit_has_tool_events_but_no_text(tmp_path, clip):
    with faulty(tmp_path, "silent") as api:
        sid = session_with(api, clip)
        events = [e for e in api.sse(sid, "add my clip to the timeline") if e]
        kinds = {e["type"] for e in events}
        assert "text" not in kinds and {"tool_call", "tool_result"} <= kinds
        assert api.state(sid)["state"]["draft"]["t"][0]["sg"]


@pytest.mark.slow
def test_heartbeats_only_for_a_while(tmp_path):
    with faulty(tmp_path, "heartbeats_only=0.6") as api:
        sid = session_with(api, None)
        t0 = time.monotonic()
        events = api.sse(sid, "hello")
        assert time.monotonic() - t0 >= 0.6
        first_text = next(i for i, e in enumerate(events) if e and e.get("type") == "text")
        assert first_text >= 3 and all(e in (None, {"type": "heartbeat"}) for e in events[:first_text])


@pytest.mark.slow
def test_render_fails_once(tmp_path, clip):
    with faulty(tmp_path, "render_fail_once") as api:
        sid = session_with(api, clip)
        api.sse(sid, "add my clip")
        api.render(sid, "render_a")
        failed = api.wait_render("render_a")["data"]
        assert failed["status"] == "failed" and "fails once" in failed["error"]
        api.render(sid, "render_b")
        assert api.wait_render("render_b")["data"]["status"] == "completed"


def test_session_lost_once(tmp_path):
    with faulty(tmp_path, "session_lost_once") as api:
        sid = session_with(api, None)
        r = api.call("GET", f"/api/state/nemo_agent/me/{sid}/latest")
        assert r.status_code == 404 and r.json()["code"] == 1002
        assert api.call("GET", f"/api/state/nemo_agent/me/{sid}/latest").json()["code"] == 1002  # really gone
        fresh = api.session()
        assert api.state(fresh)["session_id"] == fresh
