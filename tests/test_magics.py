"""The %nemo magics in an IPython shell (no kernel) against the embedded backend over HTTP.

Every cell's display output is captured (``capture_output``: the live display, each update, and the
final static bundle), and every captured byte is checked for the client's token.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from untrusted import assert_ticks, check_output, decode_png

from nemo_nb import samples
from nemo_nb.api import Reply
from nemo_nb.api.events import Heartbeat, TextEvent, ToolCall, ToolResult
from nemo_nb.draft import Draft
from nemo_nb.notebook import get_magics as loaded_magics
from nemo_nb.notebook._fmt import esc
from nemo_nb.notebook.errors import NemoCellError
from nemo_nb.notebook.live import LiveReply
from nemo_nb.notebook.magics import NemoMagics, substitute

pytest.importorskip("IPython")
SEEN: list[str] = []  # every output of the module, for the final token check
SHOWN: list[tuple[str, dict[str, Any], dict[str, Any]]] = []  # (cell, data, metadata) of every display
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@dataclass
class Run:
    result: Any
    stdout: str
    outputs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.result.success)

    @property
    def final(self) -> dict[str, Any]:
        return self.outputs[-1]["data"] if self.outputs else {}

    def text(self) -> str:
        parts = [self.stdout]
        for out in self.outputs:
            parts += [v if isinstance(v, str) else repr(v) for v in out["data"].values()]
        return "\n".join(parts)


def run(ip, code: str) -> Run:
    from IPython.utils.capture import capture_output

    with capture_output(display=True) as cap:
        result = ip.run_cell(code)
    outputs = [{"data": o.data, "metadata": o.metadata, "update": o.update, "transient": o.transient}
               for o in cap.outputs]
    r = Run(result, cap.stdout + cap.stderr, outputs)
    SEEN.append(r.text())
    SHOWN.extend((code, o["data"], o["metadata"]) for o in outputs)
    token = _token(ip)
    if token:
        assert token not in r.text(), f"the token leaked into the output of {code!r}"
    assert "clm_" not in r.text(), f"a claim token leaked into the output of {code!r}"
    return r


def _token(ip) -> str | None:
    m = loaded_magics(ip)
    return m.controller.client.aio.identity._token if m is not None and m.controller.client is not None else None


def failed_short(r: Run, *words: str) -> None:
    """The cell failed with a short message (no traceback) that contains ``words``."""
    assert not r.ok, r.text()
    assert isinstance(r.result.error_in_exec, NemoCellError), repr(r.result.error_in_exec)
    assert "Traceback" not in r.stdout, r.stdout
    lines = [line for line in r.stdout.strip().splitlines() if line.strip()]
    assert 1 <= len(lines) <= 2, r.stdout
    for word in words:
        assert word in r.stdout, (word, r.stdout)


@pytest.fixture(scope="module")
def shell():
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nemo_nb")
    yield ip
    ip.run_line_magic("unload_ext", "nemo_nb")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    root = tmp_path_factory.mktemp("magics")
    ns = SimpleNamespace(root=root, data=root / "data", config=root / "config", work=root / "work")
    ns.work.mkdir()
    ns.clip = samples.make_clip(ns.work / "clip.mp4", seconds=2)
    (ns.work / "notes.exe").write_text("not a video")
    return ns


@pytest.fixture
def ip(shell, env, monkeypatch):
    monkeypatch.setenv("NEMO_CONFIG_DIR", str(env.config))  # one client id for the module: one token
    monkeypatch.chdir(env.work)
    shell.run_line_magic("config", f"NemoMagics.export_dir = {str(env.work / 'exports')!r}")
    return shell


@pytest.fixture
def connected(ip, env):
    if loaded_magics(ip).controller.client is None:
        r = run(ip, f"%nemo connect --local --data-dir {env.data}")
        assert r.ok, r.text()
    return ip


def fresh_session(ip, name: str, upload: bool = True) -> None:
    assert run(ip, f"%nemo new {name}").ok
    if upload:
        assert run(ip, "%nemo upload clip.mp4").ok


# -- no connection, usage --------------------------------------------------------------------------
def test_without_a_connection_every_magic_fails_short(ip):
    run(ip, "%nemo disconnect")
    for code in ("%nemo status", "%nemo credits", "%nemo upload clip.mp4", "%nemo export", "%nemo new",
                 "%nemo sessions", "%%nemo\nadd my clip to the timeline", "%%nemo compare\na\nb"):
        failed_short(run(ip, code), "Not connected", "%nemo connect --local")


def test_help_and_unknown_commands(ip):
    r = run(ip, "%nemo help")
    assert r.ok and "%nemo connect" in r.final["text/plain"] and "%%nemo compare" in r.final["text/plain"]
    failed_short(run(ip, "%nemo sesions"), "Unknown command 'sesions'", "Commands:")
    failed_short(run(ip, "%nemo please add a title"), "Unknown command", "%%nemo")
    failed_short(run(ip, "%nemo export --bogus"), "unrecognized arguments: --bogus", "Usage:")
    failed_short(run(ip, "%nemo connect --local --url http://x"), "not both")
    failed_short(run(ip, "%nemo connect --skill nope"), "Unknown skill 'nope'", "ai-voiceover-for")


# -- connect, sessions -----------------------------------------------------------------------------
def test_connect_local_starts_the_embedded_backend(connected, env):
    m = loaded_magics(connected)
    assert m.controller.is_local and m.controller.client.api_url.startswith("http://127.0.0.1:")
    r = run(connected, "%nemo sessions")
    assert r.ok and "▶" in r.final["text/plain"]
    run(connected, "%nemo disconnect")
    r = run(connected, f"%nemo connect --local --data-dir {env.data} --language en")
    assert r.ok
    assert "embedded backend" in r.final["text/plain"] and "is in use" in r.final["text/html"]
    assert (env.data / "nemo.sqlite3").exists()


def test_connect_url_talks_to_a_running_backend(ip, backend):
    m = loaded_magics(ip)
    try:
        r = run(ip, f"%nemo connect --url {backend.url} --skill ai-voiceover-for")
        assert r.ok, r.text()
        assert backend.url in r.final["text/plain"] and "ai-voiceover-for" in r.final["text/plain"]
        assert not m.controller.is_local and m.controller.client.local_data_dir is None
        assert run(ip, "%nemo credits").ok
    finally:
        run(ip, "%nemo disconnect")


def test_new_use_sessions_and_unknown_sessions(connected):
    assert run(connected, "%nemo new alpha --out s_alpha").ok
    alpha = connected.user_ns["s_alpha"].id
    assert run(connected, "%nemo new beta").ok
    failed_short(run(connected, "%nemo new beta"), "already named 'beta'")
    r = run(connected, "%nemo use alpha")
    assert r.ok and alpha in r.final["text/plain"]
    assert loaded_magics(connected).controller.current_id == alpha
    r = run(connected, "%nemo sessions")
    assert "alpha" in r.final["text/html"] and "beta" in r.final["text/html"]
    failed_short(run(connected, "%nemo use nosuch"), "Unknown session 'nosuch'", "%nemo sessions")
    failed_short(run(connected, "%nemo use 1234567890"), "Unknown session '1234567890'")  # asked the server
    failed_short(run(connected, "%%nemo --session nosuch\nadd my clip to the timeline"), "Unknown session")
    r = run(connected, "%%nemo --session beta --out on_beta\nstatus")  # another session, by name
    assert r.ok and connected.user_ns["on_beta"].session_id != alpha and "(beta)" in r.final["text/plain"]
    assert run(connected, f"%nemo use {alpha}").ok


# -- uploads -----------------------------------------------------------------------------------------
def test_upload_records_files_and_fails_short_on_bad_paths(connected, env):
    assert run(connected, "%nemo new uploads").ok
    r = run(connected, "%nemo upload clip.mp4 --out files")
    assert r.ok, r.text()
    assert "clip.mp4" in r.final["text/plain"] and "320×240" in r.final["text/html"]
    assert connected.user_ns["files"][0].filename == "clip.mp4"
    m = loaded_magics(connected)
    assert m.controller.uploads[m.controller.current_id] == [env.clip.resolve()]
    failed_short(run(connected, "%nemo upload missing.mp4"), "no such file: missing.mp4", "relative to")
    failed_short(run(connected, "%nemo upload notes.exe"), "notes.exe is not a supported type", "Accepted types")
    failed_short(run(connected, "%nemo upload"), "the following arguments are required: paths")


# -- messages ------------------------------------------------------------------------------------------
def test_message_streams_live_then_leaves_static_output(connected):
    fresh_session(connected, "edit")
    r = run(connected, "%%nemo --out reply\nadd my clip to the timeline")
    assert r.ok, r.text()
    first, last = r.outputs[0], r.outputs[-1]
    assert not first["update"] and "nemo-live" in first["data"]["text/html"]
    assert first["transient"].get("display_id") and all(o["update"] for o in r.outputs[1:])
    assert all(o["transient"]["display_id"] == first["transient"]["display_id"] for o in r.outputs)
    reply = connected.user_ns["reply"]
    assert isinstance(reply, Reply) and reply.credits_used == 1 and reply.tool_calls
    data = last["data"]
    assert set(data) >= {"text/plain", "text/html", "text/markdown"}
    assert "nemo-live" not in data["text/html"]  # static now
    assert reply.text in data["text/plain"] and reply.text in data["text/markdown"]
    assert "Adding clip.mp4 to the timeline" in data["text/plain"]
    assert "click" not in data["text/plain"].lower()  # GUI phrases translated
    assert "▸ add_to_timeline ✓" in data["text/plain"]
    assert 'class="nemo-timeline-png"' in data["text/html"]  # the edit's timeline picture, also as image/png
    check_output(data, last["metadata"])
    assert_ticks(decode_png(data["image/png"]), reply.draft_after, (0, 1, 2))
    summary = reply.draft_after.summary()  # the summary line is %nemo status's, not every reply's
    assert summary not in data["text/plain"] and summary not in data["text/markdown"]
    assert len(r.outputs) <= 6


def test_quiet_message_displays_nothing(connected):
    fresh_session(connected, "quiet")
    r = run(connected, "%%nemo --quiet --out q\nadd my clip to the timeline")
    assert r.ok and r.outputs == [] and connected.user_ns["q"].credits_used == 1


def test_unactionable_message_gets_a_free_reply(connected):
    fresh_session(connected, "free")
    r = run(connected, "%%nemo --out h\nwhat is the capital of France?")
    assert r.ok
    assert connected.user_ns["h"].credits_used == 0
    assert "could not act on that" in r.final["text/plain"]


@pytest.mark.slow
def test_cell_routing_credits_status_upload_export(connected):
    fresh_session(connected, "routing", upload=False)
    r = run(connected, "%%nemo --out c\nhow many credits do I have?")
    assert r.ok and "credits available" in r.final["text/plain"]
    assert connected.user_ns["c"].available >= 0
    r = run(connected, "%%nemo --out u\nupload clip.mp4")
    assert r.ok and connected.user_ns["u"][0].filename == "clip.mp4"
    assert run(connected, "%%nemo\nadd my clip to the timeline").ok
    r = run(connected, "%%nemo --out st\nstatus")
    assert r.ok and "nemo-timeline" in r.final["text/html"]
    assert "Video: clip.mp4" in str(connected.user_ns["st"])
    r = run(connected, "%%nemo --out e\nexport")
    assert r.ok and any("<video" in o["data"].get("text/html", "") for o in r.outputs)
    assert connected.user_ns["e"].path.exists()


def test_var_substitution_and_json_braces(connected):
    fresh_session(connected, "vars", upload=False)
    connected.user_ns.update(what="credits", cfg=SimpleNamespace(name="Urban Dreams"), n=3)
    r = run(connected, "%%nemo --out c\n{{ what }}")
    assert r.ok and hasattr(connected.user_ns["c"], "available")  # routed as "credits"
    m = loaded_magics(connected)
    prompt = 'tell me a joke about {{cfg.name}} and {"font": {"size": 42}, "list": [{"a": 1}]} x{{n}}'
    assert run(connected, f"%%nemo --quiet\n{prompt}").ok
    assert m.controller.last_prompt == \
        'tell me a joke about Urban Dreams and {"font": {"size": 42}, "list": [{"a": 1}]} x3'
    assert run(connected, "%%nemo --quiet\nliteral \\{{what}} and {{{\"k\": 1}}}").ok
    assert m.controller.last_prompt == 'literal {{what}} and {{{"k": 1}}}'
    failed_short(run(connected, "%%nemo\nadd {{nothere}} please"), "no variable nothere", "\\{{nothere}}")
    failed_short(run(connected, "%%nemo\n{{cfg.nope}}"), "has no attribute nope")
    failed_short(run(connected, "%%nemo\n   \n"), "The cell is empty")
    assert substitute("{{x}}", {"x": {"a": [1]}}) == '{"a": [1]}'


@pytest.mark.slow
def test_silent_turn_shows_what_changed(ip, env):
    """A backend with the 'silent' fault: the turn edits without text; the output says what changed."""
    run(ip, "%nemo disconnect")
    ip.run_line_magic("config", "NemoMagics.backend_options = {'faults': ['silent']}")
    try:
        assert run(ip, f"%nemo connect --local --data-dir {env.root / 'silent'}").ok
        assert run(ip, "%nemo upload clip.mp4").ok
        r = run(ip, "%%nemo --out s\nadd my clip to the timeline")
        assert r.ok, r.text()
        reply = ip.user_ns["s"]
        assert reply.silent and reply.changes
        for change in reply.changes:  # the changes in plain words, no word about the agent's silence
            assert change in r.final["text/plain"] and esc(change) in r.final["text/html"]
        assert "without a reply" not in r.text() and "The agent" not in r.text()
        r = run(ip, "%%nemo --out quiet_turn\nwhat is the capital of France?")  # silent, and nothing changes
        assert r.ok and ip.user_ns["quiet_turn"].silent and not ip.user_ns["quiet_turn"].changes
        assert ip.user_ns["quiet_turn"].text == "Done. Nothing on the timeline changed."
        assert "Nothing on the timeline changed." in r.final["text/plain"] and "agent" not in r.final["text/plain"]
    finally:
        ip.run_line_magic("config", "NemoMagics.backend_options = {}")
        run(ip, "%nemo disconnect")


@pytest.mark.slow
def test_adk_dialect_streams_the_same_reply(ip, env):
    """The client's ADK path (partial chunks, a final event repeating the text) through the magics."""
    run(ip, "%nemo disconnect")
    ip.run_line_magic("config", "NemoMagics.backend_options = {'sse_dialect': 'adk'}")
    try:
        assert run(ip, f"%nemo connect --local --data-dir {env.root / 'adk'}").ok
        assert run(ip, "%nemo upload clip.mp4").ok
        r = run(ip, "%%nemo --out a\nadd my clip to the timeline")
        assert r.ok, r.text()
        text = ip.user_ns["a"].text
        assert text.startswith("Adding clip.mp4 to the timeline") and text.count("Adding clip.mp4") == 1
        assert text in r.final["text/plain"] and "Planning the edit" not in r.final["text/plain"]  # thought skipped
    finally:
        ip.run_line_magic("config", "NemoMagics.backend_options = {}")
        run(ip, "%nemo disconnect")


