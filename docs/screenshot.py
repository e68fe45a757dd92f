"""The README's picture: notebooks/01_quick_start.ipynb run in JupyterLab, shot in a real browser.

    python docs/screenshot.py [--out docs/notebook.png] [--compare docs/notebook-compare.png]

Copies the quick start to a temp dir, starts JupyterLab there on 127.0.0.1 (a random token, never printed;
the browser logs in through the login form, so it is not in any URL), opens the notebook in Debian's
/usr/bin/chromium driven by Playwright (the same flags as tests/test_browser.py; no browser is ever
downloaded), runs all cells against the embedded backend, waits until the export's <video> has loaded,
scrolls to the voiceover cell (the streamed reply, the timeline lanes and the player in one view) and
saves a PNG. With --compare it also runs notebooks/05_compare_prompts.ipynb and shots its %%nemo compare
cell. Everything (notebook copy, NEMO_DATA_DIR, NEMO_CONFIG_DIR, Jupyter dirs, the browser profile) lives
in one temp dir that is removed at the end, and JupyterLab is stopped.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
QUICK_START = REPO / "notebooks" / "01_quick_start.ipynb"
COMPARE = REPO / "notebooks" / "05_compare_prompts.ipynb"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1400, "height": 1000}
MAX_BYTES = 400_000

KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""
ALL_VIDEOS_READY = """() => {
  const vs = [...document.querySelectorAll('.jp-OutputArea-output video.nemo-video')];
  return vs.length > 0 && vs.every(v => v.readyState >= 2 || (v.poster && v.readyState >= 1 && v.networkState !== 2));
}"""
RUN_FINISHED = """() => {
  const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')].map(p => p.textContent);
  return prompts.length > 0 && prompts.every(t => /\\[\\d+\\]/.test(t));
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_settings(settings: Path) -> None:
    """JupyterLab user settings: every cell rendered (no windowing), no news toast, the light theme."""
    files = {
        "notebook-extension/tracker": {"windowingMode": "none"},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
        "apputils-extension/themes": {"theme": "JupyterLab Light", "adaptive-theme": False},
    }
    for name, value in files.items():
        path = settings / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))


