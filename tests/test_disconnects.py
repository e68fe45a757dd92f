"""A client that hangs up mid-stream: the turn still finishes, and the server stops writing to it at once."""
from __future__ import annotations

import logging
import time

import pytest
from rawapi import RawApi


@pytest.mark.slow
def test_a_dropped_stream_is_not_written_to_and_its_turn_lands(api: RawApi, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.WARNING, logger="asyncio")
    sid = api.session()
    body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
            "new_message": {"parts": [{"text": "make it look better"}]}}  # a long reply: a burst of events
    with api.http.stream("POST", "/run_sse", json=body, headers=api.headers()) as r:
        assert r.status_code == 200
        next(r.iter_lines())
    deadline = time.monotonic() + 10
    while (answer := api.call("GET", "/api/credits/balance/simple").json()["data"])["frozen"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    writes_to_closed = [r for r in caplog.records if "socket.send() raised" in r.getMessage()]
    assert writes_to_closed == []
    assert answer["available"] == 100
    assert "Here is what I can do" in "".join(e["content"] for e in api.sse(sid, "make it nicer")
                                              if e and e.get("type") == "text")
