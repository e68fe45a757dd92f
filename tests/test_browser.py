"""A real browser: JupyterLab on loopback, driven by Playwright with Debian's chromium (no download).

Opens tests/notebooks/demo.ipynb, runs all cells (a %%nemo cell and an export against the embedded
backend), and checks the page: the reply streamed (a live view appeared, then the static reply with
its text), the timeline picture, a <video> the browser can play (metadata loaded), and the claim
button (a live widget, asked for with %nemo claim) fetching its link — which the saved notebook does not
contain. Then a notebook executed elsewhere (nbclient, as ``nemo-nb run-notebooks`` does) opened untrusted:
its pictures are images, not run-on text.
Screenshots go to the test's tmp dir (and to tests/artifacts/ when NEMO_TEST_ARTIFACTS is set).
Skips, saying why, when /usr/bin/chromium is not installed (CI installs it: see .ci/run).
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest
from jupyter_app import CHROMIUM, KERNEL_IDLE, browser, jupyter, notebook_url

DEMO = Path(__file__).parent / "notebooks" / "demo.ipynb"

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does it in CI)"),
    pytest.mark.timeout(300),
    pytest.mark.slow,  # JupyterLab and Notebook 7 driven by a real browser
]


@pytest.fixture
def lab(tmp_path, isolated_identity):
    pytest.importorskip("jupyterlab")
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(DEMO, root / "demo.ipynb")
    env = {"NEMO_CONFIG_DIR": str(isolated_identity), "NEMO_DATA_DIR": str(tmp_path / "backend")}
    with jupyter("lab", root, tmp_path, env) as app:
        yield app


WATCH_LIVE = """() => {
  window.__nemoSawLive = false;
  const live = (n) => n.nodeType === 1 && (n.matches('.nemo-live') || !!n.querySelector('.nemo-live'));
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) if (live(n)) window.__nemoSawLive = true;
  }).observe(document.body, {subtree: true, childList: true});
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

    with browser(lab["tmp"] / "chromium-profile", sync_api) as page:
        page.goto(notebook_url(lab, "demo.ipynb"), wait_until="domcontentloaded")
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

        timeline = page.locator(".jp-OutputArea-output .nemo-timeline-view img.nemo-timeline-png").first
        timeline.scroll_into_view_if_needed()
        assert timeline.is_visible() and timeline.bounding_box()["width"] > 200
        assert "clip.mp4" in timeline.get_attribute("alt")
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

    for name in ("reply.png", "timeline.png", "export.png", "notebook.png"):
        assert (shots / name).stat().st_size > 1000
    if os.environ.get("NEMO_TEST_ARTIFACTS"):
        artifacts = Path(__file__).parent / "artifacts"
        artifacts.mkdir(exist_ok=True)
        for shot in shots.glob("*.png"):
            shutil.copy(shot, artifacts / f"browser-{shot.name}")


# -- a notebook received from someone else: opened untrusted ---------------------------------------------
UNTRUSTED_CELLS = """() => {
  const cells = window.jupyterapp.shell.currentWidget.content.model.cells;
  const out = [];
  for (let i = 0; i < cells.length; i++) {
    const c = cells.get(i);
    if (c.type === 'code' && c.outputs.length) out.push(c.trusted);
  }
  return out;
}"""
TIMELINE_IMAGES = """() => Array.from(document.querySelectorAll('.jp-OutputArea-output img.nemo-timeline-png'))
  .map((img) => ({w: img.getBoundingClientRect().width, h: img.getBoundingClientRect().height,
                  nw: img.naturalWidth, complete: img.complete}))"""


