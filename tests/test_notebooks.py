"""The example notebooks: stored clean, and each runs top to bottom on the embedded backend."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
TOKEN_LIKE = re.compile(r"nmv_usr_[A-Za-z0-9]|clm_[A-Za-z0-9_-]{8}")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_stored_without_outputs_or_tokens(path: Path):
    text = path.read_text()
    assert not TOKEN_LIKE.search(text)
    for cell in json.loads(text)["cells"]:
        assert not cell.get("outputs") and cell.get("execution_count") is None, f"{path.name} has outputs"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
@pytest.mark.slow
def test_runs_top_to_bottom(path: Path, tmp_path: Path, isolated_identity: Path, monkeypatch: pytest.MonkeyPatch):
    from nemo_nb.notebook.execute import run_notebook

    monkeypatch.setenv("NEMO_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("NEMO_API_URL", "http://127.0.0.1:9")  # no cloud in tests: the notebooks fall back
    work = tmp_path / "work"
    work.mkdir()
    shutil.copy(path, work / path.name)
    executed = run_notebook(work / path.name, timeout=600)
    saved = (work / path.name).read_text()
    assert not TOKEN_LIKE.search(saved)
    errors = [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    assert os.listdir(work)


@pytest.mark.slow
def test_run_notebooks_prints_only_the_verdict(tmp_path: Path, capfd: pytest.CaptureFixture[str]):
    """``nemo-nb run-notebooks`` says ok/FAILED per notebook and nothing else: no kernel warning about
    unencrypted TCP channels (the kernel manager gives the kernel encrypted or IPC channels)."""
    import nbformat

    from nemo_nb.cli import main

    path = tmp_path / "tiny.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(6 * 7)")]), path)
    assert main(["run-notebooks", str(path)]) == 0
    out, err = capfd.readouterr()
    assert out.strip() == f"ok      {path}"
    assert "encryption" not in err and "WARNING" not in err, err
    executed = nbformat.read(tmp_path / "tiny.out.ipynb", as_version=4)
    assert executed.cells[0].outputs[0]["text"] == "42\n"