def test_lost_session_is_replaced_and_followed(ip, env):
    """1002: the client makes a new session; the cell fails saying so, and the magics follow the new id."""
    run(ip, "%nemo disconnect")
    ip.run_line_magic("config", "NemoMagics.backend_options = {'faults': ['session_lost_once']}")
    try:
        assert run(ip, f"%nemo connect --local --data-dir {env.root / 'lost'}").ok
        m = loaded_magics(ip)
        old = m.controller.current_id
        failed_short(run(ip, "%nemo upload clip.mp4"), f"session {old} was not found", "upload your media again")
        assert run(ip, "%nemo upload clip.mp4").ok
        assert m.controller.current_id != old and m.controller.current_id in m.controller.sessions \
            and old not in m.controller.sessions
        assert m.controller.uploads[m.controller.current_id]
    finally:
        ip.run_line_magic("config", "NemoMagics.backend_options = {}")
        run(ip, "%nemo disconnect")


def test_unreachable_server_fails_short(ip):
    run(ip, "%nemo disconnect")
    failed_short(run(ip, "%nemo connect --url http://127.0.0.1:9"), "Could not reach http://127.0.0.1:9",
                 "--local works offline")
    assert loaded_magics(ip).controller.client is None


# -- status, credits, export -----------------------------------------------------------------------------
def test_status_shows_summary_picture_and_table(connected):
    fresh_session(connected, "status")
    assert run(connected, "%%nemo --quiet\nadd my clip to the timeline").ok
    r = run(connected, "%nemo status --out state")
    assert r.ok
    html = r.final["text/html"]
    assert "Timeline (1 track): 1. Video: clip.mp4 (0-2s)" in html
    assert 'class="nemo-timeline-png"' in html and "<table" in html and "Media: clip.mp4" in html
    pictures = check_output(r.final, r.outputs[-1]["metadata"])  # an <img> and the same PNG as image/png
    assert len(pictures) == 2 and pictures[0].tobytes() == pictures[1].tobytes()
    assert_ticks(pictures[0], connected.user_ns["state"].draft, (0, 1, 2))
    assert "clip.mp4" in r.final["text/plain"] and connected.user_ns["state"].draft.is_renderable


