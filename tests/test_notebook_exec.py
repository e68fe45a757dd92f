"""tests/notebooks/demo.ipynb executed by nbclient in a real kernel against the embedded backend.

The saved notebook must show the reply, the timeline picture and a playable video without a kernel
(static HTML), hold no widget-only output, and never contain the token.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import pytest
from untrusted import check_output

pytestmark = pytest.mark.slow  # a notebook run in a real kernel

DEMO = Path(__file__).parent / "notebooks" / "demo.ipynb"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TOKEN_HASH_CELL = """\
import hashlib
from nemo_nb.notebook import get_magics
# test only: the kernel's token, printed as a hash, never as itself
_t = get_magics().controller.client.aio.identity._token
print("token-sha256:", hashlib.sha256(_t.encode()).hexdigest())
del _t
"""


def outputs_of(nb) -> list[dict]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs]


def rich(out: dict) -> str:
    data = out.get("data", {})
    return "\n".join(v if isinstance(v, str) else json.dumps(v) for v in data.values())


def test_demo_notebook_runs_and_saves_static_outputs(tmp_path, monkeypatch, isolated_identity):
    # imported here, not at collection: nbformat's schema checks take seconds to import
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    monkeypatch.setenv("NEMO_DATA_DIR", str(tmp_path / "backend"))
    work = tmp_path / "work"
    work.mkdir()
    nb = nbformat.read(DEMO, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(TOKEN_HASH_CELL))
    client = nbclient.NotebookClient(nb, timeout=180, kernel_name="python3",
                                     resources={"metadata": {"path": str(work)}})
    client.execute()  # raises CellExecutionError if any cell fails
    saved = work / "demo.ipynb"
    nbformat.write(nb, saved)

    outs = outputs_of(nb)
    html = "\n".join(out.get("data", {}).get("text/html", "") for out in outs)
    text = "\n".join(rich(out) for out in outs)
    # the reply, streamed then left as static Markdown/HTML/plain text
    reply_outs = [o for o in outs if "nemo-reply" in o.get("data", {}).get("text/html", "")]
    assert reply_outs, text[:2000]
    final = reply_outs[0]["data"]
    assert {"text/plain", "text/html", "text/markdown"} <= set(final)
    assert "Adding clip.mp4 to the timeline" in final["text/plain"]
    assert "nemo-live" not in html  # no live view was left behind
    # the timeline picture and the video
    assert 'class="nemo-timeline-png"' in html and "Timeline (1 track): 1. Video: clip.mp4" in html
    for out in outs:  # every output reads right untrusted: no SVG, style or script; pictures as PNG too
        if out.get("output_type") in ("display_data", "execute_result"):
            check_output(dict(out["data"]), dict(out.get("metadata", {})))
    assert "<video" in html and 'src="data:video/mp4;base64,' in html
    assert (work / "demo.mp4").stat().st_size > 10_000
    # no claim button after the export on the embedded backend (claiming is a cloud feature); the one asked
    # for with %nemo claim is a live widget that carries a snapshot
    widgets = [out for out in outs if WIDGET_VIEW in out.get("data", {})]
    assert len(widgets) == 1 and widgets[0] in nb.cells[-2].outputs, "a claim button only where asked for"
    for out in outs:
        data = out.get("data", {})
        if WIDGET_VIEW in data:
            assert "text/html" in data or "text/plain" in data, out
    assert not [o for o in outs if o.get("output_type") == "error"]

    # no token in the saved file; the hash printed by the kernel proves we looked for the right one
    printed = [line.split()[-1] for o in outs if o.get("output_type") == "stream"
               for line in o.get("text", "").splitlines() if line.startswith("token-sha256:")]
    cache = json.loads((isolated_identity / "tokens.json").read_text())
    tokens = [entry["token"] for entry in cache.values()]
    assert printed and printed[0] in {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    content = saved.read_text()
    for token in tokens:
        assert token not in content
    assert "nmv_usr_" not in content and "clm_" not in content  # no token, no claim token
    if os.environ.get("NEMO_TEST_ARTIFACTS"):  # keep the executed notebook when asked (not committed)
        artifacts = Path(__file__).parent / "artifacts"
        artifacts.mkdir(exist_ok=True)
        shutil.copy(saved, artifacts / "demo.executed.ipynb")
