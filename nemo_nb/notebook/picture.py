"""The timeline as a picture: tracks as lanes, segments as labelled bars on a time axis — drawn once, as a PNG.

A PNG is what survives wherever a notebook is opened: an untrusted notebook in JupyterLab or Notebook 7
(whose sanitizer drops ``<svg>`` and ``<style>``, so an inline SVG collapses into run-on text), GitHub,
nbviewer. Every view that shows a timeline puts this picture in an ``<img>`` inside its HTML *and* as
``image/png`` in the same output, its size in CSS pixels in the output's metadata. It is drawn at twice
that size, so its text stays sharp on high-density screens. User text only ever becomes pixels, or an
escaped ``alt``.
"""
from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from nemo_nb.draft import AUDIO, TEXT, VIDEO, Draft
from nemo_nb.notebook._fmt import esc

if TYPE_CHECKING:  # pragma: no cover
    from nemo_nb.transcript import Transcript

SCALE = 2                # pixels per CSS pixel
LABEL_W, RIGHT_PAD, TOP_PAD = 96, 14, 6
LANE_H, LANE_GAP, AXIS_H = 24, 6, 20
CAPTION_H = 20           # a stacked picture's label line
FONT_PX = 11
MAX_BARS = 2000          # bars drawn; the rest are counted in a note (the table has them all)
NICE_STEPS_S = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
COLOURS = {
    "video": "#3b6fc4", "image": "#6a5acd", "voiceover": "#2e9467", "music": "#b7791f", "audio": "#2e9467",
    "title": "#c2542e", "caption": "#a0417a", "text": "#c2542e",
}
TYPE_COLOURS = {VIDEO: "#3b6fc4", AUDIO: "#2e9467", TEXT: "#c2542e"}
TRANSCRIPT_COLOUR = "#55606e"


def tick_step(total_s: float, max_ticks: int = 8) -> float:
    return next((s for s in NICE_STEPS_S if total_s / s <= max_ticks), NICE_STEPS_S[-1])


def tick_label(t: float, step: float) -> str:
    if t >= 60 and step >= 60:
        return f"{int(t // 60)}:{int(t % 60):02d}"
    return f"{t:g}s"


@dataclass(frozen=True)
class Picture:
    """A PNG and its size in CSS pixels; ``skipped``: segments left out (more than ``MAX_BARS``)."""

    png: bytes
    width: int
    height: int
    skipped: int = 0

    @property
    def b64(self) -> str:
        return base64.b64encode(self.png).decode("ascii")

    def img(self, alt: str, css_class: str = "nemo-timeline-png") -> str:
        """An ``<img>`` with the PNG inline: fixed ``width``/``height`` attributes (kept by every sanitizer),
        shrinking with a narrow output where styles are kept."""
        return (f'<img class="{css_class}" alt="{esc(alt)}" width="{self.width}" height="{self.height}" '
                f'style="max-width:100%;height:auto" src="data:image/png;base64,{self.b64}">')

    def metadata(self) -> dict[str, Any]:
        """Output metadata that shows the ``image/png`` at its CSS size (it is drawn ``SCALE`` times larger)."""
        return {"image/png": {"width": self.width, "height": self.height}}


@lru_cache(maxsize=4)
def _font(px: int) -> Any:
    from PIL import ImageFont

    return ImageFont.load_default(size=px)


def _fit(draw: Any, text: str, width: float, font: Any) -> str:
    """``text`` on one line (a caption's line breaks become spaces), cut to ``width`` pixels with an ellipsis,
    or "" when not even a letter fits."""
    if width < 14 * SCALE:
        return ""
    text = " ".join(text.split())
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…" if text else ""


def _lane(draw: Any, lane: int, name: str, width: int, font: Any) -> float:
    """A lane's background and name; its top in image pixels."""
    s = SCALE
    y = (TOP_PAD + lane * (LANE_H + LANE_GAP)) * s
    draw.rectangle([0, y, width * s, y + LANE_H * s], fill="#f6f6f6")
    draw.text((6 * s, y + 6 * s), _fit(draw, name, (LABEL_W - 8) * s, font), fill="#333", font=font)
    return y


def _bar(draw: Any, x: float, w: float, y: float, colour: str, label: str, font: Any) -> None:
    s = SCALE
    draw.rounded_rectangle([x, y + 2 * s, x + w, y + (LANE_H - 2) * s], radius=3 * s, fill=colour)
    shown = _fit(draw, label, w - 8 * s, font)
    if shown:
        draw.text((x + 4 * s, y + 6 * s), shown, fill="white", font=font)