def test_credits(connected):
    r = run(connected, "%nemo credits --out cr")
    assert r.ok and re.search(r"\d+ credits available", r.final["text/plain"])
    assert connected.user_ns["cr"].total >= connected.user_ns["cr"].available


def test_credits_add_on_the_embedded_backend(connected):
    assert run(connected, "%nemo credits --quiet --out before").ok
    before = connected.user_ns["before"]
    r = run(connected, "%nemo credits --add 30 --out after")
    assert r.ok and r.final["text/plain"].startswith("Added 30 credits. Credits: ")
    assert connected.user_ns["after"].available == before.available + 30
    assert run(connected, "%nemo credits --out now").ok and connected.user_ns["now"] == connected.user_ns["after"]
    failed_short(run(connected, "%nemo credits --add 0"), "--add 0", "%nemo credits --add 100")
    failed_short(run(connected, "%nemo credits --add lots"), "invalid int value")


@pytest.mark.slow
def test_export_embeds_small_videos_and_references_big_ones(connected, env, monkeypatch):
    from nemo_nb.notebook.controller import NotebookSession

    monkeypatch.setattr(NotebookSession, "embedded", False)  # the cloud's claim button is shown after exports
    fresh_session(connected, "export")
    assert run(connected, "%%nemo --quiet\nadd my clip to the timeline").ok
    r = run(connected, "%nemo export --to out.mp4 --out ex")
    assert r.ok, r.text()
    assert "nemo-progress" in r.outputs[0]["data"]["text/html"]  # the bar came first
    data = [o for o in r.outputs if "nemo-export" in o["data"].get("text/html", "")][-1]["data"]
    assert "<video" in data["text/html"] and 'src="data:video/mp4;base64,' in data["text/html"]
    assert 'poster="data:image/png;base64,iVBOR' in data["text/html"] and data["image/png"].startswith("iVBOR")
    assert re.search(r'<video [^>]*><img class="nemo-poster"', data["text/html"])  # the poster without <video>
    check_output(data)
    export_out = [o for o in r.outputs if "nemo-export" in o["data"].get("text/html", "")][-1]["data"]
    assert "<video" in export_out["text/html"]
    claim = r.outputs[-1]["data"]  # the claim button: a live widget with a saved snapshot, no link in it
    assert WIDGET_VIEW in claim and "%nemo claim" in claim["text/html"] and "%nemo claim" in claim["text/plain"]
    assert "ct=" not in json.dumps(claim)
    export = connected.user_ns["ex"]
    assert export.path == Path("out.mp4") and (env.work / "out.mp4").stat().st_size == export.size
    assert "2.0 s" in data["text/plain"]

    connected.run_line_magic("config", "NemoMagics.embed_limit_mb = 0")
    try:
        connected.run_line_magic("config", "NemoMagics.claim_link = False")
        r = run(connected, "%nemo export --to sub/dir/big.mp4")
        assert r.ok
        assert 'src="sub/dir/big.mp4"' in r.final["text/html"] and "data:video/mp4" not in r.final["text/html"]
        assert "over the 0 MB embed limit" in r.final["text/plain"]
    finally:
        connected.run_line_magic("config", "NemoMagics.embed_limit_mb = 10.0")
        connected.run_line_magic("config", "NemoMagics.claim_link = True")

    r = run(connected, "%nemo export --resume")  # no pending render: starts a new one in export_dir
    assert r.ok and any("<video" in o["data"].get("text/html", "") for o in r.outputs)
    assert list((env.work / "exports").glob("nemo_*.mp4"))

    monkeypatch.undo()  # connected to the embedded backend: no claim button (claiming is a cloud feature)
    r = run(connected, f"%nemo export --to {env.work / 'again.mp4'}")  # undo() also left the work dir
    assert r.ok and "nemo-export" in r.final["text/html"] and (env.work / "again.mp4").is_file()
    assert not any(WIDGET_VIEW in o["data"] for o in r.outputs) and "laim" not in r.text()


