"""Render speed of nemo_nb's draft renderer against the equivalent hand-written ffmpeg command.

    python benchmarks/bench_render.py [--runs 5] [--seconds 30] [--cases abc]

Makes a 1920x1080 30 fps H.264 clip and a voice-like WAV once (in a temp dir), then times, N times
each and interleaved so machine noise hits both sides alike:
  (a) a draft whose only change is a new audio track  vs  ffmpeg -c:v copy -c:a aac -shortest
  (b) a title + 16:9 → 9:16 (fill)                     vs  one ffmpeg command with the same filters
  (c) a dub into 3 languages (es, fr, de voice tracks over the clip's own sound, ducked under each):
      one MP4 with 3 tagged tracks + one MP4 per language, video copied
                                                       vs  one hand-written ffmpeg command (tee muxer)
and prints medians and their ratio (times vary run to run on shared machines; compare ratios).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from nemo_nb.draft import Draft
from nemo_nb.local.media.ffmpeg import ffmpeg_exe
from nemo_nb.local.media.fonts import default_font
from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.render import MediaRef, plan_render, render

ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "23", "-pix_fmt", "yuv420p"]


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def make_sources(folder: Path, seconds: int) -> tuple[Path, Path]:
    video, voice = folder / "v.mp4", folder / "a.wav"
    # Mild temporal noise so the encoder has camera-like work to do, not flat test colours only.
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s=1920x1080:r=30:d={seconds},noise=alls=8:allf=t", *ENCODE, str(video))
    syllables = "0.5*sin(2*PI*(140+40*sin(2*PI*0.7*t))*t)*abs(sin(2*PI*2.5*t))"
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc={syllables}:s=24000:d={seconds}", str(voice))
    return video, voice


def timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def nemo(folder: Path, video: Path, voice: Path, raw: dict, **more: Path) -> Callable[[], None]:
    refs = {"v": MediaRef(video, probe(video)), "a": MediaRef(voice, probe(voice))}
    refs.update({name: MediaRef(path, probe(path)) for name, path in more.items()})

    def run() -> None:
        # Like for like: the hand-written commands do no loudness pass (its cost: bench_loudness.py).
        plan = plan_render(Draft(raw), refs.get, folder / "nemo.mp4", folder / "work", loudness="off")
        assert plan.copies_video or not more, "a dub must copy the video"
        render(plan)

    return run


DUB = {"es": 150, "fr": 190, "de": 120}  # stand-in voices: syllable-like tones at different pitches


def make_dub_sources(folder: Path, video: Path, seconds: int) -> tuple[Path, dict[str, Path]]:
    """The clip with its own stereo sound (AAC, video copied) and a voice track per language.

    The clip's sound is a tone plus a little noise, different per channel: a pure tone identical in
    both channels is a worst case for ffmpeg's AAC encoder (~3x slower per track), not what videos carry.
    """
    with_sound = folder / "va.mp4"
    bed = "|".join(f"0.2*sin(2*PI*330*t)+0.05*(random({c})-0.5)" for c in (0, 1))
    ffmpeg("-i", str(video), "-f", "lavfi", "-i", f"aevalsrc={bed}:s=48000:d={seconds}", "-map", "0:v",
           "-map", "1:a", "-c:v", "copy", "-c:a", "aac", "-shortest", str(with_sound))
    voices = {}
    for lang, pitch in DUB.items():
        voices[lang] = folder / f"voice_{lang}.wav"
        syllables = f"0.5*sin(2*PI*({pitch}+40*sin(2*PI*0.7*t))*t)*abs(sin(2*PI*2.5*t))"
        ffmpeg("-f", "lavfi", "-i", f"aevalsrc={syllables}:s=24000:d={seconds}", str(voices[lang]))
    return with_sound, voices


def hand_dub(folder: Path, video: Path, voices: dict[str, Path]) -> Callable[[], None]:
    """The same dub written by hand: one run, the tee muxer writing the main file and one per language."""
    tags = {"es": ("spa", "Spanish"), "fr": ("fre", "French"), "de": ("ger", "German")}
    n = len(voices)
    chains = [f"[0:a]asplit={n}" + "".join(f"[o{i}]" for i in range(n))]
    for i in range(n):
        chains.append(f"[{i + 1}:a]aresample=48000,aformat=channel_layouts=stereo,asplit=2[v{i}][k{i}]")
        chains.append(f"[k{i}]apad[p{i}]")
        chains.append(f"[o{i}][p{i}]sidechaincompress=threshold=0.05:ratio=8:attack=20:release=300[d{i}]")
        chains.append(f"[v{i}][d{i}]amix=inputs=2:duration=first:normalize=0[a{i}]")
    graph = ";".join(chains)
    args = ["-i", str(video)]
    for path in voices.values():
        args += ["-i", str(path)]
    args += ["-filter_complex", graph, "-map", "0:v", "-c:v", "copy"]
    for i, lang in enumerate(voices):
        code, name = tags[lang]
        args += ["-map", f"[a{i}]", f"-metadata:s:a:{i}", f"language={code}", f"-metadata:s:a:{i}", f"title={name}",
                 f"-disposition:a:{i}", "default" if i == 0 else "0"]
    slave = "f=mp4:movflags=+faststart"
    slaves = [f"[{slave}]{folder / 'hand.mp4'}"] + [
        f"[{slave}:select=\\'v,a:{i}\\']{folder / f'hand.{lang}.mp4'}" for i, lang in enumerate(voices)]
    args += ["-c:a", "aac", "-map_metadata", "-1", "-f", "tee", "|".join(slaves)]
    return lambda: ffmpeg(*args)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--cases", default="abc", help="which cases to run, e.g. c (default: abc)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="nemo-bench-") as tmp:
        folder = Path(tmp)
        video, voice = make_sources(folder, opts.seconds)
        hand = str(folder / "hand.mp4")
        title_file = folder / "title.txt"
        title_file.write_text("Urban Dreams")
        font = default_font(bold=True)
        crop = "crop=w=min(iw\\,ih*1080/1920):h=min(ih\\,iw*1920/1080),scale=1080:1920,setsar=1"
        title = (f"drawtext=fontfile={font}:textfile={title_file}:expansion=none:fontsize=90:fontcolor=white:"
                 "box=1:boxcolor=black@0.55:x=(w-text_w)/2:y=(h-text_h)/2:enable='between(t,0,3)'")
        video_seg = {"tt": 0, "sg": [{"src": "v"}]}
        dubbed_video, voices = make_dub_sources(folder, video, opts.seconds)
        dub_draft = {"t": [{"tt": 0, "sg": [{"src": "va", "duck": True}]},
                           *({"tt": 1, "sg": [{"src": lang, "k": "voiceover", "lang": lang}]} for lang in voices)],
                     "m": {"languages": list(voices)}}
        cases = [
            ("(a) new audio track, video copied", 1.5,
             lambda: ffmpeg("-i", str(video), "-i", str(voice), "-map", "0:v", "-map", "1:a", "-c:v", "copy",
                            "-c:a", "aac", "-shortest", hand),
             nemo(folder, video, voice, {"t": [video_seg, {"tt": 1, "sg": [{"src": "a", "k": "voiceover"}]}]})),
            ("(b) title + 16:9 -> 9:16, re-encoded", 1.2,
             # A silent track of bounded length: "-shortest" with an endless anullsrc cost ~3 s more.
             lambda: ffmpeg("-i", str(video), "-f", "lavfi", "-t", str(opts.seconds),
                            "-i", "anullsrc=r=48000:cl=stereo", "-map", "0:v", "-map", "1:a",
                            "-vf", f"{crop},{title}", *ENCODE, "-c:a", "aac", "-movflags", "+faststart", hand),
             nemo(folder, video, voice, {
                 "t": [video_seg, {"tt": 7, "sg": [{"k": "title", "tx": "Urban Dreams", "st": 0, "d": 3000}]}],
                 "m": {"canvas": {"w": 1080, "h": 1920, "fit": "fill"}}})),
            ("(c) dub into 3 languages, video copied", 1.3,
             hand_dub(folder, dubbed_video, voices),
             nemo(folder, video, voice, dub_draft, va=dubbed_video, **voices)),
        ]
        print(f"{opts.runs} runs each, {opts.seconds} s 1920x1080 30 fps source, ffmpeg {ffmpeg_exe()}")
        print(f"{'case':40} {'hand-written':>12} {'nemo_nb':>9} {'ratio':>6} {'target':>7}")
        for name, target, baseline, ours in cases:
            if name[1] not in opts.cases:
                continue
            hand_times, our_times = [], []
            for _ in range(opts.runs):
                hand_times.append(timed(baseline))
                our_times.append(timed(ours))
            h, o = statistics.median(hand_times), statistics.median(our_times)
            verdict = "ok" if o / h <= target else "SLOW"
            print(f"{name:40} {h:11.2f}s {o:8.2f}s {o / h:6.2f} {'<=' + str(target):>7} {verdict}")


if __name__ == "__main__":
    main()
