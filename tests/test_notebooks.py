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
