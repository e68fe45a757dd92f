"""A spliced MP4 in a real browser: Debian's chromium (Playwright, no download) loads it, seeks to just before
each splice point and plays across it, and every frame it presents is the frame ffmpeg decodes there.

Skips, saying why, when /usr/bin/chromium is not installed (CI installs it: see .ci/run).
"""
from __future__ import annotations

import base64
import functools
import http.server
import io
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import numpy as np
import pytest
from media_helpers import ffmpeg
from PIL import Image

from nemo_nb.draft import Draft
from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.render import MediaRef, plan_render, render

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]
W, H, FPS = 320, 240, 25

pytestmark = [
    pytest.mark.skipif(not Path(CHROMIUM).exists(),
                       reason=f"{CHROMIUM} is not installed (apt-get install chromium; .ci/run does it in CI)"),
    pytest.mark.slow,
    pytest.mark.timeout(240),
]

# Seek to each start, then play and grab the next frames (or those up to the end) as the browser presents them
# (requestVideoFrameCallback gives each one's media time).
SEEK_AND_PLAY = """async ([src, starts, frames]) => {
  const v = document.createElement('video');
  v.muted = true; v.preload = 'auto'; v.src = src; document.body.appendChild(v);
  const wait = (what) => new Promise((ok, bad) => {
    v.addEventListener(what, ok, {once: true});
    v.addEventListener('error', () => bad('media error ' + (v.error && v.error.code)), {once: true});
    setTimeout(() => bad('timed out waiting for ' + what), 20000);
  });
  await wait('loadeddata');
  const canvas = document.createElement('canvas');
  canvas.width = v.videoWidth; canvas.height = v.videoHeight;
  const g = canvas.getContext('2d', {willReadFrequently: true});
  const out = {ready: v.readyState, duration: v.duration, size: [v.videoWidth, v.videoHeight], runs: []};
  for (const start of starts) {
    v.currentTime = start; await wait('seeked');
    const run = {start, ready: v.readyState, shown: []};
    await new Promise((done, bad) => {
      setTimeout(() => bad('only ' + run.shown.length + ' frames shown after seeking to ' + start), 20000);
      const grab = (now, meta) => {
        g.drawImage(v, 0, 0);
        run.shown.push([meta.mediaTime, canvas.toDataURL('image/png')]);
        if (run.shown.length < frames) v.requestVideoFrameCallback(grab); else { v.pause(); done(); }
      };
      v.addEventListener('ended', () => done(), {once: true});
      v.requestVideoFrameCallback(grab);
      v.play();
    });
    out.runs.push(run);
  }
  out.error = v.error && v.error.code;
  out.corrupted = v.getVideoPlaybackQuality().corruptedVideoFrames;
  return out;
}"""


class RangeRequests(http.server.SimpleHTTPRequestHandler):
    """A static file server that answers ``Range`` requests (a browser cannot seek in a file without them)."""

    def send_head(self) -> IO[bytes] | None:  # type: ignore[override]
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range", ""))
        path = self.translate_path(self.path)
        if not wanted or not os.path.isfile(path):
            return super().send_head()
        size = os.path.getsize(path)
        first, last = int(wanted[1]), min(int(wanted[2] or size - 1), size - 1)
        with open(path, "rb") as f:
            f.seek(first)
            data = f.read(last - first + 1)
        self.send_response(206)
        for key, value in (("Content-Type", "video/mp4"), ("Content-Range", f"bytes {first}-{last}/{size}"),
                           ("Content-Length", str(len(data))), ("Accept-Ranges", "bytes")):
            self.send_header(key, value)
        self.end_headers()
        return io.BytesIO(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A loopback HTTP server for ``tmp_path``: (the folder, its base URL)."""
    handler = functools.partial(RangeRequests, directory=str(tmp_path))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield tmp_path, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.mark.parametrize("x264", [["-preset", "ultrafast"], ["-preset", "medium"]], ids=["no-bframes", "bframes"])
def test_spliced_mp4_plays_and_seeks_across_splices_in_chromium(served, x264):
    playwright = pytest.importorskip("playwright.sync_api")
    pytest.importorskip("av")
    folder, base = served
    source = folder / "source.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r={FPS}:d=6", "-f", "lavfi", "-i", "sine=f=440:d=6",
           "-c:v", "libx264", *x264, "-g", "25", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(source))
    # A trim off a keyframe, a cut out of the middle and a title: three kinds of splice point.
    draft = Draft({"t": [{"tt": 0, "sg": [{"src": "v", "ss": 300, "d": 2000}, {"src": "v", "ss": 3300, "st": 2000}]},
                         {"tt": 7, "sg": [{"k": "title", "tx": "Splice", "st": 2500, "d": 600}]}], "m": {}})
    plan = plan_render(draft, {"v": MediaRef(source, probe(source))}.get, folder / "smart.mp4", folder / "work",
                       smart=True)
    report = render(plan)
    assert report.picture == "spliced", report
    decoded = np.frombuffer(ffmpeg("-i", str(plan.out_path), "-map", "0:v", "-f", "rawvideo", "-pix_fmt", "rgb24", "-"),
                            np.uint8).reshape(-1, H, W, 3).astype(int)
    assert len(report.splices) >= 3
    starts = [max(0.0, t - 0.2) for t in report.splices]  # a few frames before each splice point
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/")
            played = page.evaluate(SEEK_AND_PLAY, [f"{base}/smart.mp4", starts, 12])
        finally:
            browser.close()
    assert played["ready"] >= 2 and played["size"] == [W, H]
    assert played["error"] is None and played["corrupted"] == 0
    assert played["duration"] == pytest.approx(4.7, abs=0.1)
    for splice, run in zip(report.splices, played["runs"], strict=False):
        assert run["ready"] >= 2
        times = [t for t, _ in run["shown"]]
        assert run["start"] <= times[0] < run["start"] + 0.2, "the seek must land where it was asked"
        assert times[0] < splice <= times[-1], f"playing from {run['start']} s must cross the splice at {splice} s"
        for t, png in run["shown"]:
            picture = np.asarray(Image.open(io.BytesIO(base64.b64decode(png.split(",", 1)[1]))).convert("RGB"), int)
            assert np.abs(picture - decoded[round(t * FPS)]).mean() < 3, f"at {t:.2f} s chromium shows another picture"
