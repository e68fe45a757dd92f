"""The embedded backend speaks docs/protocol.md: endpoints, envelopes, codes, SSE, renders."""
from __future__ import annotations

import threading
import time

import httpx
import pytest
from rawapi import RawApi

from nemo_nb.local.media.probe import probe


def test_anonymous_token_envelope(backend):
    api = RawApi(backend.url)
    r = api.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": api.client_id})
    body = r.json()
    assert r.status_code == 200 and body["code"] == 0
    data = body["data"]
    assert data["token"].startswith("nmv_usr_") and data["user_id"].startswith("anon_")
    assert data["credits"] == 100 and data["expires_at"].endswith("Z")


def test_session_is_numeric_string_with_task(api: RawApi):
    r = api.call("POST", "/api/tasks/me/with-session/nemo_agent", json={"task_name": "project", "language": "en"})
    data = r.json()["data"]
    assert isinstance(data["session_id"], str) and data["session_id"].isdigit()
    assert data["task_id"] and data["user_id"].startswith("anon_")


def test_unknown_session_is_1002(api: RawApi):
    r = api.call("GET", "/api/state/nemo_agent/me/12345/latest")
    assert r.status_code == 404 and r.json()["code"] == 1002


def test_state_shape(api: RawApi, sid: str):
    data = api.state(sid)
    assert data["session_id"] == sid and data["task_id"] and data["task_name"] == "project"
    assert set(data["state"]) >= {"draft", "video_infos", "canvas_config", "generated_media", "video_analyses"}


def test_credits_balance(api: RawApi):
    data = api.call("GET", "/api/credits/balance/simple").json()["data"]
    assert data == {"available": 100, "frozen": 0, "total": 100}


def test_claim_token(api: RawApi, sid: str, backend):
    task_id = api.state(sid)["task_id"]
    data = api.call("POST", "/api/auth/claim-token", json={"task_id": task_id, "session_id": sid}).json()["data"]
    assert data["claim_token"].startswith("clm_") and data["expires_in"] == 604800
    page = api.http.get("/workspace/claim", params={"ct": data["claim_token"]})
    assert page.status_code == 200 and sid in page.text
    assert api.http.get("/workspace/claim", params={"ct": "clm_nope"}).status_code == 404


def test_upload_probes_and_hashes(api: RawApi, sid: str, clip, silent_clip):
    import hashlib

    r = api.upload(sid, clip, silent_clip)
    body = r.json()
    assert r.status_code == 200 and body["code"] == 0 and body["data"]["session_state_applied"] is True
    first, second = body["data"]["files"]
    assert first["filename"] == "clip.mp4" and first["file_type"] == "video"
    assert abs(first["duration"] - 3.0) < 0.1 and (first["width"], first["height"]) == (320, 240)
    assert first["fps"] == 25 and first["has_audio"] is True and second["has_audio"] is False
    assert first["hash"] == hashlib.sha256(clip.read_bytes()).hexdigest()
    assert api.http.get(first["cdn_url"]).content == clip.read_bytes()
    infos = api.state(sid)["state"]["video_infos"]
    assert [v["filename"] for v in infos] == ["clip.mp4", "silent.mp4"]


def test_upload_idempotency_key_returns_first_answer(api: RawApi, sid: str, clip):
    first = api.upload(sid, clip, headers={"Idempotency-Key": "up-1"}).json()
    again = api.upload(sid, clip, headers={"Idempotency-Key": "up-1"}).json()
    assert first == again
    assert len(api.state(sid)["state"]["video_infos"]) == 1


def text_of(events) -> str:
    return "".join(e["content"] for e in events if e and e.get("type") == "text")


def test_run_sse_canonical_adds_upload_to_draft(api: RawApi, sid: str, clip):
    api.upload(sid, clip)
    events = api.sse(sid, "add my clip to the timeline")
    kinds = [e["type"] for e in events if e]
    assert "tool_call" in kinds and "tool_result" in kinds and kinds[0] == "text"
    assert "clip.mp4" in text_of(events)
    draft = api.state(sid)["state"]["draft"]
    (track,) = draft["t"]
    assert track["tt"] == 0 and track["sg"][0]["d"] == 3000
    assert api.call("GET", "/api/credits/balance/simple").json()["data"]["available"] == 99


def test_unactionable_message_is_free_and_helpful(api: RawApi, sid: str):
    events = api.sse(sid, "make it pop")
    assert "upload" in text_of(events).lower()
    assert api.call("GET", "/api/credits/balance/simple").json()["data"]["available"] == 100