@pytest.mark.slow
def test_preview_shows_a_small_render_marked_as_a_preview(connected, env):
    from nemo_nb.local.media.probe import probe

    fresh_session(connected, "preview")
    assert run(connected, "%%nemo --quiet\nadd my clip to the timeline").ok
    assert run(connected, "%%nemo --quiet\nmake it 9:16").ok
    r = run(connected, "%nemo preview look.mp4 --out pv")
    assert r.ok, r.text()
    assert "Rendering a preview" in r.outputs[0]["data"]["text/plain"]  # the bar came first, saying so
    shown = r.final
    assert "nemo-preview-badge" in shown["text/html"] and ">PREVIEW<" in shown["text/html"]
    assert shown["text/plain"].startswith("Preview ") and "not the final export" in shown["text/plain"]
    assert "**PREVIEW**" in shown["text/markdown"] and "<video" in shown["text/html"]
    assert not any(WIDGET_VIEW in o["data"] for o in r.outputs)  # no claim button under a preview
    pv = connected.user_ns["pv"]
    assert pv.preview and pv.path == Path("look.preview.mp4") and not (env.work / "look.mp4").exists()
    info = probe(env.work / "look.preview.mp4")
    assert info.height > info.width and min(info.width, info.height) <= 540 and info.fps <= 15

    r = run(connected, "%nemo preview --quiet --out pv2")  # no path: the export folder, named as a preview
    assert r.ok and not r.outputs and connected.user_ns["pv2"].path.name.endswith(".preview.mp4")
    assert connected.user_ns["pv2"].path.parent == env.work / "exports"
    r = run(connected, "%nemo export --to final.mp4 --out ex")
    assert r.ok and not connected.user_ns["ex"].preview
    assert "nemo-preview-badge" not in r.text() and "PREVIEW" not in r.text()
    assert "%nemo preview" in run(connected, "%nemo help").text()


