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
    # 2x2 averages, as for 4:2:0 (in one pass: a resize rounds between its two passes, by its context)
    chroma = [plane.reduce(2).point(_CHROMA).tobytes() for plane in (blue, red)]
    return b"".join([luma.point(_LUMA).tobytes(), *chroma])


class Patched:
    """yuv420p frames of pictures that differ from one ``base`` picture only inside a few boxes: the base is
    converted once, each picture's boxes only (on even bounds, so 4:2:0 averages stay the same: the bytes equal
    ``yuv420p`` of the whole picture)."""

    def __init__(self, base: Image.Image) -> None:
        self.size = base.size
        self._planes = yuv420p(base)

    def frame(self, picture: Image.Image, boxes: Sequence[tuple[int, int, int, int]]) -> bytearray:
        """``picture`` (``base`` outside ``boxes``) as the planes of one yuv420p frame."""
        if picture.size != self.size:
            raise ValueError(f"a {picture.width}x{picture.height} picture on a {self.size[0]}x{self.size[1]} base")
        width, height = self.size
        planes = bytearray(self._planes)
        for box in boxes:
            x0, y0 = max(0, box[0] - box[0] % 2), max(0, box[1] - box[1] % 2)
            x1, y1 = min(width, box[2] + box[2] % 2), min(height, box[3] + box[3] % 2)
            if x1 <= x0 or y1 <= y0:
                continue
            patch = yuv420p(picture.crop((x0, y0, x1, y1)))
            _copy_rect(planes, 0, width, patch, 0, x1 - x0, x0, y0, y1 - y0)
            luma, chroma, half_w = width * height, (x1 - x0) * (y1 - y0) // 4, (x1 - x0) // 2
            for plane in range(2):
                _copy_rect(planes, luma + plane * luma // 4, width // 2, patch,
                           (x1 - x0) * (y1 - y0) + plane * chroma, half_w, x0 // 2, y0 // 2, (y1 - y0) // 2)
        return planes


def _copy_rect(planes: bytearray, start: int, stride: int, patch: bytes, patch_start: int, patch_width: int,
               x: int, y: int, rows: int) -> None:
    """Copy ``rows`` rows of ``patch_width`` bytes from ``patch`` into a plane of ``planes`` at (``x``, ``y``)."""
    for row in range(rows):
        at = start + (y + row) * stride + x
        source = patch_start + row * patch_width
        planes[at:at + patch_width] = patch[source:source + patch_width]


def save_frame(planes: bytes | bytearray, size: tuple[int, int], path: Path, rate: int) -> None:
    """Write the yuv420p ``planes`` of a ``size`` picture as a one-frame Y4M file (limited range) at ``rate``
    frames a second."""
    header = f"YUV4MPEG2 W{size[0]} H{size[1]} F{rate}:1 Ip A1:1 C420jpeg XCOLORRANGE=LIMITED\nFRAME\n"
    with path.open("wb") as out:
        out.write(header.encode())
        out.write(planes)


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
