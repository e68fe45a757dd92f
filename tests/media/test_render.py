"""Render drafts for real and inspect the MP4s: streams, timing, pixels and sound."""
from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from media_helpers import frame, pcm, rms, tone_level, video_packet_hashes, window

from nemo_nb.draft import AUDIO, TEXT, VIDEO, Draft
from nemo_nb.local.media.ffmpeg import RenderCancelled
from nemo_nb.local.media.probe import MediaInfo, probe
from nemo_nb.local.media.render import MediaRef, RenderError, RenderPlan, plan_render, render

pytestmark = pytest.mark.slow  # drafts rendered with ffmpeg

Make = Callable[..., RenderPlan]
Rendered = Callable[..., Path]


def assert_mp4(path: Path, duration: float, size: tuple[int, int]) -> MediaInfo:
    info = probe(path)
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")
    assert (info.width, info.height) == size
    assert info.duration_s == pytest.approx(duration, abs=0.1)
    return info


def diff(a: Any, b: Any) -> float:
    return float(np.abs(a - b).mean())


# -- picture ------------------------------------------------------------------------------------
def test_trim_and_join(rendered: Rendered, media: dict[str, Path]) -> None:
    out = rendered((VIDEO, [{"src": "clip", "ss": 500, "d": 1000}, {"src": "clip", "ss": 2500, "d": 1200}]))
    assert_mp4(out, 2.2, (640, 360))
    source = media["clip"]
    for t_out, t_src in ((0.2, 0.7), (1.4, 2.9)):
        shown = frame(out, t_out)
        assert diff(shown, frame(source, t_src)) * 3 < diff(shown, frame(source, t_out))


def test_gaps_are_black_and_images_are_held(rendered: Rendered, media: dict[str, Path]) -> None:
    out = rendered((VIDEO, [{"src": "still", "k": "image", "st": 1000, "d": 1000},
                            {"src": "clip", "st": 2000, "d": 500}]))
    assert_mp4(out, 2.5, (320, 240))  # no canvas: the first picture's size
    assert frame(out, 0.5).mean() < 5
    still = frame(media["still"], 0)
    assert diff(frame(out, 1.1), still) < 6 and diff(frame(out, 1.9), still) < 6
    assert frame(out, 2.2).mean() > 40


