"""One request must not freeze everyone: huge or deeply built JSON bodies and drafts are refused early, and
nothing one request makes the backend do holds up ``GET /`` for long.

Raw HTTP against a running backend. Time bounds here are generous (the old backend took 8-21 s for the
15 MB draft, 2.6-4 s for the long message); the measured figures are printed by
``benchmarks/bench_abuse.py``.
"""
from __future__ import annotations

import random
import re
import threading
import time
from typing import Any

import httpx
import pytest
from rawapi import RawApi

from nemo_nb.local import intents
from nemo_nb.local.server import LocalBackend

HUGE_DRAFT_TRACKS = 900_000  # ≈15 MB as {"tt":0,"sg":[]}


def render_body(sid: str, tracks: bytes) -> bytes:
    return b'{"id":"r_big","sessionId":"%s","draft":{"t":[%s],"m":{}},"output":{"format":"mp4"}}' % (
        sid.encode(), tracks)


def refused(r: httpx.Response, *words: str) -> str:
    assert r.status_code == 400, (r.status_code, r.text[:300])
    body = r.json()
    assert body["code"] == 4000, body
    for word in words:
        assert word in body["message"], (word, body["message"])
    return str(body["message"])


def post(api: RawApi, path: str, content: Any) -> httpx.Response:
    return api.call("POST", path, content=content, headers={"Content-Type": "application/json"})


class HealthProbe:
    """``GET /`` every 20 ms from its own connection while the body of the ``with`` runs; the slowest answer."""

    def __init__(self, url: str):
        self.url = url
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=60) as http:
            while not self._stop.is_set():
                start = time.perf_counter()
                assert http.get("/").status_code == 200
                self.times.append(time.perf_counter() - start)
                self._stop.wait(0.02)

    def _wait_for(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while len(self.times) < count and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)

    def __enter__(self) -> HealthProbe:
        self._thread.start()
        self._wait_for(1)
        return self

    def __exit__(self, *exc: Any) -> None:
        self._wait_for(len(self.times) + 2)  # an answer that began while the body ran, and one after it
        self._stop.set()
        self._thread.join()

    @property
    def slowest(self) -> float:
        return max(self.times)


def test_a_15_mb_draft_is_refused_at_once(api: RawApi, sid: str) -> None:
    body = render_body(sid, b",".join([b'{"tt":0,"sg":[]}'] * HUGE_DRAFT_TRACKS))
    assert len(body) > 14_000_000
    for content in (body, iter([body[i:i + 65536] for i in range(0, len(body), 65536)])):  # sized, then chunked
        start = time.perf_counter()
        r = post(api, "/api/render/proxy/lambda", content)
        took = time.perf_counter() - start
        refused(r, "larger than")
        assert r.json()["success"] is False
        assert took < 2.0, f"took {took:.2f} s"
    assert api.state(sid)["session_id"] == sid


@pytest.mark.parametrize("name,tracks,words", [
    ("60k-empty-tracks", b",".join([b"{}"] * 60_000), ["objects and arrays"]),
    ("200k-numbers", b'{"tt":0,"sg":[],"x":[' + b",".join([b"1"] * 200_000) + b"]}", ["values"]),
    ("201-tracks", b",".join([b'{"tt":0,"sg":[{"id":"s","src":"m","st":0,"d":1000}]}'] * 201), ["201 tracks", "200"]),
    ("10001-segments", b'{"tt":0,"sg":[' + b",".join([b'{"st":0,"d":1}'] * 10_001) + b"]}",
     ["10,001 segments", "10,000"]),
    ("long-string", b'{"tt":0,"sg":[{"id":"s","src":"m","st":0,"d":1000,"tx":"' + b"a" * 30_000 + b'"}]}',
     ["string", "20,000"]),
    ("deep", b'{"tt":0,"sg":[],"x":' + b"[" * 40 + b"]" * 40 + b"}", ["nested too deeply"]),
    ("very-deep", b'{"tt":0,"sg":[],"x":' + b"[" * 5000 + b"]" * 5000 + b"}", ["nested too deeply"]),
])
def test_drafts_beyond_the_bounds_are_4000(api: RawApi, sid: str, name: str, tracks: bytes, words: list[str]) -> None:
    start = time.perf_counter()
    refused(post(api, "/api/render/proxy/lambda", render_body(sid, tracks)), *words)
    assert time.perf_counter() - start < 2.0
    r = api.call("GET", "/api/render/proxy/lambda/r_big")
    assert r.status_code == 404  # nothing was recorded


@pytest.mark.parametrize("path", ["/run_sse", "/api/tasks/me/with-session/nemo_agent", "/api/auth/claim-token",
                                  "upload"])
def test_every_json_body_is_bounded(api: RawApi, sid: str, path: str) -> None:
    path = f"/api/upload-video/nemo_agent/me/{sid}" if path == "upload" else path
    refused(post(api, path, b'{"x":[' + b",".join([b"{}"] * 60_000) + b"]}"), "objects and arrays")
    refused(post(api, path, b'{"x":[' + b",".join([b"0"] * 160_000) + b"]}"), "values")
    refused(post(api, path, b'{"x":"' + b"a" * 100_001 + b'"}'), "string")
    refused(post(api, path, b'{"x":' + b"[" * 33 + b"]" * 33 + b"}"), "nested too deeply")


def test_health_answers_while_huge_bodies_arrive(backend: LocalBackend, api: RawApi, sid: str) -> None:
    huge = render_body(sid, b",".join([b'{"tt":0,"sg":[]}'] * HUGE_DRAFT_TRACKS))
    wide = render_body(sid, b",".join([b"{}"] * 1_000_000)[:3_900_000].rsplit(b",", 1)[0])
    with HealthProbe(backend.url) as probe:
        for body in (huge, wide, huge, wide):
            assert post(api, "/api/render/proxy/lambda", body).status_code == 400
    assert probe.slowest < 1.0, probe.times


@pytest.mark.parametrize("message", ["cut " * 5000, "trim last " * 2000, "translate " * 2000, "script to " * 2000,
                                     "trim first " * 1800, "add " * 5000])
def test_a_long_message_does_not_hold_up_others(backend: LocalBackend, api: RawApi, sid: str, message: str) -> None:
    with HealthProbe(backend.url) as probe:
        start = time.perf_counter()
        events = api.sse(sid, message)
        took = time.perf_counter() - start
    assert any(e and e.get("type") == "text" for e in events)
    assert took < 2.0, f"the turn took {took:.2f} s"
    assert probe.slowest < 1.0, probe.times


def test_ordered_patterns_match_as_the_gap_regex_did() -> None:
    """``("a", "b")`` means what ``"a.*b"`` meant (same line, in order, case-insensitive), in linear time."""
    rng = random.Random(7)  # noqa: S311 (reproducible test texts, not secrets)
    words = ["trim", "cut", "to", "video", "script", "as", "x", "TO", "Cut", "\n", "into", "mp4"]
    parts = [(r"\b(trim|shorten|cut)\b", r"\bto\b"), (r"\bscript\b", r"\b(into|to|as)\b", r"\b(mp4|video)\b")]
    for _ in range(3000):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(0, 12)))
        for p in parts:
            assert intents.in_order(text, p) == bool(re.search(".*".join(p), text, re.IGNORECASE)), (text, p)