def _draw(draft: Draft, width: int, transcript: Transcript | None = None) -> tuple[Any, int]:
    """``draft`` drawn ``width`` CSS pixels wide: (a Pillow image ``SCALE`` times larger, segments skipped).
    With ``transcript`` (on the timeline), a last lane of what is said, one bar per segment."""
    from PIL import Image, ImageDraw

    s = SCALE
    tracks = draft.tracks
    said = list(transcript.segments) if transcript is not None else []
    lanes = max(1, len(tracks)) + (transcript is not None)
    height = TOP_PAD + lanes * (LANE_H + LANE_GAP) + AXIS_H
    total_ms = max(draft.duration_ms, max((seg.end_ms for _, seg in draft.segments()), default=0),
                   max((part.end_ms for part in said), default=0), 1000)
    plot_w = width - LABEL_W - RIGHT_PAD
    per_ms = plot_w / total_ms
    image = Image.new("RGB", (width * s, height * s), "white")
    draw = ImageDraw.Draw(image)
    font = _font(FONT_PX * s)
    axis_y = TOP_PAD + lanes * (LANE_H + LANE_GAP)
    step = tick_step(total_ms / 1000)
    t = 0.0
    while t * 1000 <= total_ms + 1e-6:
        x = (LABEL_W + t * 1000 * per_ms) * s
        draw.line([(x, TOP_PAD * s), (x, axis_y * s)], fill="#e3e3e3", width=s)
        label = tick_label(t, step)
        draw.text((x - draw.textlength(label, font=font) / 2, (axis_y + 4) * s), label, fill="#666", font=font)
        t = round(t + step, 6)
    draw.line([(LABEL_W * s, axis_y * s), ((LABEL_W + plot_w) * s, axis_y * s)], fill="#999", width=s)
    if not tracks:
        note = _fit(draw, "empty timeline: upload a video and ask for it to be added", plot_w * s, font)
        draw.text(((LABEL_W + 6) * s, (TOP_PAD + 6) * s), note, fill="#888", font=font)
    drawn = skipped = 0
    for lane, track in enumerate(tracks):
        y = _lane(draw, lane, f"{lane + 1} {track.label}", width, font)
        default = TYPE_COLOURS.get(track.type, "#888")
        for seg in track.segments:
            if drawn >= MAX_BARS:
                skipped += 1
                continue
            drawn += 1
            label = seg.text if track.type == TEXT and seg.text else seg.label
            _bar(draw, (LABEL_W + seg.start_ms * per_ms) * s, max(1.5, seg.duration_ms * per_ms) * s, y,
                 COLOURS.get(seg.kind, default), label, font)
    if transcript is not None:
        y = _lane(draw, lanes - 1, "Transcript", width, font)
        room = max(0, MAX_BARS - drawn)
        for part in said[:room]:
            _bar(draw, (LABEL_W + part.start_ms * per_ms) * s, max(1.5, (part.end_ms - part.start_ms) * per_ms) * s,
                 y, TRANSCRIPT_COLOUR, part.text, font)
        skipped += max(0, len(said) - room)
    if skipped:
        note = f"+{skipped} segments not drawn"
        draw.text(((width - RIGHT_PAD) * s - draw.textlength(note, font=font), (height - 16) * s), note,
                  fill="#a00", font=font)
    return image, skipped


def _png(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def timeline_picture(draft: Draft, width: int = 720, transcript: Transcript | None = None) -> Picture:
    """``draft`` as a ``Picture`` ``width`` CSS pixels wide (at least 240); ``transcript``: see ``_draw``."""
    width = max(240, int(width))
    image, skipped = _draw(draft, width, transcript)
    return Picture(_png(image), width, image.height // SCALE, skipped)


def stacked_pictures(drafts: list[tuple[str, Draft]], width: int = 720) -> Picture:
    """Several timelines one below the other, each under its caption (a compare's variants in one PNG)."""
    from PIL import Image, ImageDraw

    drawn = [(caption, *_draw(draft, width)) for caption, draft in drafts]
    height = sum(CAPTION_H * SCALE + image.height for _, image, _ in drawn) or CAPTION_H * SCALE
    sheet = Image.new("RGB", (width * SCALE, height), "white")
    pen = ImageDraw.Draw(sheet)
    y = 0
    for caption, image, _ in drawn:
        pen.text((6 * SCALE, y + 4 * SCALE), caption, fill="#333", font=_font(FONT_PX * SCALE))
        y += CAPTION_H * SCALE
        sheet.paste(image, (0, y))
        y += image.height
    return Picture(_png(sheet), width, height // SCALE, sum(skipped for _, _, skipped in drawn))
