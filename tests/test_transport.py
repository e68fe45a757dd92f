"""The client's transport against real servers on loopback: where credentials go, the typed errors
raised instead of httpx's, the one retry policy and its log, the out-of-credits link, public signatures."""
from __future__ import annotations

import asyncio
import email.utils
import inspect
import logging
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from loopback import LoopbackHttp

import nemo_nb
from nemo_nb import AsyncNemo, Nemo
from nemo_nb.api import AsyncSession, Clock, Session, Timings, errors
from nemo_nb.api.answers import parse_retry_after
from nemo_nb.api.retry import RetryPolicy
from nemo_nb.config import ATTRIBUTION_HEADERS
from nemo_nb.local.server import LocalBackend

FAST = Timings(drop_poll_s=0.05, render_poll_min_s=0.05, render_poll_max_s=0.2, retry_after_cap_s=0.2)
QUICK_RETRIES = Clock(speed=100)  # backoff waits of 0.25-12 s pass in moments


def client(url: str, **kw: Any) -> Nemo:
    return Nemo(url, web_url=kw.pop("web_url", url), timings=kw.pop("timings", FAST), **kw)


def record_requests(nemo: Nemo) -> list[httpx.Request]:
    """Every request the client's pool sends from now on (observed as sent, over real HTTP)."""
    sent: list[httpx.Request] = []

    async def hook(request: httpx.Request) -> None:
        sent.append(request)

    nemo.aio.transport.http.event_hooks["request"].append(hook)
    return sent