@pytest.mark.parametrize("fit", ["fit", "fill"])
def test_fit_and_fill_to_portrait(rendered: Rendered, media: dict[str, Path], fit: str) -> None:
    out = rendered((VIDEO, [{"src": "clip", "d": 1000}]), canvas={"w": 180, "h": 320, "fit": fit})
    assert_mp4(out, 1.0, (180, 320))
    picture = frame(out, 0.5)
    bars = np.concatenate([picture[:80], picture[-80:]])
    if fit == "fit":
        assert bars.max() < 24 and picture[140:180].mean() > 40  # letterboxed: black above and below
        return
    assert bars.mean() > 40  # cropped: picture everywhere, and it is the centre of the source
    source = frame(media["clip"], 0.5)
    rows = np.arange(320) * 360 // 320

    def crop_at(left: int) -> Any:
        return source[rows][:, left + np.arange(180) * 202 // 180]

    assert diff(picture, crop_at(219)) * 2 < min(diff(picture, crop_at(0)), diff(picture, crop_at(438)))


def test_title_is_drawn_where_and_when_asked(rendered: Rendered, tmp_path: Path) -> None:
    hostile = "It's 50% \\ [done]; a:b, %{pts} 'q'"
    weird_dir = tmp_path / "we'ird:[dir],;x"
    plain = rendered((VIDEO, [{"src": "clip", "d": 2000}]))
    titled = rendered((VIDEO, [{"src": "clip", "d": 2000}]),
                      (TEXT, [{"k": "title", "tx": hostile, "pos": "top", "st": 0, "d": 1000, "c": "yellow"}]),
                      work_dir=weird_dir)
    assert_mp4(titled, 2.0, (640, 360))
    with_title, without = frame(titled, 0.5), frame(plain, 0.5)
    assert diff(with_title[:90], without[:90]) > 20  # the boxed text near the top
    assert diff(with_title[200:], without[200:]) < 4  # the rest untouched
    assert diff(frame(titled, 1.5)[:90], frame(plain, 1.5)[:90]) < 4  # gone after its 1 s


# -- sound --------------------------------------------------------------------------------------
def test_audio_is_placed_and_clip_sound_muted(rendered: Rendered) -> None:
    out = rendered((VIDEO, [{"src": "clip", "d": 4000, "v": 0}]),
                   (AUDIO, [{"src": "tone", "k": "audio", "st": 1500, "d": 1000}]))
    assert_mp4(out, 4.0, (640, 360))
    samples = pcm(out)
    assert rms(window(samples, 1.6, 2.4)) > 0.06  # lavfi sine: amplitude 1/8, rms 0.088
    assert rms(window(samples, 0.1, 1.4)) < 0.003
    assert rms(window(samples, 2.7, 3.9)) < 0.003


def test_clip_sound_follows_its_volume(rendered: Rendered) -> None:
    as_mixed = {"loudness": "off"}  # the mix's own levels: loudness normalisation would even them out
    full = pcm(rendered((VIDEO, [{"src": "clip", "d": 2000}]), meta=as_mixed))
    half = pcm(rendered((VIDEO, [{"src": "clip", "d": 2000, "v": 50}]), meta=as_mixed))
    assert rms(window(full, 0.3, 1.7)) > 0.06
    assert rms(window(half, 0.3, 1.7)) / rms(window(full, 0.3, 1.7)) == pytest.approx(0.5, abs=0.06)


def test_music_ducks_under_voice_and_recovers(rendered: Rendered) -> None:
    def music_levels(duck: bool) -> tuple[float, float, float]:
        samples = pcm(rendered((VIDEO, [{"src": "silent", "d": 4500}]), (AUDIO, [
            {"src": "music", "k": "music", "st": 0, "d": 4500, "duck": duck},
            {"src": "voice", "k": "voiceover", "st": 1000, "d": 1500},
        ])))
        return tuple(tone_level(window(samples, a, b), 220) for a, b in ((0.2, 0.9), (1.5, 2.4), (3.5, 4.4)))

    before, during, after = music_levels(duck=True)
    assert during < before * 0.4
    assert after == pytest.approx(before, rel=0.15)  # back up, and not cut off when the voice ends
    before, during, after = music_levels(duck=False)
    assert during == pytest.approx(before, rel=0.15) and after == pytest.approx(before, rel=0.15)


def test_fades(rendered: Rendered) -> None:
    samples = pcm(rendered((AUDIO, [{"src": "music", "st": 0, "d": 3000, "fi": 1000, "fo": 1000}])))
    assert rms(window(samples, 0.0, 0.2)) < rms(window(samples, 1.2, 1.8)) * 0.4
    assert rms(window(samples, 2.8, 3.0)) < rms(window(samples, 1.2, 1.8)) * 0.4


def test_audio_only_draft_gets_a_black_picture(rendered: Rendered) -> None:
    out = rendered((AUDIO, [{"src": "tone", "st": 0}]))
    assert_mp4(out, 1.0, (1920, 1080))
    assert frame(out, 0.5).max() < 5


def test_no_sound_at_all_still_has_an_aac_track(rendered: Rendered) -> None:
    out = rendered((VIDEO, [{"src": "silent"}]), (TEXT, [{"tx": "hi", "d": 1000}]))
    assert_mp4(out, 2.0, (320, 240))
    assert rms(pcm(out)) == 0


# -- render smart -------------------------------------------------------------------------------
def test_copy_path_keeps_the_video_packets(make: Make, media: dict[str, Path]) -> None:
    plan = make((VIDEO, [{"src": "clip"}]), (AUDIO, [{"src": "voice", "k": "voiceover", "st": 500}]),
                meta={"loudness": "off"})  # the mix's own levels, below
    assert plan.copies_video and (plan.width, plan.height) == (640, 360)
    assert "copy" in plan.args and "libx264" not in plan.args
    started = time.monotonic()
    render(plan)
    assert time.monotonic() - started < 5
    info = assert_mp4(plan.out_path, 4.0, (640, 360))
    assert info.has_audio
    assert video_packet_hashes(plan.out_path) == video_packet_hashes(media["clip"])
    samples = pcm(plan.out_path)
    assert tone_level(window(samples, 1.0, 3.0), 1000) > 0.4  # the voice (amplitude 0.5) is in
    assert tone_level(window(samples, 1.0, 3.0), 440) > 0.1  # and the clip's own sound kept


@pytest.mark.parametrize(("tracks", "canvas", "copies"), [
    ([(VIDEO, [{"src": "clip", "d": 4000}])], {"w": 640, "h": 360}, True),
    ([(VIDEO, [{"src": "clip", "ss": 40, "d": 3950}])], None, True),  # within 100 ms
    ([(VIDEO, [{"src": "clip", "ss": 1000}])], None, False),
    ([(VIDEO, [{"src": "clip", "d": 3000}])], None, False),
    ([(VIDEO, [{"src": "clip", "st": 500}])], None, False),
    ([(VIDEO, [{"src": "clip"}]), (TEXT, [{"tx": "hi", "d": 500}])], None, False),
    ([(VIDEO, [{"src": "clip"}]), (AUDIO, [{"src": "music"}])], None, False),  # runs past the video
    ([(VIDEO, [{"src": "clip"}])], {"w": 360, "h": 640}, False),
    ([(VIDEO, [{"src": "clip"}, {"src": "clip"}])], None, False),
    ([(VIDEO, [{"src": "anim"}])], None, False),  # not H.264
])
def test_copy_only_when_the_picture_is_unchanged(make: Make, tracks: list[Any], canvas: Any, copies: bool) -> None:
    plan = make(*tracks, canvas=canvas)
    assert plan.copies_video is copies
    assert ("libx264" in plan.args) is not copies


# -- progress and cancel ------------------------------------------------------------------------
def test_progress_reaches_100(make: Make) -> None:
    seen: list[float] = []
    render(make((VIDEO, [{"src": "clip", "ss": 300, "d": 3000}]), (TEXT, [{"tx": "x", "d": 3000}])),
           on_progress=seen.append)
    assert seen[-1] == 100.0 and seen == sorted(seen)


def test_cancel_stops_the_render_and_leaves_no_file(make: Make) -> None:
    plan = make((VIDEO, [{"src": "still", "k": "image", "d": 30 * 60_000}]), canvas={"w": 1280, "h": 720})
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            render(plan, on_progress=lambda p: cancel.set(), cancel=cancel)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run)
    started = time.monotonic()
    worker.start()
    worker.join(timeout=20)
    assert not worker.is_alive() and time.monotonic() - started < 20
    assert len(outcome) == 1 and isinstance(outcome[0], RenderCancelled)
    assert not plan.out_path.exists()
    assert not plan.out_path.with_name(plan.out_path.name + ".part").exists()


# -- many clips ---------------------------------------------------------------------------------
def test_many_short_clips_join_exactly(make: Make) -> None:
    clips = [{"src": "clip", "ss": (i % 3) * 1000, "d": 200} for i in range(10)]
    plan = make((VIDEO, clips))
    assert plan.args.count("-threads") == 10  # one decoder thread per clip input
    render(plan)
    info = assert_mp4(plan.out_path, 2.0, (640, 360))
    assert info.fps == 25.0


def test_memory_budget_refuses_huge_timelines(refs: dict[str, Any], tmp_path: Path) -> None:
    big = MediaRef(refs["clip"].path, replace(refs["clip"].info, width=3840, height=2160))
    draft = Draft({"t": [{"tt": VIDEO, "sg": [{"src": "big", "d": 100} for _ in range(60)]}]})
    with pytest.raises(RenderError, match="GB of memory"):
        plan_render(draft, {"big": big}.get, tmp_path / "o.mp4", tmp_path / "w")
    draft = Draft({"t": [{"tt": VIDEO, "sg": [{"src": "big", "d": 100} for _ in range(10)]}]})
    assert plan_render(draft, {"big": big}.get, tmp_path / "o.mp4", tmp_path / "w").duration_s == 1.0
