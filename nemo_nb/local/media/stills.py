"""Video made of a few distinct pictures, each held for runs of frames, encoded at the cost of the pictures.

Each distinct picture is converted to raw yuv420p once, in this process (Pillow; BT.601 limited range, as
ffmpeg converts RGB), and a concat list shows it for each of its runs. ffmpeg then encodes ONE frame per run
(variable frame rate: a picture held for 12 frames is one frame lasting 12 frame times), so the work follows
the number of picture changes, not the length of the video; reading a raw picture costs a copy, not a decode.
With few frames to encode, the quality can be higher than a full render's (``crf`` 18): still areas stay
the same from frame to frame.
"""
from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

from PIL import Image

Key = TypeVar("Key", bound=Hashable)
VIDEO_CODEC = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "18", "-pix_fmt", "yuv420p"]
# Full-range YCbCr (what Pillow gives) to the limited range of video (what ffmpeg writes for yuv420p).
_LUMA = [round(16 + value * 219 / 255) for value in range(256)]
_CHROMA = [round(128 + (value - 128) * 224 / 255) for value in range(256)]


def save_yuv(picture: Image.Image, path: Path) -> None:
    """Write ``picture`` (even width and height) as one raw yuv420p frame."""
    if picture.width % 2 or picture.height % 2:
        raise ValueError(f"a yuv420p picture needs an even size, not {picture.width}x{picture.height}")
    luma, blue, red = picture.convert("RGB").convert("YCbCr").split()
    half = (picture.width // 2, picture.height // 2)
    with path.open("wb") as out:
        out.write(luma.point(_LUMA).tobytes())
        for plane in (blue, red):  # 2x2 averages, as for 4:2:0
            out.write(plane.resize(half, Image.Resampling.BOX).point(_CHROMA).tobytes())


def concat_list(work: Path, files: Mapping[Key, str], runs: Sequence[tuple[Key, int]], rate: int,
                size: tuple[int, int]) -> Path:
    """The concat demuxer's list showing ``files[key]`` (raw yuv420p in ``work``) for each run of frames."""
    options = [f"option video_size {size[0]}x{size[1]}", "option pixel_format yuv420p", f"option framerate {rate}"]
    # The last entry's duration is not read: a frame then lasts one frame time, so the last run ends with a
    # one-frame entry of its picture.
    *held, (last, count) = runs
    if count > 1:
        held.append((last, count - 1))
    lines = ["ffconcat version 1.0"]
    for key, frames in held:
        lines += [f"file '{files[key]}'", *options, f"duration {frames / rate:.6f}"]
    lines += [f"file '{files[last]}'", *options]
    listing = work / "pictures.ffconcat"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing


def input_args(listing: Path) -> list[str]:
    """ffmpeg input options reading ``listing`` (its own file names only, no protocol but files)."""
    # "-safe 0" only because the raw pictures need per-file options; every name in the list is ours.
    return ["-protocol_whitelist", "file", "-f", "concat", "-safe", "0", "-i", str(listing)]


def output_args(rate: int, frames: int) -> list[str]:
    """Encoder options: one frame per run (lasting the run), the video cut at exactly ``frames`` frame times."""
    return ["-fps_mode", "vfr", "-enc_time_base", f"1/{rate}", *VIDEO_CODEC, "-t", f"{frames / rate:.6f}"]


def named(index: int, *parts: str) -> str:
    """A picture's file name: its index, then words saying what it shows."""
    return "_".join([f"{index:04d}", *parts]) + ".yuv"
