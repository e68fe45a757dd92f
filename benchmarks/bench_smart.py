"""Smart rendering and previews (issue 15), on a 30 s 1920x1080 30 fps H.264 clip:

  smart render (only the GOPs a change touches re-encoded) vs a full re-encode of the SAME draft:
    (s1) a title over the first 2 s                       target ≤ 0.25x
    (s2) a title over 2 s in the middle                   target ≤ 0.25x
    (s3) a trim off a keyframe (the first 5.5 s cut)      target ≤ 0.15x
  previews (≤ 540p, quick) of drafts of that clip: as it is, a title, 16:9 → 9:16 with a title, a trim: each ≤ 4 s,
    read from the clip's preview proxy (a ≤ 540p, 15 fps copy the backend makes once, in the background, after the
    upload — its time is printed too), and once from the original, for comparison

    python benchmarks/bench_smart.py [--runs 3] [--gop 60]

The clip has a keyframe every 2 s (--gop 60), as phones and streaming encoders make them; the re-encoded share
grows with the GOP (x264's default, 250 frames, is ~8 s). Runs are interleaved so machine noise hits both
sides alike; medians are printed, and the ratios are what to compare (times vary on shared machines).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nemo_nb.draft import Draft
from nemo_nb.local.media.ffmpeg import ffmpeg_exe
from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.proxy import make_proxy
from nemo_nb.local.media.render import MediaRef, RenderReport, plan_render, render

ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p"]
TITLE = {"tt": 7, "sg": [{"k": "title", "tx": "Urban Dreams", "st": 0, "d": 2000}]}
SMART_CASES = {  # name → (tracks, target ratio)
    "(s1) title over the first 2 s": ([{"tt": 0, "sg": [{"src": "v"}]}, TITLE], 0.25),
    "(s2) title over 2 s mid-clip": ([{"tt": 0, "sg": [{"src": "v"}]},
                                       {"tt": 7, "sg": [{"k": "title", "tx": "Midway", "st": 13000, "d": 2000}]}],
                                      0.25),
    "(s3) trim off a keyframe (cut 5.5 s)": ([{"tt": 0, "sg": [{"src": "v", "ss": 5500}]}], 0.15),
}
PREVIEWS = {  # name → (tracks, canvas)
    "(p1) preview, clip as it is": ([{"tt": 0, "sg": [{"src": "v"}]}], None),
    "(p2) preview, title": ([{"tt": 0, "sg": [{"src": "v"}]}, TITLE], None),
    "(p3) preview, 16:9 -> 9:16 + title": ([{"tt": 0, "sg": [{"src": "v"}]}, TITLE], {"w": 1080, "h": 1920,
                                                                                       "fit": "fill"}),
    "(p4) preview, trim": ([{"tt": 0, "sg": [{"src": "v", "ss": 5500}]}], None),
}
PREVIEW_TARGET_S = 4.0


def make_clip(folder: Path, seconds: int, gop: int) -> Path:
    """testsrc2 with mild temporal noise (camera-like work for the encoder), one keyframe every ``gop`` frames."""
    clip = folder / "clip.mp4"
    subprocess.run([ffmpeg_exe(), "-nostdin", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=s=1920x1080:r=30:d={seconds},noise=alls=8:allf=t", "-f", "lavfi", "-i",
                    f"sine=f=440:d={seconds}:sample_rate=48000", *ENCODE, "-g", str(gop), "-c:a", "aac", "-shortest",
                    str(clip)], check=True)
    return clip


def renderer(folder: Path, clip: Path, tracks: list[dict[str, Any]], canvas: dict[str, Any] | None = None,
             decode: Path | None = None, **options: Any) -> Callable[[], RenderReport]:
    """Render the draft; ``decode``: read this file (a preview proxy) for the clip's picture and sound."""
    refs = {"v": MediaRef(decode or clip, probe(clip))}
    raw: dict[str, Any] = {"t": tracks, "m": {"canvas": canvas} if canvas else {}}

    def run() -> RenderReport:
        plan = plan_render(Draft(raw), refs.get, folder / "out.mp4", folder / "work", **options)
        return render(plan)

    return run


def timed(fn: Callable[[], RenderReport]) -> tuple[float, RenderReport]:
    start = time.perf_counter()
    report = fn()
    return time.perf_counter() - start, report


def measure(runs: int = 3, seconds: int = 30, gop: int = 60) -> list[dict[str, Any]]:
    """Rows: {"name", "value", "unit", "target", "ok", "detail"}."""
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="nemo-bench-smart-") as tmp:
        folder = Path(tmp)
        clip = make_clip(folder, seconds, gop)
        for name, (tracks, target) in SMART_CASES.items():
            full_t, smart_t, report = [], [], None
            for _ in range(runs):
                full_t.append(timed(renderer(folder, clip, tracks, smart=False))[0])
                took, report = timed(renderer(folder, clip, tracks, smart=True))
                smart_t.append(took)
                assert report.picture == "spliced", report
            full, smart = statistics.median(full_t), statistics.median(smart_t)
            rows.append({"name": name, "value": smart / full, "unit": "x", "target": target,
                         "ok": smart / full <= target,
                         "detail": f"smart {smart:.2f} s vs full {full:.2f} s; {report}"})
        started = time.perf_counter()
        proxy = make_proxy(clip, probe(clip))
        made = time.perf_counter() - started
        assert proxy is not None
        for name, (tracks, canvas) in PREVIEWS.items():
            took = statistics.median(timed(renderer(folder, clip, tracks, canvas, proxy, preview=True))[0]
                                     for _ in range(runs))
            rows.append({"name": name, "value": took, "unit": "s", "target": PREVIEW_TARGET_S,
                         "ok": took <= PREVIEW_TARGET_S, "detail": "from the proxy"})
        tracks, canvas = PREVIEWS["(p3) preview, 16:9 -> 9:16 + title"]
        direct = timed(renderer(folder, clip, tracks, canvas, preview=True))[0]
        rows.append({"name": "(p5) preview p3 from the original", "value": direct, "unit": "s", "target": None,
                     "ok": True, "detail": f"(no proxy yet; the proxy itself took {made:.2f} s on one core)"})
    return rows


def print_rows(rows: list[dict[str, Any]]) -> None:
    print(f"{'figure':44} {'median':>9} {'target':>8}")
    for row in rows:
        value = f"{row['value']:.2f}{row['unit']}"
        target = f"<={row['target']:g}{row['unit']}" if row["target"] is not None else "-"
        verdict = "" if row["target"] is None else "ok" if row["ok"] else "MISSED"
        print(f"{row['name']:44} {value:>9} {target:>8} {verdict:6} {row['detail']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--gop", type=int, default=60, help="keyframe interval of the clip, in frames")
    opts = parser.parse_args()
    print(f"{opts.runs} runs each, {opts.seconds} s 1920x1080 30 fps clip, a keyframe every {opts.gop} frames")
    print_rows(measure(opts.runs, opts.seconds, opts.gop))


if __name__ == "__main__":
    main()
