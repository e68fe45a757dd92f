"""Drawn text (titles and captions) as ffmpeg ``drawtext`` filters, and the output frames each shows on.

The (hostile) text reaches ffmpeg only through a ``textfile=`` with expansion off. A text shows on whole
frames, ``[first, end)`` of the output, chosen by frame number (``enable='between(n,…)'``), so a full
encode and a smart render's re-encoded pieces draw it on exactly the same frames.
"""
from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from nemo_nb.local.media.fonts import default_font
from nemo_nb.local.media.timeline import Caption, Timeline


@dataclass(frozen=True)
class DrawnText:
    """One text's filter (without ``enable``) and the output frames it shows on, ``[first, end)``."""

    filter: str
    first: int
    end: int

    def on_frames(self, *spans: tuple[int, int]) -> str:
        """The filter enabled on these half-open frame spans (frame numbers as the filter counts them)."""
        return enabled(self.filter, list(spans))


def enabled(drawtext: str, spans: list[tuple[int, int]]) -> str:
    """``drawtext`` shown only on the half-open frame ``spans``."""
    condition = "+".join(f"between(n,{first},{end - 1})" for first, end in spans)
    return f"{drawtext}:enable={escape(condition)}"


def drawn_texts(timeline: Timeline, width: int, height: int, rate: Fraction, work_dir: Path,
                scale: float = 1.0) -> list[DrawnText]:
    """Each text of ``timeline`` on a ``width``x``height`` picture at ``rate`` fps; texts shorter than a
    frame are left out. ``scale``: the picture is the draft's canvas scaled by this much (a preview), so
    font sizes given in pixels are scaled too."""
    out = []
    for index, caption in enumerate(timeline.captions):
        first = round(caption.start_ms * rate / 1000)
        end = round((caption.start_ms + caption.dur_ms) * rate / 1000)
        if end > first:
            out.append(DrawnText(_drawtext(caption, index, width, height, work_dir, scale), first, end))
    return out


def _drawtext(caption: Caption, index: int, width: int, height: int, work_dir: Path, scale: float) -> str:
    """A boxed drawtext reading the text from a file, with expansion off."""
    if caption.size_px:
        size = max(4, round(caption.size_px * scale))
    else:
        size = min(width, height) // (12 if caption.kind == "title" else 18)
    per_line = max(4, int(width * 0.9 / (size * 0.6)))  # DejaVu Sans averages ~0.6 em per glyph
    lines = [textwrap.fill(p, per_line, break_long_words=True) or " " for p in caption.text.split("\n")]
    text_file = work_dir / f"text{index}.txt"
    text_file.write_text("\n".join(lines), encoding="utf-8")
    margin = round(height * 0.06) + size // 4
    vertical, _, side = caption.pos.partition("-")  # "top", "bottom-right", …
    y = {"top": str(margin), "center": "(h-text_h)/2", "bottom": f"h-text_h-{margin}"}[vertical]
    x = {"": "(w-text_w)/2", "left": str(margin), "right": f"w-text_w-{margin}"}[side]
    options = {
        "fontfile": escape(str(default_font(bold=caption.kind == "title"))),
        "textfile": escape(str(text_file)),
        "expansion": "none",
        "fontsize": str(size),
        "fontcolor": caption.colour,
        "box": "1",
        "boxcolor": "black@0.55",
        "boxborderw": str(max(2, size // 4)),
        "line_spacing": str(size // 5),
        "text_align": "center",
        "x": x,
        "y": y,
    }
    return "drawtext=" + ":".join(f"{k}={v}" for k, v in options.items())


def escape(value: str) -> str:
    """Escape a filter option value for both the option parser and the filtergraph parser."""
    value = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", value)
