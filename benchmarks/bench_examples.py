"""What the example notebooks export, measured from the files: size, loudness, bars and where text sits.

    python benchmarks/bench_examples.py [--keep DIR] [NAME ...]

Runs the example notebooks in ``notebooks/`` (or those whose names contain a NAME) offline, as ``.ci/run``
does: ``nemo-nb run-notebooks`` in one work folder with its own NEMO_DATA_DIR and NEMO_CONFIG_DIR and
NEMO_API_URL=http://127.0.0.1:9 (no cloud), one notebook at a time so each MP4 is put down to the notebook
that wrote it. Then prints a Markdown row per exported MP4 (the clips the notebooks make and upload are
left out): resolution, duration, integrated loudness and true peak (ffmpeg's ebur128, the tests' measure),
black bars seen on frames at 30/50/70% (the tests' measure), the frame's fit (blur, fit or fill) and each
drawn text's kind, place and font size as the render lays it out, read from the render's draft in the
backend's database (the export is matched to its render by size).
"""
from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "media"))  # the tests' measures

from media_helpers import black_bars, loudness

from nemo_nb.local.media.fonts import default_font
from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.text_layout import layout

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TEXT_TRACK = 7


def run(notebook: Path, work: Path) -> tuple[bool, float, list[Path]]:
    """Run ``notebook`` in ``work``; (ok, seconds, MP4s it wrote or rewrote)."""
    before = {p: p.stat().st_mtime_ns for p in work.glob("*.mp4")}
    env = {**os.environ, "NEMO_DATA_DIR": str(work / "data"), "NEMO_CONFIG_DIR": str(work / "config"),
           "NEMO_API_URL": "http://127.0.0.1:9"}
    start = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "nemo_nb.cli", "run-notebooks", str(work / notebook.name)],
                          env=env, capture_output=True, text=True)
    seconds = time.monotonic() - start
    written = [p for p in sorted(work.glob("*.mp4")) if before.get(p) != p.stat().st_mtime_ns]
    return done.returncode == 0, seconds, written


def renders_by_size(data_dir: Path) -> dict[int, dict[str, Any]]:
    """Each completed, non-preview render's draft, by the size of each file it wrote."""
    db = sqlite3.connect(f"file:{data_dir / 'nemo.sqlite3'}?mode=ro", uri=True)
    out = {}
    rows = db.execute("SELECT draft, output, size, extra_outputs FROM renders WHERE status='completed'")
    for draft, output, size, extra in rows:
        if json.loads(output).get("preview") is True:
            continue
        draft = json.loads(draft)
        out[size] = draft
        for item in json.loads(extra or "{}").values():
            out[item["size"]] = draft
    db.close()
    return out


def texts(draft: dict[str, Any] | None, width: int, height: int) -> str:
    """Each distinct drawn text's kind, place and laid-out font size (px and share of the frame's height)."""
    if draft is None:
        return "(no draft)"
    seen = []
    for track in draft.get("t", []):
        for seg in track.get("sg", []) if track.get("tt") == TEXT_TRACK else []:
            kind = seg.get("k") or "title"
            pos = seg.get("pos") or ("center" if kind == "title" else "bottom")
            placed = layout(str(seg.get("tx", "")), kind, pos, width, height, default_font(bold=kind == "title"),
                            seg.get("fs"))
            seen.append(f"{kind} {pos} {placed.size}px ({100 * placed.size / height:.1f}% h)")
    unique = sorted(set(seen), key=seen.index)
    return "; ".join(f"{text} ×{seen.count(text)}" if seen.count(text) > 1 else text for text in unique) or "none"


def row(notebook: str, path: Path, drafts: dict[int, dict[str, Any]]) -> str:
    info = probe(path)
    sound = "{:.1f} LUFS / {:.1f} dBTP".format(*loudness(path)) if info.has_audio else "no sound"
    draft = drafts.get(path.stat().st_size)
    fit = ((draft or {}).get("m", {}).get("canvas") or {}).get("fit", "-")
    return (f"| {notebook} | {path.name} | {info.width}x{info.height} | {info.duration_s:.1f} s | {sound} | "
            f"{black_bars(path) or 'none'} | {fit} | {texts(draft, info.width, info.height)} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="run only notebooks whose names contain one of these")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    args = parser.parse_args()
    notebooks = [p for p in sorted(NOTEBOOKS.glob("*.ipynb")) if not args.names or any(n in p.stem for n in args.names)]
    with tempfile.TemporaryDirectory() as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        made: list[tuple[str, Path]] = []
        for notebook in notebooks:
            (work / notebook.name).write_bytes(notebook.read_bytes())
            ok, seconds, written = run(notebook, work)
            print(f"{notebook.stem}: {'ok' if ok else 'FAILED'} in {seconds:.0f} s", flush=True)
            made += [(notebook.stem, path) for path in written]
        drafts = renders_by_size(work / "data")
        print("\n| notebook | file | resolution | duration | loudness | black bars | fit | texts |")
        print("|---|---|---|---|---|---|---|---|")
        for notebook_name, path in made:
            if path.stat().st_size in drafts:  # an export; not a clip the notebook made to upload
                print(row(notebook_name, path, drafts), flush=True)


if __name__ == "__main__":
    main()
