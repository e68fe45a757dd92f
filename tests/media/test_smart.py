"""Smart rendering, checked frame by frame against the source and against a full render of the same draft.

For each draft: every frame of the smart render is decoded; frames away from the change are bit-identical
to the source's, the others are at least 40 dB (PSNR) from the full render's; the MP4 has one video stream
whose packets are in decode order with rising timestamps; the sound is the full render's.
"""
from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from media_helpers import ffmpeg, pcm, video_packet_hashes

from nemo_nb.draft import Draft
from nemo_nb.local.media.ffmpeg import ffmpeg_exe
from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.render import MediaRef, RenderReport, plan_render, render

pytest.importorskip("av")
pytestmark = pytest.mark.slow

W, H = 320, 240
GOP = 25


@dataclass(frozen=True)
class Source:
    path: Path
    rate: Fraction

    def index(self, ms: int) -> int:
        """The first source frame at or after ``ms``."""
        return math.ceil(Fraction(ms, 1000) * self.rate)


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Source]:
    folder = tmp_path_factory.mktemp("smart")
    sound = ["-f", "lavfi", "-i", "sine=f=440:d=6:sample_rate=48000"]
    made = {
        # no B-frames (x264 ultrafast), 1 s GOPs
        "plain": (Fraction(25), ["-preset", "ultrafast", "-g", str(GOP)]),
        # B-frames in a pyramid, NTSC rate, scene cuts allowed (x264's defaults)
        "bframes": (Fraction(30000, 1001), ["-preset", "medium", "-g", str(GOP)]),
    }
    out = {}
    for name, (rate, x264) in made.items():
        path = folder / f"{name}.mp4"
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r={rate}:d=6", *sound, "-c:v", "libx264", *x264,
               "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(path))
        out[name] = Source(path, rate)
    return out


def yuv_frames(path: Path) -> Any:
    raw = ffmpeg("-i", str(path), "-map", "0:v:0", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-")
    return np.frombuffer(raw, np.uint8).reshape(-1, W * H * 3 // 2)


def psnr(a: Any, b: Any) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255 ** 2 / mse)


def video_packets(path: Path) -> list[tuple[int, int]]:
    """(dts, pts) of every packet of the first video stream, in file order."""
    out = ffmpeg("-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-").decode()
    return [(int(f[1]), int(f[2])) for f in (line.split(",") for line in out.splitlines() if line[:1].isdigit())]


def stream_kinds(path: Path) -> list[str]:
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], check=False, capture_output=True, text=True)
    return re.findall(r"Stream #0:\d+\S*: (Video|Audio)", done.stderr)


def render_both(source: Source, tracks: list[dict[str, Any]], folder: Path, **more: Path
                ) -> tuple[Path, Path, RenderReport]:
    refs = {"v": MediaRef(source.path, probe(source.path))}
    refs.update({name: MediaRef(path, probe(path)) for name, path in more.items()})
    draft = Draft({"t": tracks, "m": {}})
    full = plan_render(draft, refs.get, folder / "full.mp4", folder / "work_full", smart=False)
    render(full)
    smart = plan_render(draft, refs.get, folder / "smart.mp4", folder / "work_smart", smart=True)
    return full.out_path, smart.out_path, render(smart)


def video(*segments: dict[str, Any]) -> dict[str, Any]:
    """The video track: the source "v" as each segment says (the whole of it by default)."""
    return {"tt": 0, "sg": [{"src": "v", **s} for s in segments or ({},)]}


def title(start_ms: int, dur_ms: int) -> dict[str, Any]:
    return {"tt": 7, "sg": [{"k": "title", "tx": "Launch day", "st": start_ms, "d": dur_ms, "c": "yellow"}]}


