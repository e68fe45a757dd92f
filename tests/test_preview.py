"""Preview renders (our extension, ``output.preview``) through the client and the embedded backend over HTTP:
small, quick, named and marked as previews, never mistaken for the final export."""
from __future__ import annotations

import pytest

from nemo_nb import Nemo, samples
from nemo_nb.api import Timings
from nemo_nb.api.renders import preview_path
from nemo_nb.local.media.probe import probe

FAST = Timings(render_poll_min_s=0.05, render_poll_max_s=0.2)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def big_clip(tmp_path_factory: pytest.TempPathFactory):
    """A 2 s 1280x720 30 fps clip with sound: larger than a preview in every way."""
    return samples.make_clip(tmp_path_factory.mktemp("preview") / "big.mp4", seconds=2, width=1280, height=720,
                             fps=30)


@pytest.fixture
def nemo(backend):
    n = Nemo(backend.url, web_url=backend.url, timings=FAST)
    yield n
    n.close()


@pytest.mark.parametrize(("asks", "size", "full_size"), [
    ([], (960, 540), (1280, 720)),
    (['add a title "Preview" at the top for 1 second'], (960, 540), (1280, 720)),
    (["make it 9:16"], (540, 960), (1080, 1920)),
])
def test_preview_is_small_quick_and_marked(nemo, big_clip, tmp_path, asks, size, full_size):
    s = nemo.session()
    s.upload(big_clip)
    s.send("add my clip to the timeline")
    for ask in asks:
        s.send(ask)
    seen: list[float] = []
    look = s.export(tmp_path / "cut.mp4", progress=seen.append, preview=True)
    assert look.preview and look.path == tmp_path / "cut.preview.mp4" and look.path.is_file()
    assert "preview" in str(look) and look.url.endswith(".preview.mp4")
    assert not (tmp_path / "cut.mp4").exists()
    info = probe(look.path)
    assert (info.width, info.height) == size and info.fps <= 15
    assert info.duration_s == pytest.approx(2.0, abs=0.15) and info.has_audio
    assert seen[-1] == 100

    final = s.export(tmp_path / "cut.mp4")
    assert not final.preview and final.path == tmp_path / "cut.mp4" and final.url.endswith(f"/{final.render_id}.mp4")
    full = probe(final.path)
    assert (full.width, full.height) == full_size and full.fps == 30


def test_preview_of_a_small_clip_keeps_its_size(nemo, silent_clip, tmp_path):
    s = nemo.session()
    s.upload(silent_clip)
    s.send("add my clip to the timeline")
    look = s.export(tmp_path / "small.preview.mp4", preview=True)
    assert look.path == tmp_path / "small.preview.mp4"  # already named as a preview: kept
    info = probe(look.path)
    assert (info.width, info.height) == (320, 240)


def test_preview_option_must_be_a_boolean(api, sid, clip):
    api.upload(sid, clip)
    api.sse(sid, "add my clip to the timeline")
    draft = api.state(sid)["state"]["draft"]
    for bad in ("yes", 1, None, [True]):
        r = api.call("POST", "/api/render/proxy/lambda",
                     json={"id": f"bad_{type(bad).__name__}", "sessionId": sid, "draft": draft,
                           "output": {"format": "mp4", "preview": bad}})
        if bad is None:  # absent and null both mean "not a preview"
            assert r.status_code == 200
            continue
        assert r.status_code == 400 and "preview" in r.json()["message"]


def test_preview_path_names():
    from pathlib import Path

    assert preview_path("a/clip.mp4") == Path("a/clip.preview.mp4")
    assert preview_path("clip.preview.mp4") == Path("clip.preview.mp4")
    assert preview_path("clip") == Path("clip.preview.mp4")


def test_a_status_poll_is_answered_when_the_render_ends(api, sid, clip):
    """The embedded backend holds a poll of an unfinished render (up to a second) and answers the moment the
    render ends, so a quick export never waits for the client's next poll."""
    api.upload(sid, clip)
    api.sse(sid, "add my clip to the timeline")
    api.sse(sid, "mute the original audio")  # the picture is copied: a render well under a second
    assert api.render(sid, "quick_one").status_code == 200
    first = api.call("GET", "/api/render/proxy/lambda/quick_one").json()["data"]
    assert first["status"] == "completed", first


