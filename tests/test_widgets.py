"""The widgets' Python side, without a browser: actions as the browser sends them, state from the loop
thread, redraw rate, uploads in chunks, hostile files, snapshots, and no token anywhere.
(tests/test_browser.py drives the same widgets in a real browser.)"""
from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from untrusted import check_output

from nemo_nb.draft import Draft
from nemo_nb.notebook.controller import NotebookSession

pytest.importorskip("anywidget")
from nemo_nb.widgets import CompareWidget, Studio, TimelineWidget
from nemo_nb.widgets.base import WIDGET_VIEW


def wait_for(predicate, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def browser_sends(widget, content: dict, buffers: list | None = None) -> None:
    """What a custom message from the browser does (the comm's handler, on the kernel's main thread)."""
    widget._on_msg(widget, content, buffers or [])


def token_of(controller: NotebookSession) -> str:
    return controller.client.aio.identity._token


def everything_shown(widget) -> str:
    state = widget.get_state()
    return json.dumps({k: v for k, v in state.items() if not isinstance(v, (bytes, memoryview))}, default=str) + \
        json.dumps(widget.bundle(), default=str)


def test_importing_the_draft_or_the_package_loads_no_widget():
    code = ("import sys, nemo_nb, nemo_nb.draft, nemo_nb.widgets; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('anywidget', 'ipywidgets', 'IPython')"
            " or m.startswith('nemo_nb.widgets.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]", out


def test_studio_turn_streams_from_the_loop_thread_and_ends_exact(controller):
    s = controller.session()
    controller.upload(s, ["clip.mp4"])
    studio = Studio(controller)
    wait_for(lambda: "credits available" in studio.credits)
    threads: set[str] = set()
    studio.observe(lambda change: threads.add(threading.current_thread().name), names=["reply"])
    browser_sends(studio, {"type": "send", "text": "add my clip to the timeline"})
    assert studio.busy and studio.prompt == "add my clip to the timeline"  # the handler returned at once
    browser_sends(studio, {"type": "send", "text": "a second message while busy"})  # ignored, never queued
    wait_for(lambda: not studio.busy)
    assert studio.status == "done · 1 credit used" and not studio.error
    assert studio.reply == studio.last_reply.text and studio.reply.startswith("Adding clip.mp4 to the timeline")
    assert "nemo-nb-loop" in threads  # updated from the client's loop thread
    assert [t["name"] for t in studio.tools] == ["add_to_timeline"]
    assert studio.summary == "Timeline (1 track): 1. Video: clip.mp4 (0-3s)" and studio.rows[0]["label"] == "clip.mp4"
    assert studio.credits.startswith("99 credits")
    browser_sends(studio, {"type": "undo"})
    wait_for(lambda: not studio.busy)
    assert studio.history[-1]["prompt"] == "add my clip to the timeline" and studio.prompt == "undo"
    assert studio.lanes == [] and "empty" in studio.summary
    assert token_of(controller) not in everything_shown(studio)


@pytest.mark.slow
def test_redraws_stay_under_ten_a_second_with_exact_final_text(controller, monkeypatch):
    from nemo_nb.local import agent as agent_module

    original, chunks = agent_module.Agent.plan, 3000

    def plan(self, text, ctx):
        if not text.startswith("BENCH"):
            return original(self, text, ctx)

        async def run(_ctx):
            import asyncio

            for i in range(chunks):
                yield {"type": "text", "content": f"w{i} "}
                if i % 100 == 0:
                    await asyncio.sleep(0.02)

        return agent_module.Plan("help", 0, run)

    monkeypatch.setattr(agent_module.Agent, "plan", plan)
    studio = Studio(controller)
    wait_for(lambda: bool(studio.credits))
    times: list[float] = []
    studio.observe(lambda change: times.append(time.monotonic()), names=["reply"])
    studio.send_message("BENCH stream").result(timeout=60)
    wait_for(lambda: not studio.busy)
    expected = "".join(f"w{i} " for i in range(chunks)).strip()
    assert studio.reply == expected
    worst = max(sum(1 for u in times if t <= u < t + 1.0) for t in times)
    assert worst <= 10, (worst, len(times))


def test_upload_in_chunks_with_progress_then_into_the_session(controller, tmp_path, clip):
    studio = Studio(controller, upload_dir=tmp_path / "incoming")
    studio.chunk_bytes = 16_384
    sent: list[dict] = []
    studio.send = lambda content, buffers=None: sent.append(content)  # what goes back to the browser
    progress: list[float] = []
    studio.observe(lambda change: progress.append(change["new"]), names=["upload_progress"])
    data = clip.read_bytes()
    browser_sends(studio, {"type": "upload_begin", "name": "../../my clip.mp4", "size": len(data)})
    for off in range(0, len(data), studio.chunk_bytes):
        browser_sends(studio, {"type": "upload_chunk", "offset": off}, [memoryview(data[off:off + studio.chunk_bytes])])
    assert sent[-1] == {"type": "upload_ack", "received": len(data)} and len(sent) == 1 + -(-len(data) // 16_384)
    wait_for(lambda: studio.upload_label.startswith("Uploaded"))
    arrived = tmp_path / "incoming" / "my clip.mp4"  # the folders in the name were dropped
    assert arrived.read_bytes() == data and not list((tmp_path / "incoming").glob("*.part"))
    shown = [p for p in progress if p >= 0]
    assert shown == sorted(shown) and shown[-1] == 1.0 and any(0 < p < 0.5 for p in shown) and progress[-1] == -1
    s = controller.session()
    assert controller.uploads[s.id] == [arrived.resolve()]
    assert s.state().video_infos[0]["filename"] == "my clip.mp4"  # the backend shows the name as it was given


@pytest.mark.parametrize(("name", "size", "extra", "says"), [
    ("notes.exe", 10, b"", "notes.exe is not a supported type"),
    ("huge.mp4", 10**12, b"", "huge.mp4 is 1000000 MB"),
    ("liar.mp4", 4, b"more than four", "more bytes arrived than announced"),
])
def test_hostile_uploads_fail_as_one_line_errors(controller, tmp_path, name, size, extra, says):
    studio = Studio(controller, upload_dir=tmp_path / "incoming")
    studio.send = lambda content, buffers=None: None
    browser_sends(studio, {"type": "upload_begin", "name": name, "size": size})
    if extra:
        browser_sends(studio, {"type": "upload_chunk", "offset": 0}, [extra])
    assert says in studio.error and "\n" not in studio.error and "Traceback" not in studio.error
    incoming = tmp_path / "incoming"
    assert (list(incoming.glob("*")) if incoming.exists() else []) == []  # nothing kept, not even a .part


def studio_after(controller: NotebookSession, *asks: str) -> Studio:
    """A studio on the current session with clip.mp4 uploaded, once each request's turn has ended."""
    controller.upload(controller.session(), ["clip.mp4"])
    studio = Studio(controller)
    for ask in asks:
        studio.send_message(ask).result(timeout=60)
        wait_for(lambda: not studio.busy)
    return studio


@pytest.mark.slow
def test_export_progress_video_cancel_and_snapshot(controller, tmp_path):
    studio = studio_after(controller, "add my clip to the timeline")
    progress: list[float] = []
    studio.observe(lambda change: progress.append(change["new"]), names=["export_progress"])
    browser_sends(studio, {"type": "export"})
    wait_for(lambda: bool(studio.video), timeout=120)
    assert progress[0] == 0 and progress[-1] == -1 and 1.0 in progress
    assert studio.video == Path(studio.last_export.path).read_bytes() and studio.video_name.endswith(".mp4")
    bundle = studio.bundle()
    html = bundle["text/html"]
    assert WIDGET_VIEW in bundle and bundle[WIDGET_VIEW]["model_id"] == studio.model_id
    assert "<style" not in html and "<script" not in html and "<svg" not in html
    assert "Adding clip.mp4 to the timeline" in html and 'class="nemo-timeline-png"' in html
    assert 'class="nemo-poster"' in html and base64.b64decode(bundle["image/png"]).startswith(b"\x89PNG")
    check_output(*studio._repr_mimebundle_())  # as an untrusted frontend, GitHub or nbviewer gets it
    assert "Adding clip.mp4" in bundle["text/plain"] and token_of(controller) not in everything_shown(studio)


@pytest.mark.slow
def test_quick_look_plays_a_preview_marked_as_one_then_export_replaces_it(controller):
    from nemo_nb.local.media.probe import probe

    studio = studio_after(controller, "add my clip to the timeline", "make it 9:16")
    labels: list[str] = []
    studio.observe(lambda change: labels.append(change["new"]), names=["export_label"])
    browser_sends(studio, {"type": "preview"})
    wait_for(lambda: bool(studio.video), timeout=120)
    look = studio.last_export
    assert look.preview and look.path.name.endswith(".preview.mp4") and studio.video == look.path.read_bytes()
    assert studio.video_preview and studio.video_name == look.path.name
    assert labels[0].startswith("Rendering a preview") and studio.export_label.startswith("Preview (not the final")
    info = probe(look.path)
    assert info.height > info.width and min(info.width, info.height) <= 540
    snapshot = studio.bundle()
    assert "Preview (not the final export)" in snapshot["text/plain"]
    assert "Preview (not the final export)" in snapshot["text/html"]

    browser_sends(studio, {"type": "export"})
    wait_for(lambda: studio.last_export is not look and studio.export_progress < 0, timeout=120)
    final = studio.last_export
    assert not final.preview and not studio.video_preview and studio.video == final.path.read_bytes()
    assert not final.path.name.endswith(".preview.mp4") and "Preview" not in studio.export_label
    assert (probe(final.path).width, probe(final.path).height) == (1080, 1920)


def test_session_picker_follows_the_controller_both_ways(controller):
    studio = Studio(controller)
    first = controller.current_id
    other = controller.new("other")
    assert studio.session_id == other.id and {r["id"] for r in studio.sessions} >= {first, other.id}
    browser_sends(studio, {"type": "use", "id": first})
    assert controller.current_id == first and studio.session_id == first
    browser_sends(studio, {"type": "use", "id": "nosuch"})
    assert "Unknown session 'nosuch'" in studio.error and controller.current_id == first
    browser_sends(studio, {"type": "new"})
    assert studio.session_id == controller.current_id != first


def test_frontend_updates_and_loop_thread_updates_do_not_race(controller):
    studio = Studio(controller)
    stop = threading.Event()

    def from_the_loop() -> None:
        i = 0
        while not stop.is_set():
            studio.update(reply=f"r{i}", status=f"s{i}")
            i += 1

    worker = threading.Thread(target=from_the_loop)
    worker.start()
    try:
        for i in range(300):
            studio.set_state({"position": float(i), "selected": -1})
    finally:
        stop.set()
        worker.join()
    assert studio.position == 299.0 and studio.reply.startswith("r")


def test_timeline_widget_rows_and_snapshot():
    draft = Draft({"t": [
        {"tt": 0, "sg": [{"k": "video", "st": 0, "d": 3000, "n": "a.mp4"}]},
        {"tt": 7, "sg": [{"k": "title", "st": 500, "d": 1000, "tx": "<b>Launch</b>"}]},
    ]})
    widget = draft.widget()
    assert isinstance(widget, TimelineWidget) and widget.duration == 3.0
    assert [lane["label"] for lane in widget.lanes] == ["1 Video", "2 Title"]
    assert widget.lanes[1]["segments"][0] == {"n": 1, "start": 0.5, "end": 1.5, "label": "<b>Launch</b>",
                                              "colour": "#c2542e"}
    assert widget.rows == draft.segments_df().astype(object).where(draft.segments_df().notna(), None).to_dict("records")
    widget.set_state({"selected": 1, "position": 1.25})
    assert widget.selected == 1 and widget.position == 1.25
    data = widget.bundle()
    assert "<b>" not in data["text/html"] and "&lt;b&gt;Launch" in data["text/html"]  # user text escaped
    assert "<script" not in data["text/html"] and data["image/png"] and data["text/plain"] == draft.summary()
    check_output(*widget._repr_mimebundle_())


@pytest.mark.slow
def test_compare_widget_continue_with_a_variant(controller):
    base = controller.session()
    controller.upload(base, ["clip.mp4"])
    from nemo_nb.notebook.compare import CompareResult

    result = CompareResult.of(controller.compare(["add my clip to the timeline", "hello"], base), limit_mb=10)
    widget = CompareWidget(result, controller=controller)
    assert [v["prompt"] for v in widget.variants] == ["add my clip to the timeline", "hello"]
    assert widget.videos[0] == result.variants[0].export.path.read_bytes() and widget.videos[1] == b""
    assert widget.current == base.id
    browser_sends(widget, {"type": "continue", "index": 1})
    assert controller.current_id == result.variants[1].session_id == widget.current
    html = widget.bundle()["text/html"]
    assert html.count('class="nemo-variant"') == 2 and "<script" not in html
    check_output(*widget._repr_mimebundle_())
    assert token_of(controller) not in everything_shown(widget)


def test_nemo_studio_magic_shows_the_widget_with_a_snapshot(backend, tmp_path, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    from nemo_nb.notebook import get_magics

    monkeypatch.chdir(tmp_path)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nemo_nb")
    try:
        assert ip.run_cell(f"%nemo connect --url {backend.url}").success
        with capture_output(display=True) as cap:
            assert ip.run_cell("%nemo studio --out st").success
        data = cap.outputs[-1].data
        assert WIDGET_VIEW in data and "Nemo studio" in data["text/html"] and "<style" not in data["text/html"]
        studio = ip.user_ns["st"]
        assert studio.controller is get_magics(ip).controller and studio.session_id == studio.controller.current_id
        s = studio.controller.session()
        assert s.studio().controller is studio.controller  # s.studio(): the same controller
    finally:
        ip.run_line_magic("nemo", "disconnect")
        ip.run_line_magic("unload_ext", "nemo_nb")