class Lab:
    """JupyterLab on 127.0.0.1 in ``tmp``, serving ``root``; see ``jupyterlab()``."""

    def __init__(self, tmp: Path, root: Path):
        self.tmp, self.root = tmp, root
        self.port, self.token = free_port(), secrets.token_hex(24)
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = tmp / "jupyter.log"

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in ("NEMO_TOKEN", "NEMO_API_URL", "NEMO_CLIENT_ID", "NEMO_WEB_URL", "SKILL_SOURCE")}
        env.update({"NEMO_CONFIG_DIR": str(self.tmp / "nemo-config"), "NEMO_DATA_DIR": str(self.tmp / "nemo-data"),
                    "JUPYTER_CONFIG_DIR": str(self.tmp / "jconfig"), "JUPYTER_RUNTIME_DIR": str(self.tmp / "jruntime"),
                    "JUPYTER_DATA_DIR": str(self.tmp / "jdata"),
                    "JUPYTERLAB_SETTINGS_DIR": str(self.tmp / "jsettings"),
                    "JUPYTERLAB_WORKSPACES_DIR": str(self.tmp / "jworkspaces"),
                    "IPYTHONDIR": str(self.tmp / "ipython")})
        # JUPYTER_DATA_DIR is private, so make sure the venv's kernelspec (python3) is still found
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(Path(sys.prefix) / "share" / "jupyter"),
                                                            os.environ.get("JUPYTER_PATH", "")]))
        write_settings(self.tmp / "jsettings")
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
             f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0", f"--ServerApp.root_dir={self.root}",
             "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
             "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
             *(["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else [])],
            cwd=self.root, env={**env, "JUPYTER_TOKEN": self.token},  # not on the command line (ps)
            stdout=self.log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    r = httpx.get(f"{self.base}/api/status", headers={"Authorization": f"token {self.token}"},
                                  timeout=2)
                    if r.is_success:
                        return
                except httpx.HTTPError:
                    pass
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("JupyterLab did not start:\n" + self.log_tail())
                time.sleep(0.3)
        except BaseException:
            self.stop()
            raise

    def log_tail(self, n: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-n:].replace(self.token, "<token>")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@contextmanager
def jupyterlab(tmp: Path, root: Path) -> Iterator[Lab]:
    """A running JupyterLab, stopped (with its kernels) on the way out."""
    lab = Lab(tmp, root)
    lab.start()
    try:
        yield lab
    finally:
        lab.stop()


def open_notebook(page, lab: Lab, name: str) -> None:
    """Log in through the form (the token goes in a POST body, never a URL) and open ``name``."""
    from playwright.sync_api import TimeoutError as PWTimeout

    page.goto(f"{lab.base}/login?next=/lab/tree/{name}", wait_until="domcontentloaded")
    if page.locator("input[name=password]").count():
        page.fill("input[name=password]", lab.token)
        with page.expect_navigation(wait_until="domcontentloaded"):
            page.locator("#login_submit, button[type=submit], input[type=submit]").first.click()
    try:
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    except PWTimeout:
        raise SystemExit("the notebook or its kernel did not come up in 60 s:\n" + lab.log_tail()) from None
    # a tidy window: one document, no side bars, no status bar
    page.evaluate("""async () => {
      const app = window.jupyterapp;
      app.shell.mode = 'single-document';
      app.shell.collapseLeft();
      app.shell.collapseRight();
      if (app.commands.hasCommand('statusbar:toggle') && app.commands.isToggled('statusbar:toggle'))
        await app.commands.execute('statusbar:toggle');
    }""")
    page.mouse.move(VIEWPORT["width"] - 5, VIEWPORT["height"] - 5)  # no hover highlight


def run_all(page, lab: Lab, timeout_s: float = 240) -> None:
    """Run every cell (outputs saved in the notebook, if any, cleared first); exit if one fails."""
    from playwright.sync_api import TimeoutError as PWTimeout

    page.evaluate("window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
    page.evaluate("void window.jupyterapp.commands.execute('notebook:run-all-cells')")
    try:
        page.wait_for_function(RUN_FINISHED, timeout=timeout_s * 1000)
        page.wait_for_function(KERNEL_IDLE, timeout=60_000)
    except PWTimeout:
        raise SystemExit("running all cells did not finish:\n" + lab.log_tail()) from None
    errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr'], .jp-RenderedText[data-mime-type"
                          "='application/vnd.jupyter.error']").all_inner_texts()
    errors = [e for e in errors if "Error" in e or "nemo:" in e or "Traceback" in e]
    if errors:
        raise SystemExit("a cell failed:\n" + "\n---\n".join(errors)[-3000:])


def cell_of(page, source_start: str):
    """The code cell whose source starts with ``source_start``."""
    index = page.evaluate("""(start) => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].findIndex(
      c => c.classList.contains('jp-CodeCell') &&
           (c.querySelector('.jp-InputArea-editor .cm-content') || {}).innerText?.trim().startsWith(start))""",
                          source_start)
    if index < 0:
        raise SystemExit(f"no cell starting with {source_start!r}")
    return page.locator(".jp-Notebook .jp-Cell").nth(index)


def scroll_to(page, locator, top_margin: int = 8) -> None:
    """Scroll the notebook so ``locator`` sits at the top of the notebook panel."""
    locator.evaluate("""(el, margin) => {
      const scroller = el.closest('.jp-WindowedPanel-outer') || el.closest('.jp-Notebook');
      const top = el.getBoundingClientRect().top - scroller.getBoundingClientRect().top;
      scroller.scrollTop += top - margin;
    }""", top_margin)
    page.wait_for_timeout(300)


def save(page, lab: Lab, out: Path) -> None:
    """Screenshot the viewport to ``out`` (PNG, shrunk to a palette if over MAX_BYTES), never with the token."""
    visible = page.evaluate("document.body.innerText") + page.url
    if lab.token in visible:
        raise SystemExit("the token is visible on the page; not saving the screenshot")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    # wait for a still picture: the players show a loading spinner for a moment after they scroll into view
    png, deadline = b"", time.monotonic() + 15
    while time.monotonic() < deadline:
        page.wait_for_timeout(700)
        shot = page.screenshot(type="png", caret="hide")
        if shot == png:
            break
        png = shot
    else:
        print("warning: the page did not settle; saving the last picture", file=sys.stderr)
    if len(png) > MAX_BYTES:
        try:
            from PIL import Image
        except ImportError:
            pass
        else:
            image = Image.open(io.BytesIO(png)).convert("RGB")
            buf = io.BytesIO()
            image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
                buf, format="PNG", optimize=True)
            png = min(png, buf.getvalue(), key=len)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(png)
    print(f"wrote {out} ({len(png) // 1024} KB)")


def shoot_quick_start(page, lab: Lab, out: Path) -> None:
    """The voiceover prompt, its reply with the timeline lanes, and the export's player, in one window."""
    from playwright.sync_api import TimeoutError as PWTimeout

    open_notebook(page, lab, QUICK_START.name)
    run_all(page, lab)
    arrange_quick_start(page)
    try:
        page.wait_for_function(ALL_VIDEOS_READY, timeout=30_000)
    except PWTimeout:
        raise SystemExit("the exported video did not load") from None
    save(page, lab, out)


def arrange_quick_start(page) -> None:
    """The voiceover cell at the top, the export's player at the bottom.

    The reply already draws the timeline lanes, so section 3 (status, title, undo) is folded with
    JupyterLab's own heading toggle (it shows "4 cells hidden"), and the notebook is zoomed out
    (View > Zoom Out Active Widget, 10 % a step) until the voiceover cell and the export cell fit the window.
    """
    heading = page.locator(".jp-MarkdownCell").filter(has=page.locator("h2", has_text="3. The timeline")).first
    heading.locator(".jp-collapseHeadingButton").dispatch_event("click")  # the button shows on hover only
    page.wait_for_timeout(300)
    cells = page.locator(".jp-Notebook .jp-Cell")
    focus_cell(page, cells.count() - 1)  # the active cell (outline, cell toolbar) out of the picture
    top = cell_of(page, "%%nemo").locator(".jp-InputArea").first
    export = cell_of(page, "%nemo export")
    claim = export.locator("button.jupyter-button")  # the claim button, a live widget under the player
    bottom = claim.first if claim.count() else export.locator(".jp-OutputArea").first
    fit(page, top, bottom)


def fit(page, top, bottom, *, max_steps: int = 3) -> None:
    """Scroll (zooming out if need be) so ``top`` .. ``bottom`` fill the notebook's part of the window."""
    toolbar = page.locator(".jp-NotebookPanel-toolbar").first
    for step in range(max_steps + 1):
        scroll_to(page, top, 0)
        avail = VIEWPORT["height"] - toolbar.bounding_box()["y"] - toolbar.bounding_box()["height"]
        t, b = top.bounding_box(), bottom.bounding_box()
        need = b["y"] + b["height"] - t["y"]
        if need + 2 <= avail or step == max_steps:
            break
        page.evaluate("window.jupyterapp.commands.execute('application:zoom-out-widget')")
        page.wait_for_timeout(400)
    if need > avail:
        print("warning: the cells do not fit the window entirely", file=sys.stderr)
    scroll_to(page, top, max(1, min(6, (avail - need) / 2)))  # more would show the cell above's tail


def focus_cell(page, index: int) -> None:
    """Make cell ``index`` the active cell, in command mode (no caret), with the mouse out of the way."""
    page.evaluate("""(i) => {
      const nb = window.jupyterapp.shell.currentWidget.content;
      nb.activeCellIndex = i;
      nb.deselectAll();
      nb.mode = 'command';
      nb.node.focus();
    }""", index)
    page.mouse.move(VIEWPORT["width"] - 5, VIEWPORT["height"] - 5)


def shoot_compare(page, lab: Lab, out: Path) -> None:
    """The %%nemo compare cell: four prompts, each with its reply, timeline and player, and the table."""
    from playwright.sync_api import TimeoutError as PWTimeout

    open_notebook(page, lab, COMPARE.name)
    run_all(page, lab)
    cell = cell_of(page, "%%nemo compare")
    focus_cell(page, page.locator(".jp-Notebook .jp-Cell").count() - 1)
    scroll_to(page, cell.locator(".jp-InputArea").first, 4)
    try:
        page.wait_for_function(ALL_VIDEOS_READY, timeout=30_000)
    except PWTimeout:
        raise SystemExit("the compared videos did not load") from None
    save(page, lab, out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "docs" / "notebook.png")
    ap.add_argument("--compare", type=Path, nargs="?", const=REPO / "docs" / "notebook-compare.png",
                    help="also shoot notebooks/05_compare_prompts.ipynb (default path: docs/notebook-compare.png)")
    args = ap.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    jobs = [(QUICK_START, args.out.resolve(), shoot_quick_start)]
    if args.compare:
        jobs.append((COMPARE, args.compare.resolve(), shoot_compare))
    for notebook, out, shoot in jobs:
        with tempfile.TemporaryDirectory(prefix="nemo-shot-") as tmp_name:
            tmp = Path(tmp_name)
            root = tmp / "notebooks"
            root.mkdir()
            shutil.copy(notebook, root / notebook.name)
            with jupyterlab(tmp, root) as lab, sync_playwright() as p:
                browser = p.chromium.launch_persistent_context(
                    str(tmp / "chromium-profile"), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                    viewport=VIEWPORT, device_scale_factor=1, color_scheme="light")
                try:
                    page = browser.pages[0] if browser.pages else browser.new_page()
                    page.set_default_timeout(60_000)
                    shoot(page, lab, out)
                finally:
                    browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
