"""A real browser: JupyterLab on loopback, driven by Playwright with Debian's chromium (no download).

Opens tests/notebooks/demo.ipynb, runs all cells (a %%nemo cell and an export against the embedded
backend), and checks the page: the reply streamed (a live view appeared, then the static reply with
its text), the timeline SVG picture, a <video> the browser can play (metadata loaded), and the claim
button (a live widget) fetching its link — which the saved notebook does not contain.
Screenshots go to the test's tmp dir (and to tests/artifacts/ when NEMO_TEST_ARTIFACTS is set).
Skips, saying why, when /usr/bin/chromium is not installed (CI installs it: see .ci/run).
"""
from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
DEMO = Path(__file__).parent / "notebooks" / "demo.ipynb"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does it in CI)"),
    pytest.mark.timeout(240),
    pytest.mark.slow,  # JupyterLab driven by a real browser
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_settings(settings: Path) -> None:
    """JupyterLab user settings: render every cell (no windowing), no news toast."""
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    notes = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notes.parent.mkdir(parents=True, exist_ok=True)
    notes.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture
def lab(tmp_path, isolated_identity):
    pytest.importorskip("jupyterlab")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(DEMO, root / "demo.ipynb")
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, "NEMO_CONFIG_DIR": str(isolated_identity), "NEMO_DATA_DIR": str(tmp_path / "backend"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "jconfig"), "JUPYTER_RUNTIME_DIR": str(tmp_path / "jruntime"),
           "JUPYTERLAB_SETTINGS_DIR": str(tmp_path / "jsettings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path / "jworkspaces"), "IPYTHONDIR": str(tmp_path / "ipython")}
    write_settings(tmp_path / "jsettings")
    log = (tmp_path / "jupyter.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/status", headers={"Authorization": f"token {token}"}, timeout=2).is_success:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError("JupyterLab did not start:\n" + (tmp_path / "jupyter.log").read_text()[-3000:])
            time.sleep(0.3)
        yield {"base": base, "token": token, "root": root, "log": tmp_path / "jupyter.log", "tmp": tmp_path}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


WATCH_LIVE = """() => {
  window.__nemoSawLive = false;
  const live = (n) => n.nodeType === 1 && (n.matches('.nemo-live') || !!n.querySelector('.nemo-live'));
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (live(n)) window.__nemoSawLive = true;
  }).observe(document.body, {subtree: true, childList: true});
}"""
KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""
VIDEO_READY = """() => {
  const v = document.querySelector('.jp-OutputArea-output video.nemo-video');
  return !!v && (v.readyState >= 1 || v.duration > 0);
}"""


def test_jupyterlab_runs_the_demo_and_shows_reply_timeline_and_video(lab):
    sync_api = pytest.importorskip("playwright.sync_api")
    shots = lab["tmp"] / "screenshots"
    shots.mkdir()

    def context(msg: str) -> str:
        return f"{msg}\n--- jupyter log (tail) ---\n{lab['log'].read_text()[-2500:]}"

    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch_persistent_context(
            str(lab["tmp"] / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1400})
        try:
            page = browser.pages[0] if browser.pages else browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{lab['base']}/lab/tree/demo.ipynb?token={lab['token']}", wait_until="domcontentloaded")
            try:
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
                page.wait_for_function(KERNEL_IDLE, timeout=60_000)
            except sync_api.TimeoutError:
                page.screenshot(path=str(shots / "failed-open.png"))
                raise AssertionError(context("the notebook or its kernel did not come up in 60 s")) from None
            page.evaluate(WATCH_LIVE)
            started = time.monotonic()
            page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
            try:
                page.wait_for_selector(".jp-OutputArea-output video.nemo-video", state="attached", timeout=90_000)
                page.wait_for_function(KERNEL_IDLE, timeout=30_000)
            except sync_api.TimeoutError:
                page.screenshot(path=str(shots / "failed-run.png"))
                errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
                raise AssertionError(context(f"no video after running all cells; stderr outputs: {errors}")) from None
            run_seconds = time.monotonic() - started

            errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
            assert not [e for e in errors if "nemo:" in e or "Error" in e], errors

            reply = page.locator(".jp-OutputArea-output .nemo-reply .nemo-text").first
            reply.scroll_into_view_if_needed()
            assert "Adding clip.mp4 to the timeline" in reply.inner_text()
            assert page.evaluate("window.__nemoSawLive"), "the live (streaming) view never appeared"
            assert page.locator(".nemo-live").count() == 0, "a live view was left behind"
            card = reply.locator("xpath=ancestor::div[contains(@class,'nemo-reply')]")
            card.screenshot(path=str(shots / "reply.png"))

            timeline = page.locator(".jp-OutputArea-output .nemo-timeline-view svg.nemo-timeline").first
            timeline.scroll_into_view_if_needed()
            assert timeline.is_visible() and timeline.bounding_box()["width"] > 200
            assert "clip.mp4" in timeline.inner_html()
            page.locator(".jp-OutputArea-output .nemo-timeline-view").first.screenshot(path=str(shots / "timeline.png"))

            video = page.locator(".jp-OutputArea-output video.nemo-video").first
            video.scroll_into_view_if_needed()
            try:
                page.wait_for_function(VIDEO_READY, timeout=30_000)
            except sync_api.TimeoutError:
                state = page.evaluate("() => { const v = document.querySelector('video.nemo-video'); "
                                      "return v && {rs: v.readyState, err: v.error && v.error.code}; }")
                raise AssertionError(f"the video did not load its metadata: {state}") from None
            duration = page.evaluate("document.querySelector('video.nemo-video').duration")
            assert 1.5 < duration < 2.5, duration
            page.locator(".jp-OutputArea-output .nemo-export").first.screenshot(path=str(shots / "export.png"))

            # the claim button is a live widget: clicking fetches the link; saving keeps no claim code
            button = page.locator(".jp-OutputArea-output button.jupyter-button", has_text="Claim this project")
            button.scroll_into_view_if_needed()
            button.click()
            link = page.locator("a.nemo-claim-link")
            link.wait_for(timeout=30_000)
            assert "/workspace/claim?ct=clm_" in link.get_attribute("href")
            page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
            saved = lab["root"] / "demo.ipynb"
            deadline = time.monotonic() + 30
            while "<video" not in saved.read_text() and time.monotonic() < deadline:
                time.sleep(0.3)
            content = saved.read_text()
            assert "<video" in content and "nemo-timeline" in content, "the notebook was not saved with outputs"
            assert "clm_" not in content and "nmv_usr_" not in content
            page.screenshot(path=str(shots / "notebook.png"))
            assert run_seconds < 90
        finally:
            browser.close()

    for name in ("reply.png", "timeline.png", "export.png", "notebook.png"):
        assert (shots / name).stat().st_size > 1000
    if os.environ.get("NEMO_TEST_ARTIFACTS"):
        artifacts = Path(__file__).parent / "artifacts"
        artifacts.mkdir(exist_ok=True)
        for shot in shots.glob("*.png"):
            shutil.copy(shot, artifacts / f"browser-{shot.name}")
