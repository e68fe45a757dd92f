"""What loudness normalisation costs, and what it measures on each kind of export.

    python benchmarks/bench_loudness.py [--runs 3] [--seconds 30]

Makes a 1920x1080 30 fps clip with its own sound, a voice-like WAV (peaky syllables, 24 kHz mono) and a
quiet music bed once, then times each export with loudness off and at the default −14 LUFS, interleaved:
  (a) a voiceover over the clip, video copied (the audio-only render: where the measuring run shows most)
  (b) the clip muted under music, video copied
  (c) the voiceover over the clip reframed to 9:16 with a title (re-encoded)
and prints the medians, the extra seconds and their ratio; then the integrated loudness and true peak
(ffmpeg's ebur128) of voice-only, music-only, voice+music and clip-sound exports.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from nemo_nb.draft import Draft
from nemo_nb.local.media.ffmpeg import ffmpeg_exe
from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.render import MediaRef, plan_render, render

ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p"]


def ffmpeg(*args: str) -> str:
    done = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-y", *args], capture_output=True, text=True,
                          check=True)
    return done.stderr


def make_sources(folder: Path, seconds: int) -> dict[str, MediaRef]:
    bed = "|".join(f"0.05*sin(2*PI*330*t)+0.02*(random({c})-0.5)" for c in (0, 1))
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={seconds},noise=alls=8:allf=t", "-f", "lavfi",
           "-i", f"aevalsrc={bed}:s=48000:d={seconds}", *ENCODE, "-c:a", "aac", "-shortest", str(folder / "clip.mp4"))
    syllables = ("0.3*sin(2*PI*(140+40*sin(2*PI*0.7*t))*t)*abs(sin(2*PI*2.5*t))*gt(sin(2*PI*0.3*t),-0.5)"
                 "+0.9*lt(mod(t,0.4),0.002)")
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{syllables}':s=24000:d={seconds}", str(folder / "voice.wav"))
    ffmpeg("-f", "lavfi", "-i", f"sine=f=220:d={seconds}:sample_rate=44100,volume=0.1", "-ac", "2",
           str(folder / "music.wav"))
    return {p.stem: MediaRef(p, probe(p)) for p in folder.iterdir() if p.suffix in (".mp4", ".wav")}


def loudness(path: Path) -> tuple[float, float]:
    log = ffmpeg("-i", str(path), "-map", "0:a:0", "-af", "ebur128=peak=true", "-f", "null", "-")
    summary = log.rpartition("Summary:")[2]
    integrated = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"Peak:\s+(-?(?:inf|[\d.]+)) dBFS", summary)
    assert integrated and peak
    return float(integrated.group(1)), float(peak.group(1))


def export(folder: Path, refs: dict[str, MediaRef], tracks: list[dict[str, Any]], meta: dict[str, Any],
           name: str, loudness_target: Any = "draft") -> tuple[Path, float]:
    draft = Draft({"t": tracks, "m": meta})
    start = time.perf_counter()
    plan = plan_render(draft, refs.get, folder / f"{name}.mp4", folder / f"work_{name}", loudness=loudness_target)
    report = render(plan)
    elapsed = time.perf_counter() - start
    assert report.sound, name
    return plan.out_path, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=30)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nemo-loud-") as tmp:
        folder = Path(tmp)
        refs = make_sources(folder, opts.seconds)
        clip = {"tt": 0, "sg": [{"src": "clip"}]}
        voice = {"tt": 1, "sg": [{"src": "voice", "k": "voiceover"}]}
        music = {"tt": 1, "sg": [{"src": "music", "k": "music", "duck": True}]}
        title = {"tt": 7, "sg": [{"k": "title", "tx": "Urban Dreams", "st": 0, "d": 3000}]}
        cases = {
            "(a) voiceover, video copied": ([clip, voice], {}),
            "(b) music under the muted clip, video copied": ([{"tt": 0, "sg": [{"src": "clip", "v": 0}]}, music], {}),
            "(c) voiceover + title, 16:9 -> 9:16 re-encoded": ([clip, voice, title],
                                                               {"canvas": {"w": 1080, "h": 1920}}),
        }
        print(f"{opts.seconds} s exports, {opts.runs} runs each, interleaved (medians; a shared machine: "
              "compare ratios)")
        print(f"{'case':50} {'off':>7} {'-14 LUFS':>9} {'extra':>7} {'ratio':>6}")
        for name, (tracks, meta) in cases.items():
            off, on = [], []
            for run in range(opts.runs):
                off.append(export(folder, refs, tracks, meta, f"off{run}", "off")[1])
                on.append(export(folder, refs, tracks, meta, f"on{run}")[1])
            a, b = statistics.median(off), statistics.median(on)
            print(f"{name:50} {a:6.2f}s {b:8.2f}s {b - a:6.2f}s {b / a:6.2f}")
        print("\nmeasured on the exports (ebur128): integrated LUFS, true peak dBTP; before -> after")
        kinds = {
            "voice only": [voice],
            "music only": [music],
            "voice + music (ducked)": [voice, music],
            "clip sound": [clip],
            "clip + voice + music": [clip, voice, music],
        }
        for name, tracks in kinds.items():
            before, _ = export(folder, refs, tracks, {}, "kind_off", "off")
            after, _ = export(folder, refs, tracks, {}, "kind_on")
            (i0, p0), (i1, p1) = loudness(before), loudness(after)
            print(f"{name:26} {i0:6.1f} LUFS {p0:5.1f} dBTP  ->  {i1:6.1f} LUFS {p1:5.1f} dBTP")


if __name__ == "__main__":
    main()