def test_an_executed_notebook_opened_untrusted_shows_pictures_not_run_on_text(tmp_path, isolated_identity,
                                                                             monkeypatch):
    """``nemo-nb run-notebooks`` (nbclient) writes a notebook nobody signed: JupyterLab opens it untrusted and
    sanitizes its HTML (no SVG, no style, no script). The timeline must still be a picture."""
    sync_api = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("jupyterlab")
    from nemo_nb.notebook.execute import run_notebook

    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(DEMO, root / "received.ipynb")
    monkeypatch.setenv("NEMO_DATA_DIR", str(tmp_path / "backend"))
    run_notebook(root / "received.ipynb", timeout=180)
    saved = (root / "received.ipynb").read_text()
    assert "nemo-timeline-png" in saved and '"image/png"' in saved
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with jupyter("lab", root, tmp_path, {"NEMO_CONFIG_DIR": str(isolated_identity)}) as app, \
            browser(tmp_path / "chromium-profile", sync_api) as page:
        page.goto(notebook_url(app, "received.ipynb"), wait_until="domcontentloaded")
        page.wait_for_selector(".jp-OutputArea-output .nemo-reply", timeout=60_000)
        trusted = page.evaluate(UNTRUSTED_CELLS)
        assert trusted and not any(trusted), f"the notebook should open untrusted: {trusted}"
        assert page.locator(".jp-OutputArea-output svg, .jp-OutputArea-output style").count() == 0  # sanitized
        timeline = page.locator(".jp-OutputArea-output img.nemo-timeline-png").first
        timeline.scroll_into_view_if_needed()
        page.wait_for_function("() => Array.from(document.querySelectorAll('img.nemo-timeline-png'))"
                               ".every((img) => img.complete && img.naturalWidth > 0)", timeout=30_000)
        images = page.evaluate(TIMELINE_IMAGES)
        assert len(images) >= 2, images  # the reply's picture and %nemo status's
        assert all(i["w"] > 200 and i["h"] > 30 and i["nw"] > 0 for i in images), images
        outputs = " ".join(page.locator(".jp-OutputArea-output").all_inner_texts())
        compact = "".join(outputs.split())
        assert "0s1s2s" not in compact and "0s0.5s1s" not in compact and "0s2s4s" not in compact, outputs[:500]
        assert "Adding clip.mp4 to the timeline" in outputs and "Timeline (1 track)" in outputs
        page.locator(".jp-OutputArea-output .nemo-timeline-view").first.screenshot(
            path=str(shots / "untrusted-timeline.png"))
        page.screenshot(path=str(shots / "untrusted-notebook.png"), full_page=True)
    for name in ("untrusted-timeline.png", "untrusted-notebook.png"):
        assert (shots / name).stat().st_size > 1000
    if os.environ.get("NEMO_TEST_ARTIFACTS"):
        ARTIFACTS.mkdir(exist_ok=True)
        for shot in shots.glob("*.png"):
            shutil.copy(shot, ARTIFACTS / f"browser-{shot.name}")


# -- the widgets: the studio and the compare grid, in JupyterLab 4 and Notebook 7 -----------------------
ARTIFACTS = Path(__file__).parent / "artifacts"
STUDIO_CELLS = [
    "%load_ext nemo_nb\n%nemo connect --local",
    "%nemo studio",
    "%%nemo compare --widget --out cmp\nadd my clip to the timeline\nadd my clip to the timeline and make it 9:16",
]
WATCH_STUDIO = """() => {
  const root = document.querySelector('.nemo-studio');
  const seen = window.__nemo = {replies: [], exportProgress: [], uploadProgress: [], firstText: null, enter: null};
  new MutationObserver(() => {
    const text = root.querySelector('.nemo-reply-text').textContent;
    if (text && seen.replies[seen.replies.length - 1] !== text) {
      seen.replies.push(text);
      if (seen.firstText === null) seen.firstText = performance.now();
    }
    for (const [sel, list] of [['.nemo-export-bar', seen.exportProgress], ['.nemo-upload-bar', seen.uploadProgress]]) {
      const p = root.querySelector(sel).dataset.progress;
      if (p && list[list.length - 1] !== p) list.push(p);
    }
  }).observe(root, {subtree: true, childList: true, characterData: true, attributes: true});
}"""
VIDEO_PLAYING = """(sel) => {
  const v = document.querySelector(sel);
  if (!v || v.readyState < 2) return false;
  if (v.paused) v.play();
  return v.currentTime > 0.3;
}"""


@pytest.fixture(params=["lab", "notebook"])
def frontend(request, tmp_path, isolated_identity):
    pytest.importorskip("jupyterlab" if request.param == "lab" else "notebook")
    from nemo_nb import samples

    root = tmp_path / "root"
    root.mkdir()
    from jupyter_app import write_notebook

    write_notebook(root / "studio.ipynb", STUDIO_CELLS)
    clip = samples.make_clip(tmp_path / "clip.mp4", seconds=2)
    env = {"NEMO_CONFIG_DIR": str(isolated_identity), "NEMO_DATA_DIR": str(tmp_path / "backend")}
    with jupyter(request.param, root, tmp_path, env) as app:
        app.update(name=request.param, clip=clip)
        yield app


