"""Static pictures for saved notebooks: the timeline as a PNG (Pillow), and small HTML pieces.

Untrusted notebooks drop SVG and every ``<style>``/``<script>``; a PNG in an ``<img>`` (and as
``image/png``) survives everywhere, so the snapshots use it, falling back to the inline SVG when
Pillow is missing.
"""
from __future__ import annotations

import base64
import io
from functools import lru_cache
from typing import Any

from nemo_nb.draft import TEXT, Draft
from nemo_nb.notebook._fmt import MUTED, esc
from nemo_nb.notebook.timeline import COLOURS, TYPE_COLOURS, tick_label, tick_step, timeline_svg

LABEL_W, LANE_H, GAP, AXIS_H, PAD = 96, 24, 6, 20, 6
MAX_DRAWN = 2000


@lru_cache(maxsize=4)
def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: the bitmap font, one size
        return ImageFont.load_default()


def _fit(draw: Any, text: str, width: float, font: Any) -> str:
    if width < 14:
        return ""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…" if text else ""


def timeline_png(draft: Draft, width: int = 720) -> bytes | None:
    """``draft`` drawn like ``timeline_svg`` (lanes, labelled bars, a time axis), as PNG bytes."""
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        return None
    tracks = draft.tracks
    lanes = max(1, len(tracks))
    height = PAD + lanes * (LANE_H + GAP) + AXIS_H
    total_ms = max(draft.duration_ms, max((s.end_ms for _, s in draft.segments()), default=0), 1000)
    plot_w = width - LABEL_W - 14
    scale = plot_w / total_ms
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    font = _font(11)
    axis_y = PAD + lanes * (LANE_H + GAP)
    step = tick_step(total_ms / 1000)
    t = 0.0
    while t * 1000 <= total_ms + 1e-6:
        x = LABEL_W + t * 1000 * scale
        draw.line([(x, PAD), (x, axis_y)], fill="#e3e3e3")
        label = tick_label(t, step)
        draw.text((x - draw.textlength(label, font=font) / 2, axis_y + 4), label, fill="#666", font=font)
        t = round(t + step, 6)
    draw.line([(LABEL_W, axis_y), (LABEL_W + plot_w, axis_y)], fill="#999")
    if not tracks:
        draw.text((LABEL_W + 6, PAD + 6), "empty timeline", fill="#888", font=font)
    drawn = 0
    for lane, track in enumerate(tracks):
        y = PAD + lane * (LANE_H + GAP)
        draw.rectangle([0, y, width, y + LANE_H], fill="#f6f6f6")
        draw.text((6, y + 6), _fit(draw, f"{lane + 1} {track.label}", LABEL_W - 8, font), fill="#333", font=font)
        default = TYPE_COLOURS.get(track.type, "#888")
        for seg in track.segments:
            if drawn >= MAX_DRAWN:
                break
            drawn += 1
            x = LABEL_W + seg.start_ms * scale
            w = max(1.5, seg.duration_ms * scale)
            draw.rounded_rectangle([x, y + 2, x + w, y + LANE_H - 2], radius=3, fill=COLOURS.get(seg.kind, default))
            label = seg.text if track.type == TEXT and seg.text else seg.label
            shown = _fit(draw, label, w - 8, font)
            if shown:
                draw.text((x + 4, y + 6), shown, fill="white", font=font)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def timeline_png_b64(draft: Draft) -> str | None:
    png = timeline_png(draft)
    return base64.b64encode(png).decode("ascii") if png else None


def timeline_html(draft: Draft, width: int = 720) -> str:
    """The summary line and the timeline picture (a PNG ``<img>``; the SVG without Pillow)."""
    summary = draft.summary()
    png = timeline_png_b64(draft)
    picture = (f'<img class="nemo-timeline-png" alt="{esc(summary)}" src="data:image/png;base64,{png}" '
               f'style="max-width:100%">' if png else timeline_svg(draft, width))
    return (f'<div class="nemo-timeline-view" style="font:13px sans-serif;margin:4px 0">'
            f'<div class="nemo-summary" style="{MUTED}">{esc(summary)}</div>{picture}</div>')


def poster_html(poster: bytes | None, caption: str) -> str:
    """The export's poster frame and its caption (no video: a saved snapshot stays small)."""
    image = (f'<img class="nemo-poster" alt="{esc(caption)}" style="max-width:100%;max-height:240px" '
             f'src="data:image/png;base64,{base64.b64encode(poster).decode("ascii")}">' if poster else "")
    return f'<div class="nemo-export" style="margin:4px 0">{image}<div style="{MUTED}">▶ {esc(caption)}</div></div>'
