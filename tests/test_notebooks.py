"""The example notebooks: stored clean, and each runs top to bottom on the embedded backend."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
from untrusted import check_output

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
TOKEN_LIKE = re.compile(r"nmv_usr_[A-Za-z0-9]|clm_[A-Za-z0-9_-]{8}")
# What a shipped example must never show as if it were intended (its deliberate lessons — "the agent
# needs the translations", "notes.exe is not a supported type" — say so in other words).
FAILURE_LOOKING = re.compile(r"[Cc]ould not act|\b[Ff]ailed\b|\bError\b|Traceback|✗|[Nn]ot enough credits|"
                             r"[Cc]ould not|[Cc]ouldn't|[Cc]annot")  # "error" as a DataFrame column is fine
DEFAULT_CREDITS = 100     # a new user's credits on the embedded backend, as on the cloud
SPENT: dict[str, int] = {}  # credits each example notebook spent, filled by test_runs_top_to_bottom
RAN_IN: dict[str, Path] = {}  # the folder each notebook ran in, filled by test_runs_top_to_bottom
EXPORTED = re.compile(r'export(?:\s+--to\s+|\(")([\w.-]+)\.mp4')  # %nemo export --to x.mp4, s.export("x.mp4")


def exported_names(path: Path) -> set[str]:
    """The names (without .mp4) of the files a notebook's code cells export to."""
    return {name for cell in json.loads(path.read_text())["cells"] if cell["cell_type"] == "code"
            for name in EXPORTED.findall("".join(cell["source"]))}


EXPORTING = [p for p in NOTEBOOKS if exported_names(p)]
PANDAS_TABLE = re.compile(r"^<div>\s*<style scoped>")  # a DataFrame's own HTML: untrusted, its table stays


def output_texts(notebook: dict) -> list[tuple[int, str]]:
    """(cell index, text) of every output: streams, plain text, Markdown and HTML."""
    texts = []
    for index, cell in enumerate(notebook["cells"]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                texts.append((index, str(out.get("text", ""))))
            for key in ("text/plain", "text/markdown", "text/html"):
                value = out.get("data", {}).get(key)
                if value:
                    text = value if isinstance(value, str) else "".join(value)
                    texts.append((index, re.sub(r"<[^>]+>", " ", text) if key == "text/html" else text))
    return texts


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
    for index, cell in enumerate(executed["cells"]):  # ours read right untrusted (tests/untrusted.py)
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if data and not PANDAS_TABLE.match("".join(data.get("text/html", ""))):
                try:
                    check_output({k: "".join(v) if isinstance(v, list) else v for k, v in data.items()},
                                 out.get("metadata"))
                except AssertionError as exc:
                    raise AssertionError(f"cell {index} of {path.name}: {exc}") from None
    looks_failed = [(i, m.group(0), text[max(0, m.start() - 80):m.end() + 80]) for i, text in output_texts(executed)
                    for m in [FAILURE_LOOKING.search(text)] if m]
    assert not looks_failed, looks_failed
    from nemo_nb import Nemo  # the notebook's user (same client id), asked for the balance afterwards

    with Nemo.local(tmp_path / "data") as nemo:
        SPENT[path.stem] = DEFAULT_CREDITS - nemo.credits().available
    RAN_IN[path.stem] = work


@pytest.mark.slow
def test_the_example_notebooks_fit_comfortably_in_a_new_users_credits():
    """Run one after another by one learner, the examples leave a third of the default credits or more
    to play with (measured by test_runs_top_to_bottom, which runs each)."""
    if len(SPENT) < len(NOTEBOOKS):
        pytest.skip(f"needs every notebook's run in this session (ran: {sorted(SPENT)})")
    total = sum(SPENT.values())
    print(f"credits spent by the example notebooks: {SPENT} = {total} of {DEFAULT_CREDITS}")
    assert total <= DEFAULT_CREDITS * 2 // 3, SPENT


@pytest.mark.parametrize("path", EXPORTING, ids=lambda p: p.stem)
@pytest.mark.slow
def test_exports_pass_checks_from_pixels_and_samples(path: Path, tmp_path: Path, isolated_identity: Path,
                                                     monkeypatch: pytest.MonkeyPatch):
    """Every MP4 an example exports (and its per-language copies; previews aside) is at -14 LUFS ± 1.5 with
    true peaks at -1 dBTP or below when it has sound, and a frame not shaped like the examples' 16:9 sources
    (9:16, square) is filled edge to edge: no black bars. Reuses test_runs_top_to_bottom's run when there was one."""
    from media_helpers import black_bars, loudness, probe

    work = RAN_IN.get(path.stem)
    if work is None:
        from nemo_nb.notebook.execute import run_notebook

        monkeypatch.setenv("NEMO_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("NEMO_API_URL", "http://127.0.0.1:9")
        work = tmp_path / "work"
        work.mkdir()
        shutil.copy(path, work / path.name)
        run_notebook(work / path.name, timeout=600)
    names = exported_names(path)
    exports = [p for p in sorted(work.glob("*.mp4")) if p.name.split(".")[0] in names and ".preview" not in p.name]
    assert len(exports) >= len(names), (names, exports)
    for export in exports:
        info = probe(export)
        if info.has_audio:
            integrated, peak = loudness(export)
            assert abs(integrated + 14) <= 1.5, (export.name, integrated, peak)
            assert peak <= -1.0, (export.name, integrated, peak)
        if info.width * 9 != info.height * 16:
            assert not black_bars(export), export.name


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