# name → (tracks, source ranges as (in_ms, timeline start ms, duration ms), changed output windows in ms)
CASES = {
    "title": ([video(), title(1300, 800)], [(0, 0, 6000)], [(1300, 2100)]),
    "trim off a keyframe": ([video({"ss": 1300})], [(1300, 0, 4700)], []),
    "cut out the middle": ([video({"d": 2200}, {"ss": 3700, "st": 2200})], [(0, 0, 2200), (3700, 2200, 2300)], []),
    "trim and a caption": ([video({"ss": 700, "d": 4000}), title(2500, 600)], [(700, 0, 4000)], [(2500, 3100)]),
}


@pytest.mark.parametrize("kind", ["plain", "bframes"])
@pytest.mark.parametrize("case", list(CASES))
def test_smart_render_matches_source_and_full_render(sources, tmp_path, kind, case):
    source = sources[kind]
    tracks, ranges, changed = CASES[case]
    full, smart, report = render_both(source, tracks, tmp_path)
    assert report.picture == "spliced", report
    assert report.copied_frames > report.encoded_frames > 0

    assert stream_kinds(smart) == ["Video", "Audio"]
    packets = video_packets(smart)
    dts = [d for d, _ in packets]
    assert dts == sorted(dts) and len(set(dts)) == len(dts), "decode timestamps must rise"
    assert all(pts >= d for d, pts in packets)
    assert sorted(pts for _, pts in packets) == [packets[0][1] + k * (packets[1][0] - packets[0][0])
                                                 for k in range(len(packets))], "one frame every 1/rate"

    src, ours, theirs = yuv_frames(source.path), yuv_frames(smart), yuv_frames(full)
    assert len(ours) == len(theirs)

    def frames(start: int, dur: int) -> int:
        return round(Fraction(start + dur, 1000) * source.rate) - round(Fraction(start, 1000) * source.rate)

    shown = [source.index(in_ms) + k for in_ms, start, dur in ranges for k in range(frames(start, dur))]
    assert len(shown) == len(ours)
    # Frames a change could reach: the change itself and the GOP around it, the GOP after each clip's start
    # and (B-frames reorder) the GOP before its end.
    def frame(ms: int) -> int:
        return round(Fraction(ms, 1000) * source.rate)

    near: set[int] = set()
    for a, b in changed:
        near.update(range(frame(a) - GOP, frame(b) + GOP))
    for _, start, dur in ranges:
        near.update(range(frame(start), frame(start) + GOP))
        near.update(range(frame(start + dur) - GOP, frame(start + dur)))
    held = [j for j, k in enumerate(shown) if k >= len(src)]  # the container outlasts the picture: the last frame holds
    assert len(held) <= 1
    near.update(held)
    shown = [min(k, len(src) - 1) for k in shown]
    identical = [j for j in range(len(ours)) if np.array_equal(ours[j], src[shown[j]])]
    assert set(range(len(ours))) - near <= set(identical), "frames away from the change must be copied bit for bit"
    for j in range(len(ours)):
        if j not in identical:
            assert psnr(ours[j], theirs[j]) >= 40, f"frame {j}: {psnr(ours[j], theirs[j]):.1f} dB from the full render"
    for a, b in changed:  # the title really is there
        j = round(Fraction(a + b, 2000) * source.rate)
        assert psnr(ours[j], src[shown[j]]) < 30 and psnr(ours[j], theirs[j]) >= 40

    ours_pcm, theirs_pcm = pcm(smart), pcm(full)
    assert len(ours_pcm) == len(theirs_pcm) and np.allclose(ours_pcm, theirs_pcm, atol=1e-4)


def test_voice_music_and_languages_with_a_title(sources, media, tmp_path):
    """A dub (two languages, each its own voice, music ducked under them) with a title: every output spliced,
    the sound of each file the full render's."""
    source = sources["plain"]
    tracks = [video({"duck": True}), title(1000, 1000),
              {"tt": 1, "sg": [{"src": "voice", "k": "voiceover", "st": 500, "lang": "es"}]},
              {"tt": 1, "sg": [{"src": "tone", "k": "voiceover", "st": 2500, "lang": "fr"}]},
              {"tt": 1, "sg": [{"src": "music", "k": "music", "v": 60, "duck": True}]}]
    full, smart, report = render_both(source, tracks, tmp_path, voice=media["voice"], tone=media["tone"],
                                      music=media["music"])
    assert report.picture == "spliced", report
    for lang in ("es", "fr"):
        ours, theirs = smart.with_name(f"smart.{lang}.mp4"), full.with_name(f"full.{lang}.mp4")
        assert video_packet_hashes(ours) == video_packet_hashes(smart)
        assert np.allclose(pcm(ours), pcm(theirs), atol=1e-4)
    assert stream_kinds(smart) == ["Video", "Audio", "Audio"]


