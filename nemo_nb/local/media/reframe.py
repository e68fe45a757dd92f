"""A clip of one shape in a frame of another (16:9 into 9:16, 1:1 or 4:5, and back).

``blur`` (the default, as CapCut does): the whole picture, over a blurred, darkened copy of itself that fills
the frame — no black bars. ``fit``: the whole picture with plain black bars. ``fill``: the picture cropped
to cover the frame, the crop window placed where the picture's content is: a few frames are sampled and
the window keeps the most strong edges (drawn text, outlines) and change between samples (motion), with a
slight pull to the centre when the picture is even — so a title near one side is kept, not cut in half.
When what matters moves across the picture, the window follows it: from sample to sample, smoothed and
moving linearly in between.
"""
from __future__ import annotations

import itertools
import re
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
_MIN_KEYFRAME_SAMPLES = 4  # distinct keyframes enough to place a crop; fewer: exact frames are decoded
_SHOWN = re.compile(r"\[showinfo@s(\d+) @ [^\]]*\] n:\s*0 .*?pts_time:(-?[\d.]+)")
_SAMPLE_WIDTH = 160  # px: the samples are analysed this small
_CENTRE_PULL = 0.25  # share of the window's content a shift from the centre to the edge must beat
_EDGE = 40  # a grey-level step this strong is an edge (text on a picture, outlines), not texture
# The window follows the content when the samples' best windows are this far apart (share of the room) and
# hold this much more content than the one still window does (a subject moving over a quiet picture, not
# movement all over a busy one).
_MOVES = 0.2
_MOVING_GAIN = 1.5
_PROBE_TIMEOUT_S = 60


@dataclass(frozen=True)
class Crop:
    """The part of the source a ``fill`` shows: ``w``x``h`` at (``x``, ``y``), in source pixels."""

    x: int
    y: int
    w: int
    h: int
    path: tuple[tuple[float, int], ...] = ()  # when the window moves: (seconds into the clip, x or y) to pass by


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
        x, y = f"{crop.x / info.width:.6f}", f"{crop.y / info.height:.6f}"
        if crop.path:
            moving = _moving(crop.path, info.width if crop.w < info.width else info.height)
            x, y = (moving, y) if crop.w < info.width else (x, moving)
            axis = "x" if crop.w < info.width else "y"
            where = f"{axis} following the content from {crop.path[0][1]} to {crop.path[-1][1]}"
        window = f"crop=w=iw*{crop.w / info.width:.6f}:h=ih*{crop.h / info.height:.6f}:x='iw*{x}':y='ih*{y}'"
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
    wide = w < src_w
    full, size = (src_w, w) if wide else (src_h, h)
    try:
        overall, weights, times = _content(clip)
    except (OSError, ValueError, subprocess.SubprocessError):
        overall, weights, times = None, None, []  # unreadable samples: the centre
    offset = _best_offset(None if overall is None else overall.sum(axis=0 if wide else 1), full, size)
    profiles = None if weights is None else weights.sum(axis=1 if wide else 2)  # (samples, columns or rows)
    path: tuple[tuple[float, int], ...] = ()
    if profiles is not None and len(profiles) > 1:
        each = [_best_offset(profile, full, size) for profile in profiles]
        gain = sum(_inside(p, full, size, o) for p, o in zip(profiles, each, strict=True)) / max(
            1e-9, sum(_inside(p, full, size, offset) for p in profiles))
        if max(each) - min(each) > _MOVES * (full - size) and gain >= _MOVING_GAIN:
            inner = [(a + 2 * b + c) / 4 for a, b, c in zip(each, each[1:], each[2:], strict=False)]  # ends kept
            smooth = [each[0], *inner, each[-1]]
            path = tuple((t, round(o / 2) * 2) for t, o in zip(times, smooth, strict=True))
    return Crop(offset if wide else 0, 0 if wide else offset, w, h, path)


def _inside(profile: Any, full: int, size: int, offset: int) -> float:
    """How much of ``profile`` (over a ``full``-long axis) a window ``size`` long at ``offset`` holds."""
    scale = len(profile) / full
    return float(profile[round(offset * scale):round((offset + size) * scale)].sum())


def _moving(path: tuple[tuple[float, int], ...], full: int) -> str:
    """An ffmpeg expression of ``t`` (seconds into the clip): the window's offset as a share of ``full``, moving
    linearly from one point of ``path`` to the next, held before the first and after the last."""
    expression = f"{path[-1][1] / full:.6f}"
    for (t0, o0), (t1, o1) in reversed(list(itertools.pairwise(path))):
        step = f"{o0 / full:.6f}+{(o1 - o0) / full:.6f}*clip((t-{t0:.3f})/{t1 - t0:.3f},0,1)"
        expression = f"if(lt(t,{t1:.3f}),{step},{expression})"
    return expression


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