def test_run_sse_for_missing_session_is_1002(api: RawApi):
    r = api.call("POST", "/run_sse", json={"app_name": "nemo_agent", "user_id": "me", "session_id": "99",
                                           "new_message": {"parts": [{"text": "hi"}]}})
    assert r.status_code == 404 and r.json()["code"] == 1002


def test_run_sse_idempotency_key_never_runs_twice(api: RawApi, sid: str, clip):
    api.upload(sid, clip)
    api.sse(sid, "add my clip", headers={"Idempotency-Key": "msg-1"})
    r = api.call("POST", "/run_sse", headers={"Idempotency-Key": "msg-1"},
                 json={"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
                       "new_message": {"parts": [{"text": "add my clip"}]}})
    assert r.status_code == 409 and r.json()["code"] == 4030
    assert len(api.state(sid)["state"]["draft"]["t"][0]["sg"]) == 1


def render_and_wait(api: RawApi, sid: str, render_id: str) -> dict:
    r = api.render(sid, render_id)
    assert r.status_code == 200, r.text
    assert r.json() == {"success": True, "data": {"id": render_id, "status": "pending", "progress": 0}}
    return api.wait_render(render_id)


@pytest.mark.slow
def test_render_poll_download(api: RawApi, sid: str, clip, tmp_path):
    api.upload(sid, clip)
    api.sse(sid, "add my clip to the timeline")
    done = render_and_wait(api, sid, "render_basic")["data"]
    assert done["status"] == "completed" and done["progress"] == 100 and done["completedAt"]
    out = tmp_path / "out.mp4"
    r = api.call("GET", "/api/render/proxy/render_basic/download")
    assert r.status_code == 200 and r.headers["content-type"] == "video/mp4"
    out.write_bytes(r.content)
    info = probe(out)
    assert info.video_codec == "h264" and info.audio_codec == "aac" and abs(info.duration_s - 3.0) < 0.15
    assert api.http.get(done["outputUrl"]).content == r.content
    assert api.call("GET", "/api/credits/balance/simple").json()["data"]["available"] == 99  # export is free


@pytest.mark.slow
def test_render_requires_attribution_and_unique_id(api: RawApi, sid: str, clip):
    api.upload(sid, clip)
    api.sse(sid, "add my clip")
    r = api.render(sid, "render_402", headers={"X-Skill-Source": ""})
    assert r.status_code == 402 and r.json()["code"] == 402
    assert api.render(sid, "render_dup").status_code == 200
    again = api.render(sid, "render_dup")
    assert again.status_code == 409 and again.json()["code"] == 4009 and again.json()["success"] is False
    api.wait_render("render_dup")


def test_render_idempotency_key(api: RawApi, sid: str, clip):
    api.upload(sid, clip)
    api.sse(sid, "add my clip")
    first = api.render(sid, "render_idem_a", headers={"Idempotency-Key": "k1"}).json()
    second = api.render(sid, "render_idem_b", headers={"Idempotency-Key": "k1"}).json()
    assert first == second and first["data"]["id"] == "render_idem_a"
    assert api.call("GET", "/api/render/proxy/lambda/render_idem_b").json()["code"] == 4004
    api.wait_render("render_idem_a")


@pytest.mark.slow
def test_one_active_render_per_session_and_cancel(api: RawApi, sid: str, media_dir):
    from nemo_nb import samples

    long_clip = samples.make_clip(media_dir / "long.mp4", seconds=20, width=640, height=360)
    api.upload(sid, long_clip)
    api.sse(sid, "add my clip")
    draft = api.state(sid)["state"]["draft"]
    draft["m"]["canvas"] = {"w": 1080, "h": 1920, "fit": "fill"}  # a 1080p re-encode: slow enough to watch
    assert api.render(sid, "render_q1", draft).status_code == 200
    assert api.render(sid, "render_q2", draft).status_code == 200
    seen_processing_together = False
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        s1 = api.call("GET", "/api/render/proxy/lambda/render_q1").json()["data"]
        s2 = api.call("GET", "/api/render/proxy/lambda/render_q2").json()["data"]
        if s1["status"] == "processing" and s1["progress"] > 0:
            assert s2["status"] == "pending"
            break
        seen_processing_together |= s1["status"] == s2["status"] == "processing"
        time.sleep(0.05)
    assert not seen_processing_together
    r = api.call("POST", "/api/render/proxy/lambda/render_q1/cancel")
    assert r.status_code == 200 and r.json()["data"]["status"] == "failed"
    final = api.wait_render("render_q1")["data"]
    assert final["status"] == "failed" and final["error"] == "cancelled"
    second = api.wait_render("render_q2")["data"]
    assert second["status"] == "completed"
    assert api.call("POST", "/api/render/proxy/lambda/render_q2/cancel").json()["code"] == 4031