def edited_session(nemo: Nemo, clip) -> Session:
    s = nemo.session()
    s.upload(clip)
    s.send("add my clip to the timeline")
    return s


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def silent_server() -> Iterator[str]:
    """A loopback port that accepts connections and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(16)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


def retry_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("nemo_nb")]


# -- where credentials go --------------------------------------------------------------------------
@pytest.mark.slow
def test_a_download_from_the_api_host_carries_the_token_and_attribution(backend, clip, tmp_path):
    nemo = client(backend.url, skill="ai-voiceover-for")
    s = edited_session(nemo, clip)
    sent = record_requests(nemo)
    e = s.export(tmp_path / "out.mp4")
    assert e.url and httpx.URL(e.url).host == httpx.URL(backend.url).host and e.path.stat().st_size == e.size
    (download,) = [r for r in sent if r.url == httpx.URL(e.url)]
    token = nemo.aio.identity._token
    assert token and download.headers["Authorization"] == f"Bearer {token}"
    profile = nemo.aio.skill.headers()
    assert {h: download.headers.get(h) for h in ATTRIBUTION_HEADERS} == profile
    assert profile["X-Skill-Source"] == "ai-voiceover-for"
    nemo.close()


@pytest.mark.slow
def test_a_download_from_another_host_carries_nothing(backend, clip, tmp_path):
    """Another port of the same address is another origin: no token, no attribution, no client id."""
    nemo = client(backend.url)
    s = edited_session(nemo, clip)
    body = clip.read_bytes()
    with LoopbackHttp({"/cdn/out.mp4": (200, {"Content-Type": "video/mp4"}, body)}) as cdn:
        target = tmp_path / "from_cdn.mp4"
        size = nemo._runner.run(s._inner._download("render_x", f"{cdn.url}/cdn/out.mp4?sig=abc", target))
        assert size == len(body) and target.read_bytes() == body
        assert cdn.seen == ["/cdn/out.mp4?sig=abc"]  # the URL's own query is kept as it is
        (received,) = cdn.headers
    names = {k.lower() for k in received}
    assert not names & {"authorization", "x-client-id", "cookie", *(h.lower() for h in ATTRIBUTION_HEADERS)}
    token = nemo.aio.identity._token
    assert token and not [v for v in received.values() if token in v or token[8:] in v]
    nemo.close()


@pytest.mark.slow
def test_an_output_url_on_another_origin_gets_no_credentials_in_a_real_export(backend, clip, tmp_path):
    """Talking to the API as ``localhost``, the output URLs (on 127.0.0.1) are another origin."""
    api = backend.url.replace("127.0.0.1", "localhost")
    nemo = client(api)
    s = edited_session(nemo, clip)
    sent = record_requests(nemo)
    e = s.export(tmp_path / "out.mp4")
    assert e.url and httpx.URL(e.url).host == "127.0.0.1" and e.path.stat().st_size == e.size
    (download,) = [r for r in sent if r.url == httpx.URL(e.url)]
    assert "authorization" not in download.headers and "x-skill-source" not in download.headers
    api_calls = [r for r in sent if r.url.host == "localhost"]
    assert api_calls and all(r.headers["Authorization"].startswith("Bearer ") for r in api_calls)
    nemo.close()


def test_a_file_url_that_cannot_be_reached_is_logged_by_its_origin_only(backend, tmp_path, caplog):
    """Output URLs may carry a secret in their path or query: log lines show only the origin."""
    caplog.set_level(logging.DEBUG, logger="nemo_nb")
    nemo = client(backend.url, clock=QUICK_RETRIES)
    s = nemo.session()
    gone = f"http://127.0.0.1:{closed_port()}"
    with pytest.raises(errors.RenderFailed, match="could not be downloaded"):
        nemo._runner.run(s._inner._download("render_unknown", f"{gone}/files/KEY_s3cr3t/out.mp4?sig=s3cr3t",
                                            tmp_path / "x.mp4"))
    lines = retry_lines(caplog)
    assert f"GET {gone}/…: ConnectError; giving up after 3 tries" in lines
    assert not [x for x in caplog.text.splitlines() + lines if "s3cr3t" in x]
    assert not (tmp_path / "x.mp4").exists() and not list(tmp_path.glob("*.part"))
    nemo.close()


# -- out of credits, from plain Python --------------------------------------------------------------
@pytest.mark.slow
def test_out_of_credits_names_the_registration_link(tmp_path, clip):
    with LocalBackend(tmp_path, credits=2) as b:
        web = "https://web.example.test"  # not the backend: the link is the client's own, not the server's
        nemo = client(b.url, web_url=web)
        s = nemo.session()
        s.upload(clip)
        s.send("add my clip to the timeline")  # 1 credit
        s.send("make it 9:16")  # 1 credit
        assert nemo.credits().available == 0
        with pytest.raises(errors.OutOfCredits) as caught:
            s.send('add a title "Launch" at the top')
        link = f"{web}/register?bind={nemo.user_id}"
        assert nemo.user_id and caught.value.registration_url == link == nemo.registration_url()
        assert caught.value.code == 2001
        # the embedded backend has nothing to register: its message says what to run instead
        assert "%nemo credits --add" in str(caught.value) and "nemo-nb serve --credits" in str(caught.value)
        # the same refusal from a server that is not the embedded backend names the link
        cloud = errors.error_for(403, {"code": 2001, "message": "insufficient credits",
                                       "data": {k: v for k, v in caught.value.data.items() if k != "embedded"}},
                                 web_url=web, user_id=nemo.user_id)
        assert link in str(cloud)
        nemo.close()


def test_out_of_credits_binds_the_user_the_error_names():
    body = {"code": 2001, "message": "insufficient credits", "data": {"user_id": "anon_from/server"}}
    named = errors.error_for(403, body, web_url="https://w.example/", user_id="anon_me")
    assert isinstance(named, errors.OutOfCredits)
    assert named.registration_url == "https://w.example/register?bind=anon_from%2Fserver"
    assert named.registration_url in str(named)
    own = errors.error_for(403, {"code": 2001, "message": "insufficient credits"}, web_url="https://w.example",
                           user_id="anon_me")
    assert isinstance(own, errors.OutOfCredits) and own.registration_url == "https://w.example/register?bind=anon_me"
    nobody = errors.error_for(403, {"code": 2001, "message": "insufficient credits"}, web_url="https://w.example")
    assert isinstance(nobody, errors.OutOfCredits) and nobody.registration_url is None
    assert "top up" in str(nobody)


# -- typed transport errors -------------------------------------------------------------------------
def test_typed_errors_are_exported_lazily():
    assert nemo_nb.NemoConnectionError is errors.NemoConnectionError
    assert nemo_nb.NemoTimeout is errors.NemoTimeout
    assert issubclass(errors.NemoTimeout, errors.NemoConnectionError)
    assert issubclass(errors.StreamDropped, errors.NemoConnectionError)
    assert issubclass(errors.NemoConnectionError, nemo_nb.NemoError)


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com", "http://", "//no-scheme.example"])
def test_an_api_url_that_is_not_http_is_refused_up_front(url):
    with pytest.raises(ValueError, match="must be an http"):
        Nemo(url)


def test_a_refused_connection_is_typed_and_only_safe_requests_are_retried(caplog):
    caplog.set_level(logging.DEBUG, logger="nemo_nb")
    url = f"http://127.0.0.1:{closed_port()}"
    nemo = client(url, token="nmv_usr_fixed_secret_123", clock=QUICK_RETRIES)
    with pytest.raises(errors.NemoConnectionError) as caught:
        nemo.credits()
    assert type(caught.value) is errors.NemoConnectionError and isinstance(caught.value.__cause__, httpx.ConnectError)
    assert caught.value.origin == url and url in str(caught.value) and "--local" in str(caught.value)
    lines = retry_lines(caplog)
    assert [x.split(" in ")[0] for x in lines if "; retry " in x] == [
        f"GET /api/credits/balance/simple: ConnectError; retry {n} of 2" for n in (1, 2)]
    assert lines[-1] == "GET /api/credits/balance/simple: ConnectError; giving up after 3 tries"
    caplog.clear()
    with pytest.raises(errors.NemoConnectionError):
        nemo.session()  # a POST that starts work: never repeated
    assert retry_lines(caplog) == ["POST /api/tasks/me/with-session/nemo_agent: ConnectError; "
                                   "not retried: the request is not safe to repeat"]
    assert not [r for r in caplog.records if "fixed_secret" in r.getMessage()]
    nemo.close()


def test_a_server_that_never_answers_is_a_timeout(caplog):
    caplog.set_level(logging.DEBUG, logger="nemo_nb")
    with silent_server() as url:
        timings = Timings(request_timeout_s=0.1, retry_after_cap_s=0.1)
        nemo = client(url, token="nmv_usr_x", timings=timings, clock=QUICK_RETRIES)
        started = time.monotonic()
        with pytest.raises(errors.NemoTimeout) as caught:
            nemo.credits()
        assert time.monotonic() - started < 10
        nemo.close()
    assert isinstance(caught.value, errors.NemoConnectionError) and "in time" in str(caught.value)
    assert isinstance(caught.value.__cause__, httpx.TimeoutException)
    assert len([x for x in retry_lines(caplog) if "ReadTimeout; retry" in x]) == 2


def test_a_stream_that_breaks_off_is_typed(tmp_path, clip):
    async def main() -> list[Any]:
        async with AsyncNemo(b.url, timings=FAST) as nemo:
            s = await nemo.session()
            await s.upload(clip)
            return [ev async for ev in s.stream("add my clip to the timeline")]

    with LocalBackend(tmp_path, faults=["drop_sse_after=2"]) as b, pytest.raises(errors.StreamDropped) as caught:
        asyncio.run(main())
    assert isinstance(caught.value.__cause__, httpx.TransportError) and "broke off" in str(caught.value)


# -- the retry policy and its log -------------------------------------------------------------------
@pytest.mark.slow
def test_retry_decisions_are_logged_and_never_hold_a_secret(tmp_path, clip, caplog):
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx's and httpcore's
    faults = ["rate_limit_once", "expire_token_after=4", "drop_sse_after=2", "render_fail_once"]
    with LocalBackend(tmp_path / "data", faults=faults) as b:
        nemo = client(b.url)
        sent = record_requests(nemo)
        s = edited_session(nemo, clip)
        for _ in range(3):
            nemo.credits()
        e = s.export(tmp_path / "out.mp4")
        claim = s.claim_link()
        nemo.close()
    assert e.path.exists() and "ct=" in claim
    tokens = {r.headers["Authorization"][7:] for r in sent if "Authorization" in r.headers}
    assert len(tokens) >= 2  # the token expired and was replaced
    ours = retry_lines(caplog)
    assert any(x.startswith("POST /api/auth/anonymous-token: HTTP 429; waiting 0.2 s (Retry-After: 1)")
               for x in ours), ours
    assert any("token refused (HTTP 401); fetching a new one, then one retry" in x for x in ours), ours
    assert any(x.endswith("dropped; not re-sending, polling the state") for x in ours), ours
    assert any(x.endswith("failed; submitting once more with a new id") for x in ours), ours
    secrets = [*tokens, claim.split("ct=", 1)[1]]
    everything = caplog.text + "\n".join(r.getMessage() for r in caplog.records)
    for secret in secrets:
        pieces = {secret[i:i + 10] for i in range(len(secret) - 9)}
        assert not [p for p in pieces if p in everything], "a secret reached the log"


@pytest.mark.parametrize(("value", "seconds"), [
    ("3", 3.0), (" 1.5 ", 1.5), ("0", 0.0), ("-4", 0.0), ("", None), (None, None), ("soon", None),
    ("nan", None), ("inf", None), ("1e999", None),
])
def test_retry_after_values(value, seconds):
    assert parse_retry_after(value) == seconds


def test_retry_after_dates_and_the_cap():
    now = time.time()
    assert parse_retry_after(email.utils.formatdate(now + 120, usegmt=True), now=now) == pytest.approx(120, abs=1)
    assert parse_retry_after(email.utils.formatdate(now - 600, usegmt=True), now=now) == 0.0
    assert parse_retry_after("Mon, 99 Foo 2024 25:61:61 GMT") is None
    policy = RetryPolicy(retry_after_cap_s=30.0)
    wait = lambda header: policy.rate_limit_wait(httpx.Response(429, headers=header))  # noqa: E731
    assert wait({"Retry-After": "2"}) == 2.0 and wait({"Retry-After": "3600"}) == 30.0
    assert wait({}) == 30.0 and wait({"Retry-After": "soon"}) == 30.0  # the protocol's default wait


# -- public signatures --------------------------------------------------------------------------------
PUBLIC = (Nemo, Session, AsyncNemo, AsyncSession)


@pytest.mark.parametrize("cls", PUBLIC, ids=lambda c: c.__name__)
def test_public_methods_have_real_parameters_and_return_types(cls):
    for name, fn in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") and name != "__init__":
            continue
        sig = inspect.signature(fn)
        for p in list(sig.parameters.values())[1:]:
            assert p.kind is not p.VAR_KEYWORD, f"{cls.__name__}.{name} takes **{p.name}"
            assert p.kind is not p.VAR_POSITIONAL or p.name in ("paths", "urls"), f"{cls.__name__}.{name}"
            assert p.annotation not in (p.empty, "Any"), f"{cls.__name__}.{name}({p.name}) is untyped"
        if name != "__init__":
            assert sig.return_annotation not in (sig.empty, "Any"), f"{cls.__name__}.{name} returns Any"


@pytest.mark.parametrize("method", ["__init__", "local"])
def test_the_blocking_client_takes_what_the_async_one_takes(method):
    def names(fn: Any) -> list[str]:
        return [p for p in inspect.signature(fn).parameters if p not in ("self", "cls")]

    assert names(getattr(Nemo, method)) == names(getattr(AsyncNemo, method))
