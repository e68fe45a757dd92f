"""The largest render the backend accepts, checked when it is submitted (not after an hour of encoding).

Three limits (``BackendSettings``): the output's length (``max_render_s``), its frame size
(``max_render_pixels``), and the two together (``max_render_pixel_seconds``: an hour of 1080p, so
15 minutes of 4K). A draft the renderer cannot read is not judged here: it fails as a render, saying why.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nemo_nb.draft import Draft
from nemo_nb.local import errors
from nemo_nb.local.errors import ApiError
from nemo_nb.local.settings import BackendSettings


def clock(seconds: float) -> str:
    """``4:00:00`` / ``12:30``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def output_of(draft: Draft, resolve: Callable[[str], Any]) -> tuple[float, int, int] | None:
    """(seconds, width, height) the draft renders to, or None when the renderer would refuse it anyway."""
    from nemo_nb.local.media.render import canvas_size
    from nemo_nb.local.media.timeline import RenderError, read_timeline

    try:
        timeline = read_timeline(draft, resolve)
    except RenderError:
        return None
    width, height = canvas_size(timeline)
    return timeline.duration_ms / 1000, width, height


def check_render_size(draft: Draft, resolve: Callable[[str], Any], settings: BackendSettings) -> None:
    """Refuse (4006) a render longer or larger than the settings allow."""
    found = output_of(draft, resolve)
    if found is None:
        return
    seconds, width, height = found
    pixels = width * height
    problems = []
    if seconds > settings.max_render_s:
        problems.append(f"at most {clock(settings.max_render_s)} of output")
    if pixels > settings.max_render_pixels:
        problems.append(f"at most {settings.max_render_pixels:,} pixels a frame (3840x2160)")
    if seconds * pixels > settings.max_render_pixel_seconds:
        at_4k = settings.max_render_pixel_seconds / (3840 * 2160)
        at_1080p = settings.max_render_pixel_seconds / (1920 * 1080)
        problems.append(f"no more pixels than {clock(at_1080p)} of 1080p ({clock(at_4k)} of 4K)")
    if problems:
        raise ApiError(
            errors.RENDER_TOO_LARGE,
            f"this render would be {clock(seconds)} of {width}x{height} video; the embedded backend renders "
            f"{', '.join(problems)}. Trim the timeline or choose a smaller size (e.g. \"make it 720p\"), then "
            "export again",
            data={"duration_s": round(seconds, 3), "width": width, "height": height,
                  "max_duration_s": settings.max_render_s, "max_pixels": settings.max_render_pixels,
                  "max_pixel_seconds": settings.max_render_pixel_seconds})
