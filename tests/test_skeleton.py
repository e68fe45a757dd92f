"""Package skeleton: a light import, the CLI, loopback only."""
from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from nemo_nb.local.settings import BackendSettings


def test_import_is_light():
    code = ("import sys, nemo_nb; heavy = [m for m in sys.modules if m.split('.')[0] in "
            "('starlette', 'uvicorn', 'pandas', 'numpy', 'imageio_ffmpeg', 'IPython', 'matplotlib') "
            "or m.startswith('nemo_nb.local')]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_backend_refuses_non_loopback_hosts():
    with pytest.raises(ValueError, match="loopback"):
        BackendSettings(host="0.0.0.0")  # noqa: S104  # the refusal under test


@pytest.mark.slow
def test_cli_serve_prints_url_and_serves(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "nemo_nb.cli", "serve", "--port", "0", "--data-dir",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert httpx.get(url + "/", timeout=10).json()["code"] == 0
        assert (tmp_path / "nemo.sqlite3").exists()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.mark.slow
def test_cli_rejects_unknown_fault(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "nemo_nb.cli", "serve", "--fault", "nope"],
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 2 and "unknown fault" in proc.stderr
