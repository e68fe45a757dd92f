"""Renders are shared fairly (issue 12, item 4): a pool sized to the machine, round-robin between users,
one render at a time per session, and renders too long or too large refused when they are submitted."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from rawapi import RawApi

from nemo_nb.local.render_pool import FairQueue, QueuedRender
from nemo_nb.local.server import LocalBackend
from nemo_nb.local.settings import default_render_workers


def job(key: str, user: str, session: str | None = None) -> QueuedRender:
    return QueuedRender(key, user, session or f"{user}-{key}")


def drain(queue: FairQueue) -> list[str]:
    """The order renders start in when each finishes before the next starts."""
    order = []
    while (j := queue.take()) is not None:
        order.append(j.key)
        queue.finished(j)
    return order


# -- the queue on its own ------------------------------------------------------------------------------------

def test_users_take_turns_whoever_queued_more():
    queue = FairQueue(per_user=1)
    for i in range(5):
        queue.add(job(f"a{i}", "alice"))
    queue.add(job("b0", "bob"))
    queue.add(job("b1", "bob"))
    queue.add(job("c0", "carol"))
    assert drain(queue) == ["a0", "b0", "c0", "a1", "b1", "a2", "a3", "a4"]


def test_a_session_runs_its_renders_one_at_a_time_in_order():
    queue = FairQueue(per_user=4)
    for key in ("s1", "s2", "s3"):
        queue.add(job(key, "alice", "session-1"))
    queue.add(job("t1", "alice", "session-2"))
    first, second = queue.take(), queue.take()
    assert (first.key, second.key) == ("s1", "t1")
    assert queue.take() is None  # s2 waits for s1 although alice has slots left
    queue.finished(first)
    assert queue.take().key == "s2"


def test_one_user_cannot_hold_every_slot():
    queue = FairQueue(per_user=1)
    queue.add(job("a0", "alice"))
    queue.add(job("a1", "alice"))
    assert queue.take().key == "a0"
    assert queue.take() is None  # a second slot stays free for someone else
    queue.add(job("b0", "bob"))
    assert queue.take().key == "b0"


def test_a_cancelled_render_leaves_the_queue():
    queue = FairQueue(per_user=1)
    queue.add(job("a0", "alice"))
    queue.add(job("a1", "alice"))
    assert queue.remove("a0") and not queue.remove("a0") and len(queue) == 1
    assert drain(queue) == ["a1"]


def test_the_pool_has_room_for_two_users_at_least():
    assert default_render_workers() >= 2


# -- through HTTP --------------------------------------------------------------------------------------------

def title_draft(seconds: float, width: int = 640, height: int = 360) -> dict[str, Any]:
    return {"t": [{"tt": 7, "sg": [{"st": 0, "d": int(seconds * 1000), "tx": "Fair"}]}],
            "m": {"canvas": {"w": width, "h": height}}}


def status(api: RawApi, render_id: str) -> str:
    return api.call("GET", f"/api/render/proxy/lambda/{render_id}").json()["data"]["status"]


@pytest.mark.slow
def test_a_long_render_and_a_queue_of_them_do_not_starve_another_user(tmp_path: Path):
    with LocalBackend(tmp_path / "data", tokens_per_ip=10_000, render_workers=2) as b:
        alice, bob = RawApi(b.url), RawApi(b.url)
        alice.login()
        bob.login()
        long_ids = [f"alice_{i}" for i in range(3)]
        for render_id in long_ids:  # three long renders, each in its own session
            assert alice.render(alice.session(), render_id, title_draft(240, 1280, 720)).status_code == 200
        assert bob.render(bob.session(), "bob_short", title_draft(1)).status_code == 200
        done = bob.wait_render("bob_short", timeout=60)["data"]
        assert done["status"] == "completed", done
        states = [status(alice, r) for r in long_ids]
        assert states == ["processing", "pending", "pending"], states  # alice holds one slot only
        for render_id in long_ids:
            alice.call("POST", f"/api/render/proxy/lambda/{render_id}/cancel")
        alice.close()
        bob.close()


@pytest.mark.slow
def test_a_session_keeps_one_active_render(api: RawApi):
    sid = api.session()
    assert api.render(sid, "seq_1", title_draft(120, 1280, 720)).status_code == 200
    assert api.render(sid, "seq_2", title_draft(1)).status_code == 200
    deadline = time.monotonic() + 10
    while status(api, "seq_1") != "processing":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    assert status(api, "seq_2") == "pending"
    api.call("POST", "/api/render/proxy/lambda/seq_1/cancel")
    assert api.wait_render("seq_2", timeout=60)["data"]["status"] == "completed"


# -- refused at submit -------------------------------------------------------------------------------------

@pytest.mark.parametrize(("seconds", "width", "height", "limit"), [
    (4 * 3600, 3840, 2160, "at most 1:00:00 of output"),   # the title-only 4-hour 4K draft
    (2 * 3600, 640, 360, "at most 1:00:00 of output"),     # long, small
    (20 * 60, 3840, 2160, "15:00 of 4K"),                   # short enough, but too many pixels
])
def test_a_render_too_long_or_too_large_is_refused_at_submit(api: RawApi, seconds: int, width: int, height: int,
                                                            limit: str):
    sid = api.session()
    started = time.monotonic()
    r = api.render(sid, f"huge_{seconds}_{width}", title_draft(seconds, width, height))
    assert time.monotonic() - started < 1.0
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == 4006 and body["success"] is False
    assert limit in body["message"] and f"{width}x{height}" in body["message"]
    assert body["data"]["duration_s"] == seconds
    unknown = api.call("GET", f"/api/render/proxy/lambda/huge_{seconds}_{width}")
    assert unknown.status_code == 404  # nothing was queued


def test_limits_are_settings(tmp_path: Path):
    with LocalBackend(tmp_path / "data", max_render_s=2) as b:
        api = RawApi(b.url)
        api.login()
        sid = api.session()
        assert api.render(sid, "three", title_draft(3)).json()["code"] == 4006
        assert api.render(sid, "two", title_draft(2)).status_code == 200
        assert api.wait_render("two")["data"]["status"] == "completed"
        api.close()
