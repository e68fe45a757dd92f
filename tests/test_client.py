"""The client against the embedded backend over real HTTP: the workflow and every recovery path."""
from __future__ import annotations

import asyncio
import logging
import os
import stat

import pytest

from nemo_nb import AsyncNemo, Nemo, NemoError
from nemo_nb.api import Clock, Timings, errors
from nemo_nb.api.events import Heartbeat, TextEvent, ToolCall
from nemo_nb.local.media.probe import probe
from nemo_nb.local.server import LocalBackend

FAST = Timings(drop_poll_s=0.05, render_poll_min_s=0.05, render_poll_max_s=0.2, retry_after_cap_s=0.2)


def client(backend, **kw) -> Nemo:
    return Nemo(backend.url, web_url=backend.url, timings=kw.pop("timings", FAST), **kw)


@pytest.fixture
def nemo(backend):
    n = client(backend)
    yield n
    n.close()


def quick_session(nemo: Nemo, clip):
    s = nemo.session()
    s.upload(clip)
    return s


@pytest.mark.slow
def test_quick_edit_workflow(nemo: Nemo, clip, tmp_path):
    assert nemo.credits().available == 100
    s = nemo.session()
    seen: list[tuple[int, int]] = []
    (uploaded,) = s.upload(clip, progress=lambda sent, total: seen.append((sent, total)))
    assert uploaded.filename == "clip.mp4" and uploaded.duration == pytest.approx(3.0, abs=0.1)
    assert seen[-1] == (clip.stat().st_size, clip.stat().st_size)
    events = []
    r = s.send("add my clip to the timeline", on_event=events.append)
    assert events == r.events and any(isinstance(e, TextEvent) for e in events)
    assert "clip.mp4" in r.text and "click" not in r.text.lower()  # GUI phrases translated
    assert [c.name for c in r.tool_calls] == ["add_to_timeline"] and not r.silent
    assert r.credits_used == 1 and r.changes and r.draft_before.tracks == [] and r.draft_after.is_renderable
    assert s.draft.summary().startswith("Timeline (1 track): 1. Video: clip.mp4 (0-3s)")
    progress: list[float] = []
    e = s.export(tmp_path / "out.mp4", progress=progress.append)
    assert e.path.exists() and e.size == e.path.stat().st_size and progress[-1] == 100
    info = probe(e.path)
    assert info.video_codec == "h264" and abs(info.duration_s - 3.0) < 0.15 and e.duration == pytest.approx(3, abs=0.15)
    assert e.render_id.startswith("render_") and nemo.credits().available == 99


@pytest.mark.slow
def test_ask_routes_locally(nemo: Nemo, clip, tmp_path, monkeypatch):
    s = nemo.session()
    assert s.ask("how many credits do I have?").available == 100
    monkeypatch.chdir(tmp_path)
    uploaded = s.ask(f"upload {clip}")
    assert uploaded[0].filename == "clip.mp4"
    reply = s.ask("add my clip to the timeline")
    assert reply.tool_calls
    assert "Video: clip.mp4" in str(s.ask("status"))
    exported = s.ask("export")
    assert exported.path.exists()


def test_token_is_cached_0600_and_reused(backend, isolated_identity):
    first = client(backend)
    first.credits()
    user = first.user_id
    first.close()
    cache = isolated_identity / "tokens.json"
    assert stat.S_IMODE(cache.stat().st_mode) == 0o600
    second = client(backend)  # a kernel restart: a second token request would answer 429
    assert second.credits().available == 100 and second.user_id == user
    second.close()


def test_token_expiry_refreshes_once_with_same_client(tmp_path):
    with LocalBackend(tmp_path, faults=["expire_token_after=4"]) as b:
        nemo = client(b)
        user = None
        for _ in range(6):
            nemo.credits()
            user = user or nemo.user_id
        assert nemo.user_id == user
        nemo.close()


def test_rate_limited_once_waits_and_retries(tmp_path):
    with LocalBackend(tmp_path, faults=["rate_limit_once"]) as b:
        nemo = client(b)
        assert nemo.credits().available == 100
        nemo.close()


