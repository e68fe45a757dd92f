"""Offline credits never strand a learner: top-ups on start, adding credits, messages that say what to run."""
from __future__ import annotations

import asyncio
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import ClassVar

import httpx
import pytest
from rawapi import RawApi

from nemo_nb.api import AsyncNemo, Nemo
from nemo_nb.api.errors import EmbeddedOnly, OutOfCredits
from nemo_nb.local.server import LocalBackend

ADD = "/api/local/credits/add"


def broke_user(url: str, clip: Path) -> RawApi:
    """A new user of the backend at ``url`` who spent every credit on 1-credit edits."""
    api = RawApi(url)
    api.login()
    sid = api.session()
    api.upload(sid, clip)
    for n in range(api.call("GET", "/api/credits/balance/simple").json()["data"]["available"]):
        api.sse(sid, f'add a title "Part {n}" at the top for 1 second')
    assert api.call("GET", "/api/credits/balance/simple").json()["data"]["available"] == 0
    return api


def moved(api: RawApi, url: str) -> RawApi:
    """``api`` (same token) talking to a restarted backend at ``url``."""
    api.http.close()
    api.http = httpx.Client(base_url=url, timeout=60)
    return api


def balance(api: RawApi) -> dict[str, int]:
    return api.call("GET", "/api/credits/balance/simple").json()["data"]


@pytest.mark.slow
def test_credits_on_start_top_up_existing_users_never_lower_them(tmp_path: Path, clip: Path):
    with LocalBackend(tmp_path, credits=2) as b:
        api = broke_user(b.url, clip)
        rich = RawApi(b.url)
        rich.login()
        assert rich.call("POST", ADD, json={"credits": 500}).json()["data"]["available"] == 502
    with LocalBackend(tmp_path) as b:  # no credits given: nobody is topped up
        assert balance(moved(api, b.url))["available"] == 0
    with LocalBackend(tmp_path, credits=40) as b:  # backend_options={"credits": 40}
        assert balance(moved(api, b.url)) == {"available": 40, "frozen": 0, "total": 40}
        assert balance(moved(rich, b.url))["available"] == 502  # "at least N": never lowered
        newcomer = RawApi(b.url)
        assert newcomer.login()["credits"] == 40
        newcomer.close()
    with LocalBackend(tmp_path, credits=60, top_up=False) as b:
        assert balance(moved(api, b.url))["available"] == 40
    api.close()
    rich.close()


@pytest.mark.slow
def test_serve_credits_tops_up_an_existing_user(tmp_path: Path, clip: Path):
    """``nemo-nb serve --credits N`` from the command line, as the out-of-credits message says."""
    with LocalBackend(tmp_path, credits=1) as b:
        api = broke_user(b.url, clip)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, "-m", "nemo_nb.cli", "serve", "--port", "0", "--data-dir",
                               str(tmp_path), "--credits", "75"], stdout=subprocess.PIPE, text=True, env=env)
    try:
        line = server.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert balance(moved(api, url))["available"] == 75
    finally:
        server.terminate()
        server.wait(timeout=30)
        api.close()


def test_add_credits_endpoint_adds_to_the_caller_only(backend, api: RawApi):
    other = RawApi(backend.url)
    other.login()
    before, other_before = balance(api)["available"], balance(other)["available"]
    r = api.call("POST", ADD, json={"credits": 25})
    assert r.status_code == 200 and r.json()["data"]["available"] == before + 25
    assert balance(api)["available"] == before + 25 and balance(other)["available"] == other_before
    other.close()


@pytest.mark.parametrize("body", [{}, {"credits": 0}, {"credits": -5}, {"credits": 2.5}, {"credits": "10"},
                                  {"credits": True}, {"credits": None}, {"credits": 10**12}, [10], "10",
                                  {"credits": [1]}])
def test_add_credits_refuses_what_is_not_a_sane_whole_number(api: RawApi, body):
    before = balance(api)
    r = api.call("POST", ADD, json=body)
    said = "whole number" if isinstance(body, dict) else "JSON object"
    assert r.status_code == 400 and r.json()["code"] == 4000 and said in r.json()["message"]
    assert balance(api) == before


def test_add_credits_needs_a_token_and_a_post(backend, api: RawApi):
    anonymous = httpx.post(backend.url + ADD, json={"credits": 5})
    assert anonymous.status_code == 401 and anonymous.json()["code"] == 1001
    assert api.call("GET", ADD).status_code == 405


def test_balances_stay_bounded(tmp_path: Path):
    from nemo_nb.local.topup import MAX_ADD, MAX_BALANCE

    with LocalBackend(tmp_path, credits=MAX_BALANCE - 10) as b:
        api = RawApi(b.url)
        api.login()
        assert api.call("POST", ADD, json={"credits": MAX_ADD}).json()["data"]["total"] == MAX_BALANCE


def test_out_of_credits_says_exactly_what_to_run(tmp_path: Path, clip: Path):
    with Nemo.local(tmp_path, backend_options={"credits": 0}) as nemo:
        s = nemo.session()
        s.upload(clip)
        with pytest.raises(OutOfCredits) as caught:
            s.send("add my clip to the timeline")
        text = str(caught.value)
        assert "%nemo credits --add" in text and "nemo-nb serve --credits" in text and "add_credits(" in text
        assert "egister" not in text  # nothing to register on the embedded backend
        page = httpx.get(nemo.registration_url())
        assert page.status_code == 200
        assert "%nemo credits --add" in page.text and "nemo-nb serve --credits" in page.text
        assert nemo.is_embedded()
        assert nemo.add_credits(3).available == 3
        assert s.send("add my clip to the timeline").credits_used == 1
        assert nemo.credits().available == 2


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def _answer(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        self.send_response(404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def other_server():
    """A loopback HTTP server that is not the embedded backend, recording what it was asked."""
    _Recorder.seen = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Recorder.seen
    server.shutdown()
    server.server_close()


def test_adding_credits_elsewhere_is_refused_without_asking(other_server, tmp_path: Path):
    url, seen = other_server

    async def elsewhere() -> None:
        async with AsyncNemo(url, config_directory=tmp_path) as nemo:
            with pytest.raises(EmbeddedOnly) as caught:
                await nemo.add_credits(100)
            assert "embedded backend" in str(caught.value) and "register" in str(caught.value)
        async with AsyncNemo("https://cloud.invalid", config_directory=tmp_path) as cloud:
            with pytest.raises(EmbeddedOnly):  # the cloud is never probed: it would not even resolve
                await cloud.add_credits(100)
            assert not await cloud.is_embedded()

    asyncio.run(elsewhere())
    assert not [line for line in seen if ADD in line]


def test_the_notebook_refuses_adding_credits_on_the_cloud_politely(tmp_path: Path):
    from nemo_nb.notebook.controller import NotebookSession
    from nemo_nb.notebook.errors import NemoCellError

    controller = NotebookSession()
    controller.client = Nemo("https://cloud.invalid", config_directory=tmp_path)  # never contacted
    try:
        assert not controller.embedded
        with pytest.raises(NemoCellError) as caught:
            controller.add_credits(10)
        first, hint = caught.value.lines()
        assert "only on the embedded backend" in first and hint.startswith("On the cloud, register or top up: ")
    finally:
        controller.close()
