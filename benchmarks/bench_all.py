"""Every speed figure of the project in one table: runs the benchmark scripts one after another (each in its
own process) and collects their medians.

    python benchmarks/bench_all.py [--runs 3] [--only smart,render,…] [--upload-mb 500]

Targets as the issues set them. Times vary up to 2x on shared machines: the ratios (measured within one
script's run, interleaved) are what to compare; the table says how loaded the machine was.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Figure:
    """One number a script prints: its label, the pattern that finds it, and its target."""

    label: str
    pattern: str
    unit: str
    target: str  # "<= 0.25" / ">= 0.8" / "" (for information)

    def verdict(self, value: float) -> str:
        if not self.target:
            return ""
        op, limit = self.target.split()
        return "ok" if (value <= float(limit) if op == "<=" else value >= float(limit)) else "MISSED"


def _row(name: str) -> str:
    """bench_render's and bench_smart's table rows: the figure is the number after the name."""
    return re.escape(name) + r"\s+(?:[\d.]+s\s+[\d.]+s\s+)?([\d.]+)"


SCRIPTS: dict[str, tuple[list[str], list[Figure]]] = {
    "smart": (["bench_smart.py"], [
        Figure("smart render, title over the first 2 s (x full re-encode)", _row("(s1) title over the first 2 s"),
               "x", "<= 0.25"),
        Figure("smart render, title over 2 s mid-clip (x full)", _row("(s2) title over 2 s mid-clip"), "x", "<= 0.25"),
        Figure("smart render, trim off a keyframe (x full)", _row("(s3) trim off a keyframe (cut 5.5 s)"), "x",
               "<= 0.15"),
        Figure("preview, 30 s 1080p clip as it is", _row("(p1) preview, clip as it is"), "s", "<= 4"),
        Figure("preview, title", _row("(p2) preview, title"), "s", "<= 4"),
        Figure("preview, 16:9 -> 9:16 + title", _row("(p3) preview, 16:9 -> 9:16 + title"), "s", "<= 4"),
        Figure("preview, trim", _row("(p4) preview, trim"), "s", "<= 4"),
    ]),
    "render": (["bench_render.py"], [
        Figure("new audio track, video copied (x bare stream-copy mux)", _row("(a) new audio track, video copied"),
               "x", "<= 1.5"),
        Figure("title + 16:9 -> 9:16 (x one hand-written ffmpeg)", _row("(b) title + 16:9 -> 9:16, re-encoded"), "x",
               "<= 1.2"),
        Figure("dub into 3 languages (x hand-written ffmpeg)", _row("(c) dub into 3 languages, video copied"), "x",
               "<= 1.3"),
    ]),
    "agent": (["bench_agent.py"], [
        Figure("voiceover: upload -> turn -> export -> download", r"median upload→turn→export→download ([\d.]+) s",
               "s", "<= 2.5"),
        Figure("voiceover: first streamed text", r"median first text (\d+) ms", "ms", "<= 300"),
    ]),
    "presenter": (["bench_dub_avatar.py"], [
        Figure("150-word presenter at 1080p: turn + export", r"median avatar \(turn \+ export\) ([\d.]+) s", "s",
               "<= 5"),
        Figure("dub into 3 languages: turn + export", r"median dub \(turn \+ export of all outputs\) ([\d.]+) s", "s",
               "<= 10"),
    ]),
    "client": (["bench_client.py"], [
        Figure("SSE event handling (x bare httpx-sse speed)", r"speed ratio median ([\d.]+)", "x", ">= 0.7"),
        Figure("upload throughput (x bare httpx)", r"throughput ratio median ([\d.]+)", "x", ">= 0.8"),
        Figure("upload peak RSS growth", r"peak RSS growth median ([\d.]+) MB", "MB", "<= 64"),
    ]),
    "sse": (["bench_sse.py"], [
        Figure("50 concurrent /run_sse sessions, wall", r"median wall ([\d.]+) s", "s", ""),
    ]),
    "draft": (["bench_draft.py"], [
        Figure("10,000-segment draft -> DataFrames", r"median ([\d.]+) ms", "ms", ""),
    ]),
}


def run(script: list[str], runs: int, extra: list[str]) -> str:
    cmd = [sys.executable, str(HERE / script[0]), "--runs", str(runs), *extra]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent, check=False)
    if done.returncode != 0:
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
    return done.stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", default=",".join(SCRIPTS), help=f"comma-separated: {', '.join(SCRIPTS)}")
    parser.add_argument("--upload-mb", type=int, default=500)
    opts = parser.parse_args()
    chosen = [name.strip() for name in opts.only.split(",") if name.strip()]
    rows: list[tuple[Figure, float | None]] = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    started = time.perf_counter()
    for name in chosen:
        script, figures = SCRIPTS[name]
        extra = ["--upload-mb", str(opts.upload_mb)] if name == "client" else []
        out = run(script, opts.runs, extra)
        print(out, end="", flush=True)
        for figure in figures:
            found = re.search(figure.pattern, out)
            rows.append((figure, float(found.group(1)) if found else None))
    print(f"\n{len(chosen)} scripts, {opts.runs} runs each, {time.perf_counter() - started:.0f} s; load average "
          f"{load:.1f} at the start on {os.cpu_count()} cores")
    print(f"{'figure':60} {'median':>9} {'target':>9}")
    for figure, value in rows:
        shown = "failed" if value is None else f"{value:g}{figure.unit}"
        verdict = "MISSED" if value is None and figure.target else "" if value is None else figure.verdict(value)
        print(f"{figure.label:60} {shown:>9} {figure.target or '-':>9} {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