@pytest.mark.slow
def test_second_concurrent_message_is_refused(tmp_path, clip):
    from nemo_nb.local.server import LocalBackend

    with LocalBackend(tmp_path, heartbeat_s=0.1, faults=["heartbeats_only=1.5"]) as b:
        api = RawApi(b.url)
        api.login()
        sid = api.session()
        api.upload(sid, clip)
        result: dict = {}
        worker = threading.Thread(target=lambda: result.setdefault("events", api.sse(sid, "add my clip")))
        worker.start()
        time.sleep(0.5)
        r = api.call("POST", "/run_sse", json={"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
                                               "new_message": {"parts": [{"text": "add my clip"}]}})
        assert r.status_code == 409 and r.json()["code"] == 4029
        worker.join(10)
        events = result["events"]
        quiet = [e for e in events[:5]]
        assert all(e is None or e == {"type": "heartbeat"} for e in quiet)  # heartbeats and empty data: lines
        assert None in events and {"type": "heartbeat"} in events
        assert len(api.state(sid)["state"]["draft"]["t"][0]["sg"]) == 1  # ran once
        api.close()


def test_out_of_credits_is_2001_with_registration_link(tmp_path, clip):
    from nemo_nb.local.server import LocalBackend

    with LocalBackend(tmp_path, credits=0) as b:
        api = RawApi(b.url)
        user_id = api.login()["user_id"]
        sid = api.session()
        api.upload(sid, clip)
        r = api.call("POST", "/run_sse", json={"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
                                               "new_message": {"parts": [{"text": "add my clip"}]}})
        body = r.json()
        assert r.status_code == 403 and body["code"] == 2001
        assert body["data"]["registration_url"] == f"{b.url}/register?bind={user_id}"
        assert api.state(sid)["state"]["draft"]["t"] == []
        # a message that costs nothing still works
        assert api.sse(sid, "hello?")
        api.close()


@pytest.mark.parametrize("shape", ["wrapped", "toplevel"])
@pytest.mark.slow
def test_render_poll_shapes(tmp_path, clip, shape):
    from nemo_nb.local.server import LocalBackend

    with LocalBackend(tmp_path, render_shape=shape) as b:
        api = RawApi(b.url)
        api.login()
        sid = api.session()
        api.upload(sid, clip)
        api.sse(sid, "add my clip")
        api.render(sid, "render_shape")
        body = api.wait_render("render_shape")
        if shape == "wrapped":
            assert body["success"] is True and body["data"]["outputUrl"].endswith("render_shape.mp4")
        else:
            assert body["taskId"] == "render_shape" and body["status"] == "completed"
            assert body["output"]["url"].endswith(".mp4") and body["output"]["size"] > 0
            assert abs(body["output"]["duration"] - 3.0) < 0.15
        api.close()


def test_adk_dialect(tmp_path, clip):
    import json

    from nemo_nb.local.server import LocalBackend

    with LocalBackend(tmp_path, sse_dialect="adk") as b:
        api = RawApi(b.url)
        api.login()
        sid = api.session()
        api.upload(sid, clip)
        events = [e for e in api.sse(sid, "add my clip to the timeline") if e]
        parts = [(e["partial"], p) for e in events for p in e["content"]["parts"]]
        assert any(p.get("thought") for _, p in parts)
        deltas = [p["text"] for partial, p in parts if partial and "text" in p and not p.get("thought")]
        finals = [p["text"] for partial, p in parts if not partial and "text" in p]
        assert deltas and finals and "".join(finals) == "".join(deltas)  # finals repeat the whole text
        calls = [(partial, p["functionCall"]) for partial, p in parts if "functionCall" in p]
        assert [c[0] for c in calls] == [True, False] and calls[0][1]["id"] == calls[1][1]["id"]
        responses = [p["functionResponse"] for _, p in parts if "functionResponse" in p]
        assert responses[0]["id"] == calls[0][1]["id"]
        assert all(json.dumps(e) for e in events)
        api.close()


def test_no_end_marker_body_just_ends(api: RawApi, sid: str):
    body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid, "new_message": {"parts": [{"text": "hi"}]}}
    r = api.call("POST", "/run_sse", json=body)
    assert r.headers["content-type"].startswith("text/event-stream")
    lines = [ln for ln in r.text.split("\n") if ln]
    assert all(ln.startswith("data:") for ln in lines)
    assert "[DONE]" not in r.text


def test_health_and_unknown_route(backend):
    assert httpx.get(backend.url + "/").json()["data"]["name"].startswith("nemo-nb")
    assert httpx.get(backend.url + "/nope").status_code == 404
