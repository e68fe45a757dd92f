"""A real Jupyter frontend for the browser tests: JupyterLab 4 or Notebook 7 on loopback, and Debian's
chromium driven by Playwright (never a downloaded browser)."""
from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
FRONTENDS = {
    # module, the page of a notebook, the app option that exposes window.jupyterapp
    "lab": ("jupyterlab", "lab/tree/{name}", "--LabApp.expose_app_in_browser=True"),
    "notebook": ("notebook", "notebooks/{name}", "--JupyterNotebookApp.expose_app_in_browser=True"),
}
KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.status === 'idle';
}"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_settings(settings: Path) -> None:
    """JupyterLab user settings: render every cell (no windowing), no news toast."""
    tracker = settings / "@jupyterlab" / "notebook-extension" / "tracker.jupyterlab-settings"
    tracker.parent.mkdir(parents=True, exist_ok=True)
    tracker.write_text(json.dumps({"windowingMode": "none"}))
    notes = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notes.parent.mkdir(parents=True, exist_ok=True)
    notes.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@contextmanager
def jupyter(frontend: str, root: Path, tmp: Path, env_extra: dict[str, str]) -> Iterator[dict[str, Any]]:
    """``frontend`` ("lab" or "notebook") serving ``root``; yields its base URL, token, log and page path."""
    module, page, expose = FRONTENDS[frontend]
    port, token = free_port(), secrets.token_hex(16)
    env = {**os.environ, **env_extra, "JUPYTER_CONFIG_DIR": str(tmp / "jconfig"),
           "JUPYTER_RUNTIME_DIR": str(tmp / "jruntime"), "JUPYTERLAB_SETTINGS_DIR": str(tmp / "jsettings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(tmp / "jworkspaces"), "IPYTHONDIR": str(tmp / "ipython")}
    write_settings(tmp / "jsettings")
    log_path = tmp / f"{frontend}.log"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", module, "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}", expose,
         *(["--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
           if frontend == "lab" else []),
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
                raise AssertionError(f"{module} did not start:\n" + log_path.read_text()[-3000:])
            time.sleep(0.3)
        yield {"base": base, "token": token, "log": log_path, "page": page, "root": root, "tmp": tmp}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def notebook_url(app: dict[str, Any], name: str) -> str:
    return f"{app['base']}/{app['page'].format(name=name)}?token={app['token']}"


@contextmanager
def browser(profile: Path, sync_api: Any) -> Iterator[Any]:
    """A chromium page (1280×1400), default timeout 60 s."""
    with sync_api.sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile), executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 1400})
        try:
            page = context.pages[0] if context.pages else context.new_page()
            page.set_default_timeout(60_000)
            yield page
        finally:
            context.close()


def write_notebook(path: Path, cells: list[str]) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, path)


def run_cell(page: Any, index: int) -> None:
    """Run the notebook's cell ``index`` (0-based) through the app's own commands."""
    page.evaluate("""(i) => {
      const panel = window.jupyterapp.shell.currentWidget;
      panel.content.activeCellIndex = i;
      return window.jupyterapp.commands.execute('notebook:run-cell');
    }""", index)