def test_previews_decode_a_small_proxy_made_after_the_upload(nemo, backend, big_clip, tmp_path):
    """A large upload gets a small copy in the background; previews read it, final exports never do."""
    from media_helpers import ffmpeg, frame

    from nemo_nb.local.media.proxy import PROXY_NAME, maker

    s = nemo.session()
    uploaded = s.upload(big_clip)[0]
    assert maker().wait_idle(120)
    proxy = backend.data_dir / "media" / uploaded.media_id / PROXY_NAME
    assert (proxy.parent / uploaded.filename).is_file() and proxy.is_file()
    small = probe(proxy)
    assert min(small.width, small.height) <= 540 and small.fps <= 15 and small.has_audio
    assert small.duration_s == pytest.approx(2.0, abs=0.1)
    # Swap the proxy for a red picture of the same length: a preview shows red, a final export the clip.
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=960x540:r=15:d=2", "-f", "lavfi", "-i", "sine=d=2", "-c:v",
           "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(proxy))
    s.send("add my clip to the timeline")
    look = s.export(tmp_path / "cut.mp4", preview=True)
    final = s.export(tmp_path / "cut.mp4")
    red = frame(look.path, 1.0).mean(axis=(0, 1))
    assert red[0] > 200 and red[1] < 40 and red[2] < 40
    assert abs(frame(final.path, 1.0).mean(axis=(0, 1))[0] - red[0]) > 40


def test_the_render_log_says_how_the_picture_was_made(api, sid, clip, caplog):
    import logging

    api.upload(sid, clip)
    api.sse(sid, "add my clip to the timeline")
    api.sse(sid, "make it 9:16")
    with caplog.at_level(logging.INFO, logger="nemo_nb.local"):
        assert api.render(sid, "logged_one").status_code == 200
        assert api.wait_render("logged_one")["data"]["status"] == "completed"
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("render logged_one: ")]
    expected = ("render logged_one: picture encoded; picture encoded in full: the canvas (1080x1920) differs "
                "from the source (320x240)")
    assert lines == [expected]


def test_a_preview_is_judged_at_its_own_size(tmp_path, big_clip):
    """A backend that refuses a 720p render (4006) still makes a 540p preview of it."""
    from rawapi import RawApi

    from nemo_nb.local.server import LocalBackend

    with LocalBackend(tmp_path / "data", tokens_per_ip=100, max_render_pixels=600_000) as b:
        api = RawApi(b.url)
        api.login()
        sid = api.session()
        api.upload(sid, big_clip)
        api.sse(sid, "add my clip to the timeline")
        draft = api.state(sid)["state"]["draft"]
        refused = api.render(sid, "too_big", draft)
        assert refused.status_code == 422 and refused.json()["code"] == 4006
        accepted = api.call("POST", "/api/render/proxy/lambda",
                            json={"id": "small_look", "sessionId": sid, "draft": draft,
                                  "output": {"format": "mp4", "preview": True}})
        assert accepted.status_code == 200, accepted.text
        assert api.wait_render("small_look")["data"]["status"] == "completed"
        api.close()


def test_the_openapi_document_describes_previews(api, sid, clip):
    """``output.preview`` and the status's ``preview`` are in the document, marked as our extension, and a
    preview's live status conforms to it."""
    import jsonschema

    from nemo_nb.local.openapi import document

    doc = document()
    request = doc["paths"]["/api/render/proxy/lambda"]["post"]["requestBody"]["content"]["application/json"]
    preview = request["schema"]["properties"]["output"]["properties"]["preview"]
    assert preview["type"] == "boolean" and preview["x-nemo-extension"] is True
    wrapped = doc["components"]["schemas"]["RenderWrapped"]
    assert wrapped["properties"]["data"]["properties"]["preview"] == preview
    assert doc["components"]["schemas"]["RenderTopLevel"]["properties"]["preview"] == preview

    api.upload(sid, clip)
    api.sse(sid, "add my clip to the timeline")
    draft = api.state(sid)["state"]["draft"]
    r = api.call("POST", "/api/render/proxy/lambda",
                 json={"id": "documented_look", "sessionId": sid, "draft": draft, "output": {"preview": True}})
    assert r.status_code == 200
    body = api.wait_render("documented_look")
    assert body["data"]["preview"] is True
    view = doc["paths"]["/api/render/proxy/lambda/{rid}"]["get"]["responses"]["200"]["content"]["application/json"]
    validator = jsonschema.Draft202012Validator({**view["schema"], "components": doc["components"]})
    validator.validate(body)
    with pytest.raises(jsonschema.ValidationError):
        validator.validate({**body, "data": {**body["data"], "preview": "yes"}})