def test_claim_button_fetches_the_link_only_when_clicked(connected):
    from nemo_nb.notebook.preview import ClaimButton

    fresh_session(connected, "claim", upload=False)
    r = run(connected, "%nemo claim")  # asked for: shown even on the embedded backend
    assert r.ok and WIDGET_VIEW in r.final and "never saved in the notebook" in r.final["text/plain"]
    assert "%nemo claim" in r.final["text/html"] and "%nemo claim" in r.final["text/plain"]
    assert "ct=" not in json.dumps(r.final)
    session = loaded_magics(connected).controller.sessions[loaded_magics(connected).controller.current_id]
    button = ClaimButton(session.claim_link)
    assert button.link.value == ""
    button._click()
    assert "/workspace/claim?ct=clm_" in button.link.value and 'target="_blank"' in button.link.value
    assert "clm_" not in json.dumps(button._repr_mimebundle_())  # the snapshot never holds it

    def broken() -> str:
        raise RuntimeError("no network <here>")

    failing = ClaimButton(broken)
    failing._click()
    assert "no network &lt;here&gt;" in failing.link.value and not failing.button.disabled


def test_export_of_an_empty_timeline_fails_short(connected):
    fresh_session(connected, "empty", upload=False)
    failed_short(run(connected, "%nemo export"), "the timeline is empty", "Upload a video")


