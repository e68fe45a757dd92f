"""Pictures held for runs of frames, encoded at the cost of the pictures (one encoded frame per run)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from media_helpers import ffmpeg
from PIL import Image, ImageDraw

from nemo_nb.local.media import stills
from nemo_nb.local.media.ffmpeg import run_ffmpeg
from nemo_nb.local.media.probe import probe

W, H, FPS = 320, 240, 25


def picture(colour: str, label: str) -> Image.Image:
    image = Image.new("RGB", (W, H), colour)
    ImageDraw.Draw(image).rectangle((40, 60, 40 + 30 * len(label), 120), fill="white")
    return image


def decoded(path: Path, fmt: str = "rgb24") -> np.ndarray:
    """Every frame at a constant FPS, as a player shows them."""
    raw = ffmpeg("-i", str(path), "-map", "0:v", "-vf", f"fps={FPS}", "-f", "rawvideo", "-pix_fmt", fmt, "-")
    channels = 3 if fmt == "rgb24" else 1
    return np.frombuffer(raw, np.uint8).reshape(-1, H, W, channels).astype(int)


def test_yuv_pictures_are_converted_like_ffmpeg(tmp_path):
    image = picture("#3366cc", "abc")
    image.save(tmp_path / "p.png")
    ours = np.frombuffer(stills.yuv420p(image), np.uint8).astype(int)
    theirs = np.frombuffer(ffmpeg("-i", str(tmp_path / "p.png"), "-pix_fmt", "yuv420p", "-f", "rawvideo", "-"),
                           np.uint8).astype(int)
    assert ours.shape == theirs.shape == (W * H * 3 // 2,)
    assert np.abs(ours - theirs).mean() < 0.2 and np.abs(ours - theirs).max() <= 4  # chroma edges round apart
    with pytest.raises(ValueError):
        stills.yuv420p(Image.new("RGB", (W + 1, H)))


def test_runs_become_one_frame_each_and_play_at_the_frame_rate(tmp_path):
    pictures = {"red": picture("red", "a"), "green": picture("green", "bb"), "blue": picture("blue", "ccc")}
    files = {}
    for n, (key, image) in enumerate(pictures.items()):
        files[key] = stills.named(n, key)
        stills.save_frame(stills.yuv420p(image), image.size, tmp_path / files[key], FPS)
    runs = [("red", 10), ("green", 5), ("red", 20), ("blue", 1), ("green", 3)]
    frames = sum(count for _, count in runs)
    listing = stills.concat_list(tmp_path, files, runs, FPS)
    out = tmp_path / "held.mp4"
    run_ffmpeg([*stills.input_args(listing), "-map", "0:v:0", *stills.output_args(FPS, frames), "-f", "mp4",
                str(out)], duration_s=frames / FPS)
    samples = ffmpeg("-i", str(out), "-map", "0:v", "-c", "copy", "-f", "framecrc", "-").decode().splitlines()
    # One encoded frame per run (the last run ends with a one-frame entry of its own).
    assert len([s for s in samples if s[:1].isdigit()]) == len(runs) + 1
    info = probe(out)
    assert info.fps == FPS and info.duration_s == pytest.approx(frames / FPS, abs=0.01)
    shown = decoded(out)
    assert len(shown) == frames
    expected = [np.asarray(pictures[key], int) for key, count in runs for _ in range(count)]
    for index, (got, want) in enumerate(zip(shown, expected, strict=True)):
        assert np.abs(got - want).mean() < 3, f"frame {index} shows another picture"


@pytest.mark.parametrize("boxes", [[(37, 21, 91, 60)], [(0, 0, 15, 9), (W - 11, H - 7, W, H)], [(50, 40, 50, 80)],
                                   [(-5, -5, 20, 20), (W - 3, 10, W + 9, 31)]],
                         ids=["odd-box", "corners", "empty", "past-the-edges"])
def test_patched_frames_equal_converting_the_whole_picture(boxes):
    rng = np.random.default_rng(7)
    base = Image.fromarray(rng.integers(0, 256, (H, W, 3), dtype=np.uint8))
    patched = stills.Patched(base)
    for _ in range(3):
        picture = base.copy()
        for x0, y0, x1, y1 in boxes:  # new pixels exactly inside each box (odd bounds included)
            x0, y0, x1, y1 = max(0, x0), max(0, y0), min(W, x1), min(H, y1)
            if x1 > x0 and y1 > y0:
                noise = rng.integers(0, 256, (y1 - y0, x1 - x0, 3), dtype=np.uint8)
                picture.paste(Image.fromarray(noise), (x0, y0))
        assert bytes(patched.frame(picture, boxes)) == stills.yuv420p(picture)


def test_a_picture_of_another_size_is_refused():
    with pytest.raises(ValueError, match="base"):
        stills.Patched(Image.new("RGB", (W, H))).frame(Image.new("RGB", (W, H + 2)), [(0, 0, 4, 4)])
