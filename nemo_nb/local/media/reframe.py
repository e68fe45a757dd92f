"""A clip of one shape in a frame of another (16:9 into 9:16, 1:1 or 4:5, and back).

``blur`` (the default, as CapCut does): the whole picture, over a blurred, darkened copy of itself that fills
the frame — no black bars. ``fit``: the whole picture with plain black bars. ``fill``: the picture cropped
to cover the frame, the crop window placed where the picture's content is: a few frames are sampled and
the window keeps the most strong edges (drawn text, outlines) and change between samples (motion), with a
slight pull to the centre when the picture is even — so a title near one side is kept, not cut in half.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_nb.local.media.ffmpeg import ffmpeg_exe
from nemo_nb.local.media.filtergraph import Graph
from nemo_nb.local.media.timeline import Visual

SAME_SHAPE = 0.01  # aspect ratios this close are the same shape: scaled, never cropped or padded
_BLUR_DOWNSCALE = 8  # the background is blurred at 1/8 size (cheap), then scaled up
_BLUR_DARKEN = 0.6  # the background's brightness
_SAMPLES = 6  # frames sampled for a fill crop
_SAMPLE_WIDTH = 160  # px: the samples are analysed this small
_CENTRE_PULL = 0.15  # share of the window's content a shift from the centre to the edge must beat
_EDGE = 40  # a grey-level step this strong is an edge (text on a picture, outlines), not texture
_PROBE_TIMEOUT_S = 60


@dataclass(frozen=True)
class Crop:
    """The part of the source a ``fill`` shows: ``w``x``h`` at (``x``, ``y``), in source pixels."""

    x: int
    y: int
    w: int
    h: int


def fit_filters(graph: Graph, clip: Visual, width: int, height: int, fit: str, quick: bool = False) -> tuple[str, str]:
    """The filters that put ``clip``'s picture into a ``width``x``height`` frame, and a note for the render log
    ("" when the clip already has the frame's shape). ``quick``: the cheapest scaling, for previews."""
    info = clip.ref.info
    flags = ":flags=fast_bilinear" if quick else ""
    if (info.width, info.height) == (width, height):
        return "setsar=1", ""
    if abs(info.width / info.height - width / height) <= SAME_SHAPE * width / height:
        return f"scale={width}:{height}{flags},setsar=1", ""
    shape = f"{info.width}x{info.height} into {width}x{height}"
    if fit == "fill":
        crop = content_crop(clip, width, height)
        # Crop first, then scale: scaling the whole frame up and cropping after scales ~2x more pixels.
        where = f"x={crop.x}" if crop.w < info.width else f"y={crop.y}"
        # As shares of the input's size: a preview decodes a smaller copy of the same picture.
        shares = (crop.w / info.width, crop.h / info.height, crop.x / info.width, crop.y / info.height)
        window = "crop=w=iw*{:.6f}:h=ih*{:.6f}:x=iw*{:.6f}:y=ih*{:.6f}".format(*shares)
        return (f"{window},scale={width}:{height}{flags},setsar=1",
                f"{shape}: fill, cropped to {crop.w}x{crop.h} at {where} (placed on the picture's content)")
    fitted = f"scale={width}:{height}:force_original_aspect_ratio=decrease:force_divisible_by=2{flags}"
    if fit == "fit":
        return f"{fitted},pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black,setsar=1", f"{shape}: fit, black bars"
    small_w, small_h = (max(8, round(side / _BLUR_DOWNSCALE / 2) * 2) for side in (width, height))
    back, front, behind, ahead = graph.label(), graph.label(), graph.label(), graph.label()
    sigma = max(2.0, min(small_w, small_h) / 10)
    background = (f"scale={small_w}:{small_h}:force_original_aspect_ratio=increase,crop={small_w}:{small_h},"
                  f"gblur=sigma={sigma:.1f},lutyuv=y=val*{_BLUR_DARKEN},scale={width}:{height}")
    return (f"split=2{back}{front};{back}{background}{behind};{front}{fitted}{ahead};"
            f"{behind}{ahead}overlay=(W-w)/2:(H-h)/2,setsar=1", f"{shape}: blurred background")


def content_crop(clip: Visual, width: int, height: int) -> Crop:
    """The crop window of ``clip``'s source with the frame's shape that keeps the most of its content."""
    info = clip.ref.info
    src_w, src_h = info.width, info.height
    if src_w * height > src_h * width:  # the source is wider: choose x
        w, h = min(src_w, max(2, round(src_h * width / height / 2) * 2)), src_h
    else:
        w, h = src_w, min(src_h, max(2, round(src_w * height / width / 2) * 2))
    try:
        weights = _content(clip)
    except (OSError, ValueError, subprocess.SubprocessError):
        weights = None  # unreadable samples: the centre
    if w < src_w:
        profile = None if weights is None else weights.sum(axis=0)
        return Crop(_best_offset(profile, src_w, w), 0, w, h)
    profile = None if weights is None else weights.sum(axis=1)
    return Crop(0, _best_offset(profile, src_h, h), w, h)


def _best_offset(profile: Any, full: int, size: int) -> int:
    """Where a window ``size`` long on a ``full``-long axis holds most of ``profile`` (None: centred), even."""
    import numpy as np

    centre = (full - size) // 2
    if profile is None or full <= size or not profile.sum():
        return centre - centre % 2
    scale = len(profile) / full
    span = max(1, round(size * scale))
    sums = np.convolve(profile, np.ones(span), mode="valid")  # content inside each window position
    offsets = np.arange(len(sums)) / scale
    distance = np.abs(offsets - centre) / max(1, full - size)  # 0 at the centre, ~1 at an edge
    scores = sums - _CENTRE_PULL * sums.max() * distance
    best = int(min(full - size, max(0, round(offsets[int(scores.argmax())]))))
    return best - best % 2


def _content(clip: Visual) -> Any:
    """Where ``clip``'s content is: per-pixel strong-edge density plus change between samples, over a few
    frames sampled evenly across the part of the source it shows (small, grey)."""
    import numpy as np

    info = clip.ref.info
    small_h = max(2, round(_SAMPLE_WIDTH * info.height / info.width / 2) * 2)
    frames = _samples(clip, _SAMPLE_WIDTH, small_h)
    edges = np.zeros(frames.shape[1:])
    for grey in frames:
        dx = np.abs(np.diff(grey, axis=1, prepend=grey[:, :1]))
        dy = np.abs(np.diff(grey, axis=0, prepend=grey[:1, :]))
        edges += np.maximum(dx, dy) > _EDGE
    motion = np.abs(np.diff(frames, axis=0)).mean(axis=0) / 255 if len(frames) > 1 else 0
    return edges / len(frames) + motion


def _samples(clip: Visual, width: int, height: int) -> Any:
    """Up to ``_SAMPLES`` grey frames of ``clip`` as a (n, height, width) float array; one seek per frame."""
    import numpy as np

    still = clip.ref.info.kind == "image"
    count = 1 if still else _SAMPLES
    args: list[str] = []
    for i in range(count):
        at = (clip.in_ms + clip.dur_ms * (i + 0.5) / count) / 1000
        args += ([] if still else ["-ss", f"{at:.3f}"]) + ["-protocol_whitelist", "file", "-i",
                                                           str(Path(clip.ref.path).resolve())]
    chains = [f"[{i}:v:0]trim=end_frame=1,scale={width}:{height},format=gray[f{i}]" for i in range(count)]
    joined = "".join(f"[f{i}]" for i in range(count))
    graph = ";".join([*chains, f"{joined}concat=n={count}:v=1:a=0[out]"])
    done = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", *args,
                           "-filter_complex", graph, "-map", "[out]", "-f", "rawvideo", "-"],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=_PROBE_TIMEOUT_S, check=True)
    frames = np.frombuffer(done.stdout, np.uint8)
    n = len(frames) // (width * height)
    if n == 0:
        raise ValueError("no frame could be sampled")
    return frames[:n * width * height].reshape(n, height, width).astype(float)