@pytest.mark.slow
def test_show_tracebacks_option(connected):
    connected.run_line_magic("config", "NemoMagics.show_tracebacks = True")
    try:
        r = run(connected, "%nemo upload missing.mp4")
        assert not r.ok and type(r.result.error_in_exec).__name__ == "BadRequest"
        assert "Traceback" in r.stdout or "File " in r.stdout
    finally:
        connected.run_line_magic("config", "NemoMagics.show_tracebacks = False")


def test_options_come_from_config_and_env(ip, monkeypatch):
    monkeypatch.setenv("NEMO_EMBED_LIMIT_MB", "3.5")
    monkeypatch.setenv("NEMO_SKILL", "multilingual-video-dubbing")
    monkeypatch.setenv("NEMO_QUIET", "1")
    m = NemoMagics()  # no shell config: the environment gives the defaults (%config overrides them)
    assert m.embed_limit_mb == 3.5 and m.skill == "multilingual-video-dubbing" and m.quiet is True
    assert m.export_dir == "nemo_exports" and m.redraw_hz == 10
    before = loaded_magics(ip).embed_limit_mb
    assert before >= 0
    run(ip, "%config NemoMagics.embed_limit_mb = -1")  # refused by the validator (%config logs it)
    assert loaded_magics(ip).embed_limit_mb == before
    run(ip, "%config NemoMagics.embed_limit_mb = 25")
    assert loaded_magics(ip).embed_limit_mb == 25
    ip.run_line_magic("config", "NemoMagics.embed_limit_mb = 10.0")
    r = run(ip, "%config NemoMagics")
    assert "embed_limit_mb" in r.stdout and "show_tracebacks" in r.stdout


