"""The notebook session controller (plain Python, no IPython) and compare as client API, against the
embedded backend over HTTP."""
from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from nemo_nb.api import AsyncNemo, Comparison, Nemo, Session
from nemo_nb.notebook.controller import NotebookSession, controller_for, expand_paths
from nemo_nb.notebook.errors import NemoCellError


def test_the_controller_imports_no_ipython():
    code = ("import sys, nemo_nb.notebook.controller, nemo_nb.api.compare; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('IPython', 'ipywidgets', 'anywidget')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_sessions_names_current_and_uploads(controller, tmp_path):
    first = controller.session()
    assert controller.connected and controller.current_id == first.id
    assert controller.label(first) == f"session {first.id}"
    heard: list[str] = []
    controller.listeners.append(heard.append)
    named = controller.new("alpha")
    assert controller.current_id == named.id and controller.label(named) == f"session {named.id} (alpha)"
    with pytest.raises(NemoCellError, match="already named 'alpha'"):
        controller.new("alpha")
    assert controller.use(first.id) is first and controller.current_id == first.id
    assert controller.session("alpha") is named  # by name, without changing the current one
    assert controller.current_id == first.id
    with pytest.raises(NemoCellError, match="Unknown session 'nosuch'"):
        controller.resolve("nosuch")
    with pytest.raises(NemoCellError, match="Unknown session '999999999'"):
        controller.resolve("999999999")  # asked the server, which does not know it
    files = controller.upload(first, ["*.mp4"])  # globs expand
    assert [f.filename for f in files] == ["clip.mp4"]
    assert controller.uploads[first.id] == [(tmp_path / "clip.mp4").resolve()]
    rows = {r.id: r for r in controller.rows()}
    assert rows[first.id].current and rows[first.id].uploads == ("clip.mp4",) and rows[named.id].name == "alpha"
    assert "sessions" in heard and "current" in heard
    assert controller.template("hi {{who}} {\"a\": 1}", {"who": "there"}) == 'hi there {"a": 1}'
    assert expand_paths(["[literal].mp4"]) == [Path("[literal].mp4")]  # no match: taken as it is


def test_send_status_export_and_the_non_blocking_twins(controller, tmp_path):
    s = controller.new()
    controller.upload(s, ["clip.mp4"])
    events: list[object] = []
    future = controller.start_send(s, "add my clip to the timeline", events.append)
    reply = future.result(timeout=60)
    assert controller.last_prompt == "add my clip to the timeline"
    assert reply.credits_used == 1 and events and reply.draft_after.is_renderable
    assert controller.status(s).draft == reply.draft_after
    path = controller.export_path(s, "out.mp4")
    pct: list[float] = []
    export = controller.start_export(s, path, pct.append).result(timeout=120)
    assert export.path == path and path.stat().st_size == export.size and pct[-1] == 100
    assert s.pending_export() is None
    default = controller.export_path(s)
    assert default.parent == tmp_path / "exports" and default.name.startswith(f"nemo_{s.id}_")


@pytest.mark.slow
def test_cancel_export_stops_the_render_on_the_server(backend, controller, tmp_path):
    from nemo_nb import samples

    s = controller.new()
    long_clip = samples.make_clip(tmp_path / "long.mp4", seconds=20)  # re-encoded to 9:16: many seconds of work
    controller.upload(s, [str(long_clip)])
    controller.send(s, "add my clip to the timeline")
    controller.send(s, "make it 9:16 and fill")  # a re-encode: long enough to cancel
    polled = threading.Event()  # the render was submitted and its progress read once: it is on the server
    running = controller.start_export(s, tmp_path / "never.mp4", lambda pct: polled.set())
    assert polled.wait(30)
    assert s.pending_export() == tmp_path / "never.mp4"
    assert controller.start_cancel_export(s, running).result(timeout=30) is True
    assert running.cancelled() and s.pending_export() is None
    assert not (tmp_path / "never.mp4").exists()
    assert s.cancel_export() is False  # nothing left to cancel


@pytest.mark.slow
def test_compare_is_client_api(backend, tmp_path, clip):
    with Nemo(backend.url) as nemo:
        heard: list[tuple[int, str]] = []
        result = nemo.compare(["add my clip to the timeline", "what is the capital of France?"], [clip],
                              export_dir=tmp_path / "cmp", notify=lambda i, s: heard.append((i, s)))
        assert isinstance(result, Comparison) and not result.failed
        assert all(isinstance(v.session, Session) and v.session.id == v.session_id for v in result.variants)
        assert [v.credits_used for v in result.variants] == [1, 0] and result.credits_total == 1
        assert result.variants[0].export.path.is_file() and result.variants[1].export is None
        assert {i for i, _ in heard} == {0, 1} and any(s.startswith("done in") for _, s in heard)
        assert list(result.df["variant"]) == [1, 2] and result.media == ["clip.mp4"]


def test_send_reports_when_the_server_accepted_the_message(backend):
    import asyncio

    async def go() -> list[str]:
        order: list[str] = []
        async with AsyncNemo(backend.url) as nemo:
            s = await nemo.session()
            await s.send("hello", lambda e: order.append("event"), on_accepted=lambda: order.append("accepted"))
        return order

    order = asyncio.run(go())
    assert order[0] == "accepted" and order.count("accepted") == 1 and "event" in order


def test_compare_through_the_controller_names_the_variants(controller):
    base = controller.new("cmpbase")
    controller.upload(base, ["clip.mp4"])
    result = controller.compare(["add my clip to the timeline", "add my clip to the timeline"], base, export=False)
    names = {controller.name_of(v.session_id) for v in result.variants}
    assert names == {"compare-1", "compare-2"} and controller.current_id == base.id
    assert all(controller.uploads[v.session_id] == controller.uploads[base.id] for v in result.variants)
    assert controller.use("compare-2").id == result.variants[1].session_id
    again = controller.compare(["add my clip to the timeline"], base, export=False)
    assert controller.name_of(again.variants[0].session_id) == "compare-3"


def test_a_session_made_in_python_is_adopted(backend):
    with Nemo(backend.url) as nemo:
        s = nemo.session()
        c = controller_for(s)
        assert c.client is nemo and c.current_id == s.id and not c.is_local
        assert controller_for(s) is c  # the same controller the next time
        assert nemo.local_data_dir is None and nemo.skill == "nemo-nb"


def test_without_a_connection_the_controller_says_what_to_do():
    c = NotebookSession()
    for call in (c.session, c.credits, c.new, c.rows):
        with pytest.raises(NemoCellError, match="Not connected"):
            call()
    with pytest.raises(NemoCellError, match="not both"):
        c.connect(local=True, url="http://127.0.0.1:9")
