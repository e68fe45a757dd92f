"""The voiceover promise (issue 4), through the HTTP API with the real client:

a 30 s 1080p silent clip + a 60-word English script: upload → turn → export → download (target median
≤ 2.5 s, video stream copied), and the time to the first streamed text after sending (target ≤ 300 ms).

Usage: python benchmarks/bench_agent.py [--runs 5]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from _server import embedded_server

from nemo_nb import Nemo, samples
from nemo_nb.api.events import TextEvent

SCRIPT = ("Meet Atlas, the dashboard that turns your sales data into decisions. Connect your store in one click "
          "and watch revenue, orders and returns update live. Spot your best sellers at a glance, then drill into "
          "any chart for the details. Share a polished report with your whole team in seconds. Atlas: clarity for "
          "busy teams, every day.")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    assert 55 <= len(SCRIPT.split()) <= 65, len(SCRIPT.split())
    with tempfile.TemporaryDirectory() as tmp:
        clip = samples.make_clip(Path(tmp) / "demo.mp4", seconds=30, width=1920, height=1080, fps=30, audio=False)
        with embedded_server(f"{tmp}/data", "--credits", "10000") as (url, _):
            time.sleep(4)  # the backend warms the neural voice at start, as it does for a user
            nemo = Nemo(url, config_directory=f"{tmp}/config")
            totals, firsts, copied = [], [], []
            for run in range(args.runs):
                s = nemo.session()
                first: list[float] = []
                t0 = time.perf_counter()
                s.upload(clip)
                sent = [0.0]

                def on_event(event, sent=sent, first=first):
                    if isinstance(event, TextEvent) and not first:
                        first.append(time.perf_counter() - sent[0])

                sent[0] = time.perf_counter()
                reply = s.send(f"add a natural AI voiceover in English: {SCRIPT}", on_event=on_event)
                out = s.export(Path(tmp) / f"out{run}.mp4")
                total = time.perf_counter() - t0
                assert "Added an English voiceover" in reply.text, reply.text
                totals.append(total)
                firsts.append(first[0])
                copied.append(video_copied(clip, out.path))
                print(f"run {run + 1}: total {total:.2f} s, first text {first[0] * 1000:.0f} ms, "
                      f"video copied: {copied[-1]}")
            print(f"median upload→turn→export→download {statistics.median(totals):.2f} s (target <= 2.5 s); "
                  f"median first text {statistics.median(firsts) * 1000:.0f} ms (target <= 300 ms); "
                  f"video copied in {sum(copied)}/{len(copied)} runs")
            nemo.close()
    return 0


def video_copied(source: Path, output: Path) -> bool:
    """The output's video packets are the source's, byte for byte."""
    from nemo_nb.local.media.probe import video_packet_hashes

    return video_packet_hashes(source) == video_packet_hashes(output)


if __name__ == "__main__":
    sys.exit(main())
