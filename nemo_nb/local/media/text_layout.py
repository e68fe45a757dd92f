"""Size, wrap and place drawn text for the output frame: readable on a phone, clear of the platforms' buttons.

A caption's font is about 5% of the frame's height (a title's about 8%), never so large that a word
cannot fit the frame's width; lines are wrapped, measured with the font itself, to the safe width; the
text sits inside the frame's safe zone: for a tall frame (9:16: TikTok, Reels, Shorts) clear of the top bar,
of the bottom ~20% (captions, descriptions, music) and of the buttons on the right; smaller margins for 4:5,
1:1 and landscape frames.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Font size as a share of the frame's height, and at most this share of its width (so words fit).
SIZES = {"caption": (0.05, 0.08), "title": (0.08, 0.10)}
MIN_FONT_PX = 8
_GLYPH_EM = 0.62  # average advance of DejaVu Sans, when Pillow is missing
_LINE_EM = 1.2  # a line's height with its spacing


@dataclass(frozen=True)
class SafeZone:
    """Margins of a frame no text may enter, as shares of its width (left, right) and height (top, bottom)."""

    top: float
    bottom: float
    left: float
    right: float


def safe_zone(width: int, height: int) -> SafeZone:
    """The safe zone of a ``width``x``height`` frame."""
    tall = height / width
    if tall >= 1.5:  # 9:16 and taller: the app's top bar; caption, description and music at the bottom; buttons right
        return SafeZone(top=0.10, bottom=0.20, left=0.06, right=0.16)
    if tall > 1.05:  # 4:5, 3:4 feed posts
        return SafeZone(top=0.06, bottom=0.12, left=0.06, right=0.06)
    if tall >= 0.95:  # square
        return SafeZone(top=0.06, bottom=0.10, left=0.06, right=0.06)
    return SafeZone(top=0.06, bottom=0.08, left=0.05, right=0.05)  # landscape: title-safe, over the player's bar


@dataclass(frozen=True)
class Placed:
    """Text laid out: its lines, font size and box border (px), and drawtext's ``x`` and ``y`` expressions."""

    lines: list[str]
    size: int
    border: int
    x: str
    y: str


def layout(text: str, kind: str, pos: str, width: int, height: int, font: Path, size: int | None = None) -> Placed:
    """Lay ``text`` (a caption or a title at ``pos``: top, center, bottom or a corner such
    as bottom-right) out on a ``width``x``height`` frame
    in ``font``; ``size``: a font size asked for (px), else one from the frame."""
    zone = safe_zone(width, height)
    left, right = round(width * zone.left), round(width * (1 - zone.right))
    top, bottom = round(height * zone.top), round(height * (1 - zone.bottom))
    of_height, of_width = SIZES.get(kind, SIZES["caption"])
    size = size or max(MIN_FONT_PX, round(min(height * of_height, width * of_width)))
    paragraphs = text.split("\n")
    while True:
        border = max(2, size // 4)
        room = right - left - 2 * border
        longest = max((_width(word, font, size) for p in paragraphs for word in p.split()), default=0)
        lines = [line for p in paragraphs for line in _wrap(p, font, size, room)]
        tall = len(lines) * size * _LINE_EM + 2 * border
        if (longest <= room and tall <= bottom - top) or size <= MIN_FONT_PX:
            break
        size = max(MIN_FONT_PX, int(size * 0.9))  # too wide a word or too many lines: smaller
    vertical, _, side = pos.partition("-")  # "top", "bottom-right", …
    x = {"": f"{left}+({right - left}-text_w)/2", "left": str(left + border),
         "right": f"{right - border}-text_w"}[side]
    y = {"top": str(top + border), "bottom": f"{bottom - border}-text_h",
         "center": f"{top}+({bottom - top}-text_h)/2"}[vertical]  # the middle of the safe zone
    return Placed(lines, size, border, x, y)


def _wrap(paragraph: str, font: Path, size: int, room: int) -> list[str]:
    """``paragraph`` in lines at most ``room`` px wide; a word wider than that is broken."""
    lines: list[str] = []
    line = ""
    for word in paragraph.split():
        while _width(word, font, size) > room and len(word) > 1:
            cut = max(1, max(n for n in range(1, len(word) + 1) if _width(word[:n], font, size) <= room or n == 1))
            if line:
                lines.append(line)
                line = ""
            lines.append(word[:cut])
            word = word[cut:]
        candidate = f"{line} {word}" if line else word
        if line and _width(candidate, font, size) > room:
            lines.append(line)
            candidate = word
        line = candidate
    lines.append(line)
    return [ln for ln in lines if ln] or [" "]


def _width(text: str, font: Path, size: int) -> float:
    """How wide ``text`` is in ``font`` at ``size`` px."""
    measure = _font(font, size)
    return measure.getlength(text) if measure is not None else len(text) * size * _GLYPH_EM


@functools.lru_cache(maxsize=64)
def _font(path: Path, size: int) -> Any:
    try:
        from PIL import ImageFont
    except ImportError:  # Pillow comes with matplotlib (the local extra); without it, an estimate
        return None
    return ImageFont.truetype(str(path), size)