def make_vfr(folder: Path) -> Path:
    path = folder / "vfr.mp4"
    ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r=25:d=4", "-vf", "setpts='N/25/TB+if(mod(N,5),0,0.013/TB)'",
           "-fps_mode", "passthrough", "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", str(path))
    return path


@pytest.mark.parametrize("what", ["variable frame rate", "canvas change", "two sources", "open gop", "rotated"])
def test_unspliceable_drafts_are_encoded_in_full_and_say_why(sources, media, tmp_path, what):
    plain = sources["plain"].path
    tracks, more, canvas = [video(), title(1000, 500)], {}, None
    if what == "variable frame rate":
        plain = make_vfr(tmp_path)
    elif what == "canvas change":
        canvas = {"w": 240, "h": 320, "fit": "fill"}
    elif what == "two sources":
        tracks = [video({"d": 2000}), {"tt": 0, "sg": [{"src": "other", "st": 2000}]}, title(500, 500)]
        more = {"other": media["clip"]}
    elif what == "open gop":
        plain = tmp_path / "open.mp4"
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r=25:d=4", "-c:v", "libx264", "-preset", "medium",
               "-g", "25", "-x264-params", "open-gop=1", str(plain))
    else:
        plain = tmp_path / "rotated.mp4"
        ffmpeg("-display_rotation:v:0", "180", "-i", str(sources["plain"].path), "-c", "copy", str(plain))
    refs = {"v": MediaRef(plain, probe(plain))} | {k: MediaRef(p, probe(p)) for k, p in more.items()}
    raw: dict[str, Any] = {"t": tracks, "m": {"canvas": canvas} if canvas else {}}
    plan = plan_render(Draft(raw), refs.get, tmp_path / "out.mp4", tmp_path / "work", smart=True)
    report = render(plan)
    assert report.picture == "encoded" and report.note.startswith("picture encoded in full: ")
    expected = {"variable frame rate": "variable", "canvas change": "canvas", "two sources": "several sources",
                "open gop": "open", "rotated": "rotated"}[what]
    assert expected in report.note
    assert probe(plan.out_path).duration_s > 3


def test_a_corrupt_source_never_breaks_the_render(sources, tmp_path):
    """Bytes of the picture overwritten: the splice either copes or says why, and the render still finishes."""
    broken = tmp_path / "broken.mp4"
    data = bytearray(sources["plain"].path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4000] = bytes(range(256)) * 15 + bytes(160)
    broken.write_bytes(bytes(data))
    refs = {"v": MediaRef(broken, probe(broken))}
    plan = plan_render(Draft({"t": [video(), title(1000, 500)], "m": {}}), refs.get, tmp_path / "out.mp4",
                       tmp_path / "work", smart=True)
    report = render(plan)
    assert report.picture in ("spliced", "encoded") and plan.out_path.is_file()


def test_cancel_stops_the_splice_and_leaves_nothing(sources, tmp_path):
    import threading
    import time

    from nemo_nb.local.media.ffmpeg import RenderCancelled

    refs = {"v": MediaRef(sources["bframes"].path, probe(sources["bframes"].path))}
    plan = plan_render(Draft({"t": [video({"ss": 300}), title(1000, 3000)], "m": {}}), refs.get,
                       tmp_path / "out.mp4", tmp_path / "work", smart=True)
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(RenderCancelled):
        render(plan, cancel=cancel)
    assert time.monotonic() - started < 5
    assert not plan.out_path.exists() and not list(tmp_path.glob("out.mp4*"))