def test_dropped_stream_is_not_resent_and_edit_is_reported(tmp_path, clip):
    with LocalBackend(tmp_path, faults=["drop_sse_after=2"]) as b:
        nemo = client(b)
        s = quick_session(nemo, clip)
        r = s.send("add my clip to the timeline")
        assert "connection dropped" in r.text and not r.incomplete
        assert r.changes and len(s.draft.tracks[0].segments) == 1
        assert nemo.credits().available == 99  # charged once
        nemo.close()


def test_silent_turn_is_described_from_the_diff(tmp_path, clip):
    with LocalBackend(tmp_path, faults=["silent"]) as b:
        nemo = client(b)
        s = quick_session(nemo, clip)
        r = s.send("add my clip to the timeline")
        assert r.silent and r.changes and r.text.startswith(r.changes[0]) and r.tool_calls
        nemo.close()


@pytest.mark.slow
def test_still_working_and_heartbeat_timeout(tmp_path, clip):
    with LocalBackend(tmp_path, heartbeat_s=0.05, faults=["heartbeats_only=1.2"]) as b:
        fast_clock = Clock(speed=600)  # 2 minutes pass in 0.2 s
        patient = Timings(heartbeat_timeout_s=1e6, turn_cap_s=1e6, retry_after_cap_s=0.2)
        nemo = client(b, clock=fast_clock, timings=patient)
        s = nemo.session()
        notices: list[str] = []
        r = s.send("hello", on_still_working=notices.append)
        assert notices and notices[0].startswith("⏳ Still working")
        assert any(isinstance(e, Heartbeat) for e in r.events)
        strict = client(b, clock=Clock(speed=600), timings=Timings(heartbeat_timeout_s=300, retry_after_cap_s=0.2))
        s2 = strict.session()
        with pytest.raises(errors.StreamTimeout, match="heartbeats only"):
            s2.send("hello")
        strict.close()
        nemo.close()


@pytest.mark.slow
def test_render_failure_retries_once_with_new_id(tmp_path, clip):
    with LocalBackend(tmp_path, faults=["render_fail_once"]) as b:
        nemo = client(b)
        s = quick_session(nemo, clip)
        s.send("add my clip to the timeline")
        e = s.export(tmp_path / "out.mp4")
        assert e.path.exists() and probe(e.path).duration_s > 2.8
        nemo.close()


def test_session_lost_makes_a_new_one_and_says_so(tmp_path):
    with LocalBackend(tmp_path, faults=["session_lost_once"]) as b:
        nemo = client(b)
        s = nemo.session()
        old = s.id
        with pytest.raises(errors.SessionNotFound, match="new session"):
            s.state()
        assert s.id != old and s.state().session_id == s.id
        nemo.close()


@pytest.mark.parametrize("dialect", ["canonical", "adk"])
@pytest.mark.slow
def test_both_sse_dialects_give_the_same_reply(tmp_path, clip, dialect):
    with LocalBackend(tmp_path, sse_dialect=dialect) as b:
        nemo = client(b)
        s = quick_session(nemo, clip)
        r = s.send("add my clip to the timeline")
        assert r.text.startswith("Adding clip.mp4 to the timeline. Done: the video track now holds clip.mp4")
        assert len(r.tool_calls) == 1  # ADK sends each call twice (partial + final): deduped
        nemo.close()


@pytest.mark.parametrize("shape", ["wrapped", "toplevel"])
@pytest.mark.slow
def test_both_render_shapes(tmp_path, clip, shape):
    with LocalBackend(tmp_path, render_shape=shape) as b:
        nemo = client(b)
        s = quick_session(nemo, clip)
        s.send("add my clip to the timeline")
        e = s.export(tmp_path / "out.mp4")
        assert e.url and e.duration == pytest.approx(3.0, abs=0.15) and e.path.stat().st_size == e.size
        nemo.close()


@pytest.mark.slow
def test_export_resumes_after_a_kernel_restart(tmp_path, clip):
    with LocalBackend(tmp_path / "data") as b:
        nemo = client(b)
        s = quick_session(nemo, clip)
        s.send("add my clip to the timeline")
        started = nemo._runner.run(s._inner._submit(tmp_path / "out.mp4"))  # submitted, not awaited
        sid = s.id
        nemo.close()
        restarted = client(b)  # same config dir: same token and pending renders
        e = restarted.session(sid).export(tmp_path / "out.mp4", resume=True)
        assert e.render_id == started and e.path.exists()
        restarted.close()