def _content(clip: Visual) -> tuple[Any, Any, list[float]]:
    """Where ``clip``'s content is, from a few frames sampled evenly across the part of the source it shows
    (small, grey): over the whole clip (strong edges, and change from sample to sample), in each sample (its
    strong edges, and where it differs from the samples' median: where what moves is then), and each sample's
    time in the clip."""
    import numpy as np

    info = clip.ref.info
    small_h = max(2, round(_SAMPLE_WIDTH * info.height / info.width / 2) * 2)
    frames, times = _samples(clip, _SAMPLE_WIDTH, small_h)
    dx = np.abs(np.diff(frames, axis=2, prepend=frames[:, :, :1]))
    dy = np.abs(np.diff(frames, axis=1, prepend=frames[:, :1, :]))
    edges = (np.maximum(dx, dy) > _EDGE).astype(float)
    overall = edges.mean(axis=0) + (np.abs(np.diff(frames, axis=0)).mean(axis=0) / 255 if len(frames) > 1 else 0)
    weights = edges + (np.abs(frames - np.median(frames, axis=0)) / 255 if len(frames) > 2 else 0)
    return overall, weights, times[:len(frames)]


def _samples(clip: Visual, width: int, height: int) -> tuple[Any, list[float]]:
    """Up to ``_SAMPLES`` grey frames of ``clip`` as a (n, height, width) float array, and the seconds into the
    clip each shows. Keyframes first (the one at or before each sample time: no decoding up to the time, ~8x
    quicker at 1080p); when the source has too few keyframes for that, each exact frame."""
    still = clip.ref.info.kind == "image"
    count = 1 if still else _SAMPLES
    wanted = [clip.in_ms / 1000 + clip.dur_ms * (i + 0.5) / count / 1000 for i in range(count)]
    if not still:
        frames, times = _grab(clip, wanted, width, height, keyframes=True)
        if len(frames) >= min(count, _MIN_KEYFRAME_SAMPLES):
            return frames, times
    return _grab(clip, wanted, width, height, keyframes=False, still=still)


def _grab(clip: Visual, wanted: list[float], width: int, height: int, *, keyframes: bool,
          still: bool = False) -> tuple[Any, list[float]]:
    """The frames at (or, with ``keyframes``, the keyframes at or before) the source times ``wanted``, one seek
    each: distinct frames only, and their times into the clip."""
    import numpy as np

    args: list[str] = []
    seek = ["-noaccurate_seek", "-skip_frame", "nokey"] if keyframes else []
    for at in wanted:
        args += ([] if still else [*seek, "-ss", f"{at:.3f}"]) + ["-protocol_whitelist", "file", "-i",
                                                                  str(Path(clip.ref.path).resolve())]
    count = len(wanted)
    chains = [f"[{i}:v:0]trim=end_frame=1,showinfo@s{i},scale={width}:{height},format=gray[f{i}]"
              for i in range(count)]
    joined = "".join(f"[f{i}]" for i in range(count))
    graph = ";".join([*chains, f"{joined}concat=n={count}:v=1:a=0[out]"])
    done = subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "info", *args,
                           "-filter_complex", graph, "-map", "[out]", "-fps_mode", "passthrough",  # every sample
                           "-f", "rawvideo", "-"],
                          stdin=subprocess.DEVNULL, capture_output=True, timeout=_PROBE_TIMEOUT_S, check=True)
    shown = {int(i): float(t) for i, t in _SHOWN.findall(done.stderr.decode(errors="replace"))}
    frames = np.frombuffer(done.stdout, np.uint8)
    n = min(len(frames) // (width * height), count)
    if n == 0:
        raise ValueError("no frame could be sampled")
    # A seek's frame shows at its own time: the seek time plus its (zero or negative) timestamp after the seek.
    times = [max(0.0, wanted[i] + (shown.get(i, 0.0) if keyframes else 0.0) - clip.in_ms / 1000) for i in range(n)]
    keep = [i for i in range(n) if i == 0 or abs(times[i] - times[i - 1]) > 1e-3]  # one keyframe sampled twice
    grey = frames[:n * width * height].reshape(n, height, width).astype(float)
    return grey[keep], [times[i] for i in keep]
