"""Time ``Draft.tracks_df()`` + ``Draft.segments_df()`` on a big draft (target: ≤ 100 ms for 10,000 segments).

Usage: python benchmarks/bench_draft.py [--segments 10000] [--runs 7]
"""
from __future__ import annotations

import argparse
import statistics
import time

from nemo_nb.draft import AUDIO, TEXT, VIDEO, Draft


def big_draft(segments: int) -> Draft:
    """A draft of ``segments`` segments spread over a video, a music and a caption track."""
    tracks = [{"tt": VIDEO, "sg": []}, {"tt": AUDIO, "n": "Music", "sg": []}, {"tt": TEXT, "sg": []}]
    for i in range(segments):
        track = tracks[i % 3]
        seg = {"id": f"seg_{i}", "st": (i // 3) * 2000, "d": 2000, "n": f"part {i}", "v": 80, "x-extra": i}
        if track["tt"] == TEXT:
            seg.update(k="caption", tx=f"caption number {i}")
        else:
            seg.update(k="video" if track["tt"] == VIDEO else "music", src=f"med_{i:08x}", ss=500)
        track["sg"].append(seg)
    return Draft({"t": tracks, "m": {"canvas": {"w": 1920, "h": 1080, "fit": "fit"}}})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--segments", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    draft = big_draft(args.segments)
    draft.tracks_df()  # first call imports pandas; not timed
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        tracks, segments = draft.tracks_df(), draft.segments_df()
        timings.append((time.perf_counter() - started) * 1000)
    assert len(segments) == args.segments and len(tracks) == 3
    print(f"tracks_df + segments_df, {args.segments} segments: median {statistics.median(timings):.1f} ms "
          f"(min {min(timings):.1f}, max {max(timings):.1f}, {args.runs} runs)")


if __name__ == "__main__":
    main()