def test_refusals_before_sending(nemo: Nemo, tmp_path):
    s = nemo.session()
    bad = tmp_path / "notes.exe"
    bad.write_text("x")
    with pytest.raises(errors.UnsupportedFile, match="Accepted types"):
        s.upload(bad)
    huge = tmp_path / "huge.mp4"
    with huge.open("wb") as f:
        f.truncate(501 * 1024 * 1024)  # sparse: no disk used
    with pytest.raises(errors.FileTooLarge, match=r"(?i)compress or trim"):
        s.upload(huge)
    with pytest.raises(errors.NothingToExport, match="nothing to export"):
        s.export(tmp_path / "x.mp4")


def test_out_of_credits_gives_registration_link(tmp_path, clip):
    with LocalBackend(tmp_path, credits=0) as b:
        nemo = client(b)
        s = quick_session(nemo, clip)
        with pytest.raises(errors.OutOfCredits) as caught:
            s.send("add my clip to the timeline")
        assert caught.value.registration_url == f"{b.url}/register?bind={nemo.user_id}"
        assert nemo.registration_url() == caught.value.registration_url
        nemo.close()


def test_missing_attribution_is_a_plan_problem(nemo: Nemo, clip, tmp_path):
    s = quick_session(nemo, clip)
    s.send("add my clip to the timeline")
    nemo.aio.transport.headers = {}
    with pytest.raises(errors.ExportBlocked, match="not credits"):
        s.export(tmp_path / "x.mp4")


def test_sync_facade_inside_a_running_loop(backend):
    async def notebook_cell():
        nemo = client(backend)  # blocking calls while this loop runs, as in a Jupyter kernel
        try:
            return nemo.credits().available, nemo.session().id
        finally:
            nemo.close()

    available, sid = asyncio.run(notebook_cell())
    assert available == 100 and sid.isdigit()


def test_async_client_streams_events(backend, clip):
    async def main():
        async with AsyncNemo(backend.url) as nemo:
            s = await nemo.session()
            await s.upload(clip)
            return [ev async for ev in s.stream("add my clip to the timeline")]

    events = asyncio.run(main())
    assert any(isinstance(e, ToolCall) for e in events) and any(isinstance(e, TextEvent) for e in events)


@pytest.mark.slow
def test_token_never_shows(backend, clip, tmp_path, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    nemo = client(backend)
    s = quick_session(nemo, clip)
    progress: list = []
    r = s.send("add my clip to the timeline", on_event=progress.append)
    e = s.export(tmp_path / "out.mp4", progress=progress.append)
    token = nemo.aio.identity._token
    assert token and token.startswith("nmv_usr_")
    try:
        s.upload(tmp_path / "missing.mp4")
    except NemoError as exc:
        caught = exc
    surfaces = [repr(nemo), repr(s), repr(nemo.aio), repr(nemo.aio.identity), repr(nemo.aio.transport), str(r),
                repr(r), str(e), repr(e), str(caught), repr(caught), repr(progress), caplog.text,
                capsys.readouterr().out, e.url or "", str(s.state())]
    assert not [x for x in surfaces if token in x]
    assert token not in "".join(str(p.read_bytes()) for p in tmp_path.rglob("*") if p.is_file())
    nemo.close()


def test_fixed_token_refused_says_what_to_do(backend, monkeypatch):
    monkeypatch.setenv("NEMO_TOKEN", "nmv_usr_not_a_real_token")
    nemo = client(backend)
    with pytest.raises(errors.AuthError, match="NEMO_TOKEN"):
        nemo.credits()
    nemo.close()
    assert "not_a_real" not in repr(nemo)
    os.environ.pop("NEMO_TOKEN", None)


@pytest.mark.slow
def test_local_backend_restart_keeps_identity(tmp_path, clip):
    """Nemo.local() on a new random port after a 'kernel restart' reuses the cached token (no 429)."""
    first = Nemo.local(tmp_path / "data", timings=FAST)
    s = first.session()
    s.upload(clip)
    user, sid = first.user_id, s.id
    first.close()
    second = Nemo.local(tmp_path / "data", timings=FAST)
    assert second.aio.api_url != "" and second.user_id is None
    assert second.session(sid).state().video_infos[0]["filename"] == "clip.mp4"
    assert second.user_id == user
    second.close()