def test_studio_and_compare_widgets_in_a_real_browser(frontend):
    """Open a notebook, %nemo studio, upload through the widget's file input, Enter a request, watch the
    reply stream and the timeline change, export with a progress bar, play the video (the playhead
    follows), click a segment for its row, take a quick look (a preview, marked so in the player); then a
    compare widget whose synced play starts every variant within 0.2 s."""
    sync_api = pytest.importorskip("playwright.sync_api")
    from jupyter_app import run_cell

    name = frontend["name"]
    ARTIFACTS.mkdir(exist_ok=True)

    def fail(page, what: str) -> AssertionError:
        page.screenshot(path=str(ARTIFACTS / f"failed-{name}.png"))
        errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
        return AssertionError(f"{what} ({name}); stderr outputs: {errors}\n--- log ---\n"
                              f"{frontend['log'].read_text()[-2500:]}")

    with browser(frontend["tmp"] / "chromium-profile", sync_api) as page:
        page.goto(notebook_url(frontend, "studio.ipynb"), wait_until="domcontentloaded")
        try:
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
            page.wait_for_function(KERNEL_IDLE, timeout=60_000)
            run_cell(page, 0)
            page.wait_for_selector(".nemo-connect", timeout=60_000)
            run_cell(page, 1)
            studio = page.locator(".nemo-studio")
            studio.wait_for(timeout=60_000)
            page.wait_for_function("() => document.querySelector('.nemo-studio .nemo-credits').textContent"
                                   ".includes('credits available')", timeout=30_000)
        except sync_api.TimeoutError:
            raise fail(page, "the studio did not come up") from None
        assert studio.locator(".nemo-seg").count() == 0  # nothing on the timeline yet
        assert studio.locator("select.nemo-sessions option").count() >= 1
        page.evaluate(WATCH_STUDIO)

        # upload through the widget's file input: a real progress bar, then the file is in the session
        studio.locator("input.nemo-file").set_input_files(str(frontend["clip"]))
        try:
            page.wait_for_function("() => document.querySelector('.nemo-studio .nemo-upload-bar')"
                                   ".textContent.includes('Uploaded clip.mp4')", timeout=60_000)
        except sync_api.TimeoutError:
            raise fail(page, "the upload did not finish") from None
        progress = [float(p) for p in page.evaluate("window.__nemo.uploadProgress")]
        assert progress == sorted(progress) and progress[-1] >= 0.99 and any(0 < p < 1 for p in progress), progress
        assert (frontend["root"] / "nemo_uploads" / "clip.mp4").stat().st_size == frontend["clip"].stat().st_size

        # a request: Enter sends, the reply streams in, the timeline changes
        box = studio.locator("textarea.nemo-prompt")
        box.fill("add my clip to the timeline")
        page.evaluate("window.__nemo.enter = performance.now()")
        box.press("Enter")
        try:
            page.wait_for_function("() => document.querySelector('.nemo-studio .nemo-status').textContent"
                                   ".startsWith('done')", timeout=60_000)
        except sync_api.TimeoutError:
            raise fail(page, "the turn did not finish") from None
        seen = page.evaluate("window.__nemo")
        final = studio.locator(".nemo-reply-text").inner_text()
        assert final.startswith("Adding clip.mp4 to the timeline"), final
        assert len(seen["replies"]) >= 2 and final.startswith(seen["replies"][0]) and seen["replies"][0] != final, \
            seen["replies"]  # it streamed: a first part, then the whole
        first_text_ms = seen["firstText"] - seen["enter"]
        assert box.input_value() == "" and not box.is_disabled()
        studio.locator(".nemo-seg").first.wait_for(timeout=30_000)
        try:  # traits arrive one by one: the summary may follow the lanes by a moment
            page.wait_for_function("() => (document.querySelector('.nemo-studio .nemo-tl-summary') || {})"
                                   ".textContent.includes('1. Video: clip.mp4')", timeout=30_000)
        except sync_api.TimeoutError:
            raise fail(page, "the studio's timeline summary never named the clip") from None
        assert "99 credits available" in studio.locator(".nemo-credits").inner_text()

        # click a segment: its row appears
        studio.locator(".nemo-seg").first.click()
        details = studio.locator(".nemo-tl-details table")
        details.wait_for(timeout=30_000)
        assert "clip.mp4" in details.inner_text() and "start_s" in details.inner_text()

        # export: the progress bar, then the video plays and the playhead follows it
        studio.locator("button.nemo-export-btn").click()
        video_sel = ".nemo-studio video.nemo-studio-video"
        try:
            page.wait_for_function(f"() => {{ const v = document.querySelector('{video_sel}'); "
                                   "return !!v && v.src.startsWith('blob:'); }", timeout=90_000)
            page.wait_for_function(VIDEO_PLAYING, arg=video_sel, timeout=30_000)
        except sync_api.TimeoutError:
            raise fail(page, "the exported video did not play") from None
        exported = page.evaluate("window.__nemo.exportProgress")
        assert exported and float(exported[0]) < 1, exported  # the bar showed before the video
        state = page.evaluate(f"() => {{ const v = document.querySelector('{video_sel}'); "
                              "return {rs: v.readyState, t: v.currentTime, d: v.duration}; }")
        assert state["rs"] >= 2 and 1.5 < state["d"] < 2.5, state
        time.sleep(0.4)
        later = page.evaluate(f"document.querySelector('{video_sel}').currentTime")
        assert later > state["t"] or later >= state["d"] - 0.05, (state, later)
        playhead = float(studio.locator(".nemo-playhead").get_attribute("data-t"))
        assert playhead > 0.3, playhead
        assert studio.locator(".nemo-export-bar").inner_text().startswith("nemo_")
        studio.screenshot(path=str(ARTIFACTS / f"studio-{name}.png"))

        # the saved notebook keeps a static snapshot of the studio: reply, timeline picture, poster
        saved = frontend["root"] / "studio.ipynb"
        deadline = time.monotonic() + 30
        while "nemo-poster" not in saved.read_text() and time.monotonic() < deadline:
            page.evaluate("window.jupyterapp.commands.execute('docmanager:save')")
            time.sleep(1)
        content = saved.read_text()
        import nbformat  # multi-line outputs are saved as lists of lines: nbformat joins them back

        outputs = [out for cell in nbformat.reads(content, as_version=4).cells for out in cell.get("outputs", [])]
        snapshot = next(out["data"] for out in outputs
                        if "nemo-studio-snapshot" in out.get("data", {}).get("text/html", ""))
        html = snapshot["text/html"]
        assert "Adding clip.mp4 to the timeline" in html and "nemo-timeline-png" in html and "nemo-poster" in html
        assert "<style" not in html and "<script" not in html and snapshot["image/png"]
        assert "application/vnd.jupyter.widget-view+json" in snapshot
        assert "nmv_usr_" not in content and "clm_" not in content

        # quick look: a preview render plays in the same player, marked as a preview
        assert not studio.locator(".nemo-preview-badge").is_visible()
        exported_src = page.evaluate(f"document.querySelector('{video_sel}').src")
        studio.locator("button.nemo-preview-btn").click()
        try:
            page.wait_for_function(f"(old) => {{ const v = document.querySelector('{video_sel}'); "
                                   "return v.src !== old && v.src.startsWith('blob:') && v.readyState >= 2; }",
                                   arg=exported_src, timeout=90_000)
        except sync_api.TimeoutError:
            raise fail(page, "the quick look did not play") from None
        badge = studio.locator(".nemo-preview-badge")
        assert badge.is_visible() and "PREVIEW" in badge.inner_text()
        assert studio.locator(".nemo-export-bar").inner_text().startswith("Preview (not the final export)")

        # compare: two variants side by side; one Play starts both from the same moment
        run_cell(page, 2)
        grid = page.locator(".nemo-compare-widget")
        try:
            grid.wait_for(timeout=120_000)
            page.wait_for_function("() => { const v = [...document.querySelectorAll('.nemo-compare-widget video')];"
                                   " return v.length === 2 && v.every((x) => x.readyState >= 2); }", timeout=60_000)
        except sync_api.TimeoutError:
            raise fail(page, "the compare widget did not show two playable variants") from None
        grid.locator("button.nemo-play-all").click()
        page.wait_for_function("() => [...document.querySelectorAll('.nemo-compare-widget video')]"
                               ".every((v) => v.dataset.playingAt)", timeout=30_000)
        starts = page.evaluate("[...document.querySelectorAll('.nemo-compare-widget video')]"
                               ".map((v) => +v.dataset.playingAt)")
        assert max(starts) - min(starts) <= 200, starts
        grid.locator("button.nemo-continue").nth(1).click()
        page.wait_for_function("() => document.querySelectorAll('.nemo-compare-widget .nemo-variant-current')"
                               ".length === 1", timeout=30_000)
        page.wait_for_function("() => document.querySelector('.nemo-studio select.nemo-sessions').selectedOptions[0]"
                               ".textContent.includes('compare-2')", timeout=30_000)
        grid.screenshot(path=str(ARTIFACTS / f"compare-{name}.png"))
    print(f"{name}: Enter → first reply text in the studio {first_text_ms:.0f} ms; compare start spread "
          f"{max(starts) - min(starts):.1f} ms")
