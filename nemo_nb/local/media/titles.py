"""Drawn text (titles and captions) as ffmpeg ``drawtext`` filters, and the output frames each shows on.

The (hostile) text reaches ffmpeg only through a ``textfile=`` with expansion off. A text shows on whole
frames, ``[first, end)`` of the output, chosen by frame number (``enable='between(n,…)'``), so a full
encode and a smart render's re-encoded pieces draw it on exactly the same frames.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from nemo_nb.local.media.fonts import default_font
from nemo_nb.local.media.text_layout import layout
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
    """A boxed drawtext reading the text from a file, with expansion off, sized and placed by ``layout``."""
    bold = caption.kind == "title"
    font = default_font(bold=bold)
    fixed = max(4, round(caption.size_px * scale)) if caption.size_px else None
    placed = layout(caption.text, caption.kind, caption.pos, width, height, font, fixed)
    text_file = work_dir / f"text{index}.txt"
    text_file.write_text("\n".join(placed.lines), encoding="utf-8")
    options = {
        "fontfile": escape(str(font)),
        "textfile": escape(str(text_file)),
        "expansion": "none",
        "fontsize": str(placed.size),
        "fontcolor": caption.colour,
        "box": "1",
        "boxcolor": "black@0.55",
        "boxborderw": str(placed.border),
        "line_spacing": str(placed.size // 5),
        "text_align": "center",
        "x": placed.x,
        "y": placed.y,
    }
    return "drawtext=" + ":".join(f"{k}={v}" for k, v in options.items())


def escape(value: str) -> str:
    """Escape a filter option value for both the option parser and the filtergraph parser."""
    value = re.sub(r"([\\':])", r"\\\1", value)
    return re.sub(r"([\\'\[\],;])", r"\\\1", value)