# -- compare ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_compare_runs_variants_concurrently_in_new_sessions(connected):
    fresh_session(connected, "cmpbase")
    base = loaded_magics(connected).controller.current_id
    r = run(connected, "%%nemo compare --out cmp\nadd my clip to the timeline\n# a comment\n\n"
                       "what is the capital of France?\nadd my clip to the timeline")
    assert r.ok, r.text()
    cmp = connected.user_ns["cmp"]
    assert [v.prompt for v in cmp.variants] == ["add my clip to the timeline", "what is the capital of France?",
                                               "add my clip to the timeline"]
    sessions = {v.session_id for v in cmp.variants}
    assert len(sessions) == 3 and base not in sessions
    assert max(v.started for v in cmp.variants) < min(v.finished for v in cmp.variants)  # overlapping
    assert [v.credits_used for v in cmp.variants] == [1, 0, 1] and cmp.credits_total == 2
    df = cmp.df
    assert list(df["variant"]) == [1, 2, 3] and list(df["credits_used"]) == [1, 0, 1]
    assert df["seconds"].notna().all() and df["error"].isna().all()
    assert df.loc[0, "path"].endswith(".mp4") and df["path"].isna().tolist() == [False, True, False]
    html = r.final["text/html"]
    assert html.count('class="nemo-variant"') == 3 and html.count("<video") == 2
    assert html.count('class="nemo-timeline-png"') == 2 and "The timeline is empty." in html
    assert "nemo-compare-table" in html and "<svg" not in html and "display:grid" not in html
    assert list(df.columns[:2]) == ["variant", "prompt"] and df.columns[-1] == "session"
    pictures = check_output(r.final, r.outputs[-1]["metadata"])
    # two timelines, two posters (each video's fallback, for where <video> is dropped), both timelines stacked
    # as the output's image/png
    assert len(pictures) == 2 + 2 + 1 and html.count('class="nemo-poster"') == 2
    timelines = [p for p in pictures if p.width == 2 * 360]
    assert len(timelines) == 2 and pictures[-1].height > sum(p.height for p in timelines)
    assert "what is the capital of France?" in r.final["text/plain"]
    r = run(connected, "%nemo use compare-1")  # carry on with a variant
    assert r.ok and cmp.variants[0].session_id in r.final["text/plain"]
    assert run(connected, f"%nemo use {base}").ok


@pytest.mark.slow
def test_compare_turns_overlap_and_credits_stay_exact(ip, env):
    """Agent turns that take a while (0.6 s of heartbeats first): the variants' turns run at the same
    time, yet each variant's credits are its own (the starts are serialised, not the turns)."""
    run(ip, "%nemo disconnect")
    ip.run_line_magic("config", "NemoMagics.backend_options = {'faults': ['heartbeats_only=0.6']}")
    try:
        assert run(ip, f"%nemo connect --local --data-dir {env.root / 'slow'}").ok
        assert run(ip, "%nemo upload clip.mp4").ok
        r = run(ip, "%%nemo compare --no-export --out slow\n" + "\n".join(["add my clip to the timeline"] * 3))
        assert r.ok, r.text()
        cmp = ip.user_ns["slow"]
        assert all(v.seconds >= 0.6 for v in cmp.variants)
        assert cmp.wall_seconds < 0.75 * sum(v.seconds for v in cmp.variants), (cmp.wall_seconds, cmp.df)
        assert [v.credits_used for v in cmp.variants] == [1, 1, 1] and all(v.credits_exact for v in cmp.variants)
        assert cmp.credits_total == 3
    finally:
        ip.run_line_magic("config", "NemoMagics.backend_options = {}")
        run(ip, "%nemo disconnect")


def test_compare_from_a_variable_and_errors(connected):
    fresh_session(connected, "cmpvar")
    connected.user_ns["prompts"] = ["add my clip to the timeline", "hello {{who}}"]
    connected.user_ns["who"] = "there"
    r = run(connected, "%nemo compare --from prompts --no-export --out cmp2")
    assert r.ok, r.text()
    cmp = connected.user_ns["cmp2"]
    assert [v.prompt for v in cmp.variants] == ["add my clip to the timeline", "hello there"]
    assert all(v.export is None for v in cmp.variants) and "<video" not in r.final["text/html"]
    failed_short(run(connected, "%nemo compare"), "needs prompts")
    failed_short(run(connected, "%nemo compare --from nothing"), "no variable nothing")
    connected.user_ns["notalist"] = "add my clip"
    failed_short(run(connected, "%nemo compare --from notalist"), "expected a list of prompts")
    failed_short(run(connected, "%%nemo compare\n\n# only a comment\n"), "No prompts to compare")


# -- the views on their own -----------------------------------------------------------------------------
class FakeHandle:
    def __init__(self, log):
        self.log = log

    def update(self, obj, raw=False):
        self.log.append(obj)


