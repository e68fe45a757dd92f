"""Video made of a few distinct pictures, each held for runs of frames, encoded at the cost of the pictures.

Each distinct picture is converted to yuv420p once, in this process (Pillow; BT.601 limited range, as
ffmpeg converts RGB), and written as a one-frame Y4M file (a short header naming its size and format, so ffmpeg
never has to guess what a raw file holds — some pictures' bytes look like other formats); a concat list shows
it for each of its runs. ffmpeg then encodes ONE frame per run
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


def yuv420p(picture: Image.Image) -> bytes:
    """``picture`` (even width and height) as the planes of one yuv420p frame."""
    if picture.width % 2 or picture.height % 2:
        raise ValueError(f"a yuv420p picture needs an even size, not {picture.width}x{picture.height}")
    luma, blue, red = picture.convert("RGB").convert("YCbCr").split()
    half = (picture.width // 2, picture.height // 2)
    # 2x2 averages, as for 4:2:0
    chroma = [plane.resize(half, Image.Resampling.BOX).point(_CHROMA).tobytes() for plane in (blue, red)]
    return b"".join([luma.point(_LUMA).tobytes(), *chroma])


def save_frame(picture: Image.Image, path: Path, rate: int) -> None:
    """Write ``picture`` as a one-frame Y4M file (yuv420p, limited range) at ``rate`` frames a second."""
    planes = yuv420p(picture)
    header = f"YUV4MPEG2 W{picture.width} H{picture.height} F{rate}:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\n"
    path.write_bytes(header.encode() + b"FRAME\n" + planes)


def concat_list(work: Path, files: Mapping[Key, str], runs: Sequence[tuple[Key, int]], rate: int) -> Path:
    """The concat demuxer's list showing ``files[key]`` (one-frame Y4M files in ``work``) for each run of frames."""
    # The last entry's duration is not read: a frame then lasts one frame time, so the last run ends with a
    # one-frame entry of its picture.
    *held, (last, count) = runs
    if count > 1:
        held.append((last, count - 1))
    lines = ["ffconcat version 1.0"]
    for key, frames in held:
        lines += [f"file '{files[key]}'", f"duration {frames / rate:.6f}"]
    lines += [f"file '{files[last]}'"]
    listing = work / "pictures.ffconcat"
    listing.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return listing


def input_args(listing: Path) -> list[str]:
    """ffmpeg input options reading ``listing`` (its own file names only, no protocol but files)."""
    return ["-protocol_whitelist", "file", "-f", "concat", "-i", str(listing)]  # safe mode: plain relative names


def output_args(rate: int, frames: int) -> list[str]:
    """Encoder options: one frame per run (lasting the run), the video cut at exactly ``frames`` frame times."""
    return ["-fps_mode", "vfr", "-enc_time_base", f"1/{rate}", *VIDEO_CODEC, "-t", f"{frames / rate:.6f}"]


def named(index: int, *parts: str) -> str:
    """A picture's file name: its index, then words saying what it shows."""
    return "_".join([f"{index:04d}", *parts]) + ".y4m"