def test_live_reply_redraws_at_most_10_times_a_second():
    now = [0.0]
    log: list[dict] = []
    live = LiveReply(clock=lambda: now[0], display=lambda obj, **kw: (log.append(obj), FakeHandle(log))[1]).start()
    chunks = [f"w{i} " for i in range(10_000)]
    for i, chunk in enumerate(chunks):
        now[0] = i * 0.0002  # 10,000 chunks in 2 s
        live.on_event(TextEvent(chunk))
        if i % 500 == 0:
            live.on_event(Heartbeat())
    live.on_event(ToolCall("c1", "add_voiceover"))
    live.on_event(ToolResult("c1", "add_voiceover", {}))
    assert live.updates <= 2 * 10 + 2, live.updates
    assert live.text == "".join(chunks)
    reply = Reply(text="".join(chunks), events=[], tool_calls=[], silent=False, changes=[], draft_before=Draft(),
                  draft_after=None, credits_used=2)
    bundle = live.finish(reply)
    assert bundle is log[-1]
    assert "".join(chunks) in bundle["text/plain"] and "▸ add_voiceover ✓" in bundle["text/plain"]
    assert live.updates <= 2 * 10 + 3


def test_live_reply_still_working_and_failure():
    log: list[dict] = []
    live = LiveReply(display=lambda obj, **kw: (log.append(obj), FakeHandle(log))[1]).start()
    live.on_event(TextEvent("Working on <it>"))
    live.on_still_working("⏳ Still working…")
    assert "⏳ Still working…" in log[-1]["text/plain"] and "&lt;it&gt;" in log[-1]["text/html"]
    live.fail("the agent reported an error: boom")
    assert "boom" in log[-1]["text/html"] and "Working on <it>" in log[-1]["text/plain"]


def test_timeline_view_escapes_user_text_and_handles_many_segments():
    from nemo_nb.notebook.timeline import TimelineView

    draft = Draft({"t": [
        {"tt": 0, "sg": [{"k": "video", "st": 0, "d": 4000, "n": '<script>alert("x")</script> & co'}]},
        {"tt": 7, "sg": [{"k": "title", "st": 0, "d": 1500, "tx": "</svg><img src=x onerror=alert(1)>"},
                         {"k": "caption", "st": 1500, "d": 2500, "tx": "A caption broken\ninto two lines"}]},
        {"tt": 1, "sg": [{"k": "music", "st": i * 3, "d": 3, "n": f"b{i}"} for i in range(3000)]},
    ]})
    data, metadata = TimelineView(draft).bundle()
    html = data["text/html"]
    assert "<script" not in html and "<img src=x" not in html and "&lt;script&gt;" in html
    check_output(data, metadata)
    assert "+1003 segments not drawn" in html  # 3003 segments, 2000 drawn (a two-line caption among them)
    empty, metadata = TimelineView(Draft()).bundle()
    check_output(empty, metadata)
    assert "Timeline (0 tracks): empty" in empty["text/html"]


# -- last: nothing leaked, and the extension unloads -------------------------------------------------------
def test_unload_and_reload(ip):
    ip.run_line_magic("unload_ext", "nemo_nb")
    r = run(ip, "%nemo status")
    assert not r.ok
    ip.run_line_magic("load_ext", "nemo_nb")
    failed_short(run(ip, "%nemo status"), "Not connected")


@pytest.mark.slow
def test_every_output_renders_untrusted(connected):
    """Every display of a round of commands (and of the module's other tests that ran first) reads right
    in an untrusted notebook, on GitHub and nbviewer: no SVG, style or script; pictures as PNGs."""
    fresh_session(connected, "untrusted")
    for code in ("%%nemo\nadd my clip to the timeline", "%nemo status", "%nemo credits", "%nemo sessions",
                 "%nemo help", "%%nemo\nwhat can you do?", "%nemo upload clip.mp4", "%nemo new spare"):
        assert run(connected, code).ok, code
    assert len(SHOWN) >= 8
    for code, data, metadata in SHOWN:
        if data.get("text/html") or data.get("image/png"):
            try:
                check_output(data, metadata)
            except AssertionError as exc:
                raise AssertionError(f"{code!r}: {exc}") from None


@pytest.mark.slow
def test_no_output_ever_held_a_token(connected, env):
    """A whole round of its own (edit, status, credits, sessions, export, claim, an error), plus every
    output the module's other tests produced when they ran first: no token in any of them."""
    fresh_session(connected, "no-leak")
    mine = [run(connected, code) for code in ("%%nemo\nadd my clip to the timeline", "%nemo status",
                                              "%nemo credits", "%nemo sessions", "%nemo export", "%nemo claim",
                                              "%nemo upload notes.exe")]
    assert [r.ok for r in mine] == [True] * 6 + [False]
    tokens = [entry["token"] for entry in json.loads((env.config / "tokens.json").read_text()).values()]
    assert tokens and all(t.startswith("nmv_usr_") for t in tokens) and _token(connected) in tokens
    everything = "\n".join([*SEEN, *(r.text() for r in mine)])
    for token in tokens:
        assert token not in everything
