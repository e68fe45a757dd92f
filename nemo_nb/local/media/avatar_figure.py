"""The presenter's figure without eyes and mouth, drawn as three layers that can move apart a little: the
hair behind the head, the body (shoulders, neck, collar) and the head (face, ears, nose, hair, brows)."""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter

from nemo_nb.local.media.avatar_pen import RGB, Layout, Pen, PresenterStyle, arc, bezier, egg, mirror, mix, rgb


@dataclass(frozen=True)
class Layers:
    """The figure in three RGBA layers at the output size, back to front, and the head at ``ss``× for the
    eye and mouth sprites."""

    back: Image.Image  # hair behind the head and shoulders (moves with the head)
    body: Image.Image  # shoulders, neck, collar
    head: Image.Image  # ears, face, nose, hair, brows (no eyes, no mouth)
    head_hi: Image.Image


def draw_layers(style: PresenterStyle, layout: Layout, ss: int) -> Layers:
    """The presenter without eyes and mouth, in layers (each drawn at ``ss``× and box-reduced)."""
    size = (layout.width * ss, layout.height * ss)

    def layer(*parts: Callable[[Image.Image, Pen], None]) -> Image.Image:
        img = Image.new("RGBA", size, (0, 0, 0, 0))
        pen = Pen(img, layout, ss)
        for part in parts:
            part(img, pen)
        return img

    back = layer(lambda img, pen: _hair_back(pen, style)).reduce(ss)
    body = layer(lambda img, pen: _body(pen, style, layout.bottom_v)).reduce(ss)
    head_hi = layer(lambda img, pen: _head(img, pen, style))
    return Layers(back, body, head_hi.reduce(ss), head_hi)


def _body(pen: Pen, style: PresenterStyle, bottom: float) -> None:
    _torso(pen, style, bottom)
    # Neck, with the shadow under the chin, then what the clothes put in front of it.
    pen.polygon([(-0.125, 0.15), (0.125, 0.15), (0.13, 0.66), (-0.13, 0.66)], style.skin)
    chin = [(u, v + 0.075) for u, v in egg(0.0, 0.0, 0.33, 0.42, 0.2) if v > 0 and abs(u) < 0.13]
    pen.polygon([(-0.13, 0.15), (0.13, 0.15), *sorted(chin, reverse=True)], style.skin_shade)
    _collar(pen, style)


def _head(img: Image.Image, pen: Pen, style: PresenterStyle) -> None:
    if style.hair_style != "long":
        for side in (-1, 1):
            pen.ellipse(side * 0.315, 0.025, 0.055, 0.085, style.skin)
            pen.ellipse(side * 0.322, 0.03, 0.026, 0.05, style.skin_shade)
    # Face: a shaded egg, then the lit egg slightly up and left of it (light from the upper left).
    pen.polygon(egg(0.0, 0.0, 0.33, 0.42, 0.2), style.skin_shade)
    pen.polygon(egg(-0.014, -0.008, 0.315, 0.41, 0.22), style.skin)
    _blush(img, pen, style)
    # Nose: a soft shaded hook.
    pen.line([(0.012, -0.005), (0.03, 0.075), (0.018, 0.1), (-0.005, 0.103)], 0.013, style.skin_shade)
    _hair_front(pen, style)
    # Eyebrows.
    for side in (-1, 1):
        brow = bezier((side * 0.06, -0.14), (side * 0.12, -0.182), (side * 0.19, -0.142), steps=24)
        pen.line(brow, 0.026, style.brows)


def _blush(img: Image.Image, pen: Pen, style: PresenterStyle) -> None:
    """Soft cheeks: blurred ellipses of the blush colour, kept inside the figure."""
    mask = Image.new("L", img.size, 0)
    draw = ImageDraw.Draw(mask)
    for side in (-1, 1):
        x0, y0 = pen.xy(side * 0.175 - 0.058, 0.125 - 0.037)
        x1, y1 = pen.xy(side * 0.175 + 0.058, 0.125 + 0.037)
        draw.ellipse([x0, y0, x1, y1], fill=85)
    mask = mask.filter(ImageFilter.GaussianBlur(pen.px(0.02)))
    blush = Image.new("RGBA", img.size, (*rgb(style.blush), 255))
    img.paste(blush, (0, 0), ImageChops.multiply(mask, img.getchannel("A")))


def _hair_back(pen: Pen, style: PresenterStyle) -> None:
    """Hair behind the head (and, for long hair, behind the shoulders)."""
    hair = style.hair
    if style.hair_style == "long":
        right = arc(0.0, -0.06, 0.40, 0.47, 90, -5) + bezier((0.398, 0.0), (0.40, 0.35), (0.46, 0.6), (0.50, 0.92))
        pen.polygon([*mirror(right)[::-1], *right], mix(hair, "#000000", 0.12))
    elif style.hair_style == "curly":
        shade = mix(hair, "#000000", 0.05)
        pen.ellipse(0.0, -0.13, 0.40, 0.40, shade)
        for deg in range(-25, 206, 23):
            t = math.radians(deg)
            pen.ellipse(0.37 * math.cos(t), -0.11 - 0.37 * math.sin(t), 0.12, 0.12, shade)
    else:
        pen.polygon(egg(0.0, -0.10, 0.355, 0.40, 0.0), hair)


def _hair_front(pen: Pen, style: PresenterStyle) -> None:
    """Hair over the forehead: an outer arc around the top of the head closed by the hairline."""
    hair, kind = style.hair, style.hair_style
    highlight = mix(hair, "#ffffff", 0.14)
    if kind == "short":
        # Volume above the skull, a side parting on the left and a fringe swept to the right.
        outer = arc(0.0, -0.10, 0.36, 0.435, -12, 192)
        hairline = bezier((-0.335, -0.03), (-0.33, -0.20), (-0.26, -0.29), (-0.13, -0.305))
        hairline += bezier((-0.13, -0.305), (0.02, -0.24), (0.24, -0.25), (0.339, -0.05))
        pen.polygon([*outer, *hairline], hair)
        pen.line(bezier((-0.13, -0.30), (-0.15, -0.40), (-0.11, -0.47), (-0.04, -0.52), steps=20), 0.007,
                 mix(hair, "#000000", 0.22))
        pen.line(bezier((0.0, -0.46), (0.14, -0.45), (0.26, -0.38), (0.31, -0.25), steps=24), 0.02, highlight)
        pen.line(bezier((-0.05, -0.27), (0.08, -0.29), (0.2, -0.27), (0.29, -0.17), steps=24), 0.01, highlight)
        for side in (-1, 1):  # sideburns
            pen.polygon([(side * 0.345, -0.07), (side * 0.29, -0.07), (side * 0.305, 0.035), (side * 0.325, 0.04)],
                        hair)
    elif kind == "long":
        outer = arc(0.0, -0.06, 0.37, 0.44, -2, 182)
        hairline = bezier((-0.33, -0.02), (-0.30, -0.30), (-0.02, -0.33), (0.02, -0.27))
        hairline += bezier((0.02, -0.27), (0.12, -0.30), (0.31, -0.22), (0.33, -0.02))
        pen.polygon([*outer, *hairline], style.hair)
        for side in (-1, 1):  # thin locks along the temples
            lock = bezier((side * 0.37, -0.08), (side * 0.36, 0.06), (side * 0.34, 0.16), (side * 0.31, 0.24))
            lock += bezier((side * 0.31, 0.24), (side * 0.32, 0.1), (side * 0.315, 0.0), (side * 0.29, -0.12))
            pen.polygon(lock, hair)
        pen.line(bezier((-0.22, -0.40), (-0.05, -0.47), (0.15, -0.45), steps=20), 0.02, highlight)
        pen.line(bezier((0.02, -0.28), (0.0, -0.36), (-0.04, -0.42), steps=12), 0.006, mix(hair, "#000000", 0.15))
    else:  # curly: a scalloped hairline under the cloud of curls
        outer = arc(0.0, -0.11, 0.37, 0.40, -5, 185)
        hairline = bezier((-0.34, -0.08), (-0.28, -0.31), (0.28, -0.31), (0.34, -0.08))
        pen.polygon([*outer, *hairline], hair)
        for i in range(1, 8):
            u, v = bezier((-0.34, -0.08), (-0.28, -0.31), (0.28, -0.31), (0.34, -0.08), steps=8)[i]
            pen.ellipse(u, v + 0.012, 0.045, 0.035, hair)
        pen.line(arc(0.0, -0.13, 0.30, 0.33, 125, 60, steps=20), 0.016, mix(hair, "#ffffff", 0.1))


def _torso(pen: Pen, style: PresenterStyle, bottom: float) -> None:
    """Shoulders and chest in the style's clothes (what lies behind the neck)."""
    top, shade, shirt = style.top, style.top_shade, style.shirt
    right = [*bezier((0.0, 0.64), (0.55, 0.64), (1.0, 0.70), (1.02, 1.1)), (1.03, bottom)]
    pen.polygon([*mirror(right)[::-1], *right], top)
    seam = mix(top, shade, 0.7)
    for side in (-1, 1):  # where the arms meet the chest
        pen.line(bezier((side * 0.76, 0.84), (side * 0.71, 1.2), (side * 0.73, 1.6), (side * 0.77, bottom + 0.2)),
                 0.014, seam)
    if style.outfit == "suit":
        pen.polygon([(-0.17, 0.6), (0.17, 0.6), (0.0, 1.32)], shirt)
        for side in (-1, 1):
            pen.polygon([(side * 0.18, 0.6), (side * 0.34, 0.80), (side * 0.29, 0.835), (side * 0.345, 0.9),
                         (side * 0.035, 1.38), (0.0, 1.34), (side * 0.02, 1.3)], shade)
        pen.ellipse(0.0, 1.48, 0.022, 0.022, mix(top, "#000000", 0.35))
        # A pocket square on the left breast.
        pen.polygon([(0.50, 1.06), (0.64, 1.06), (0.62, 1.0), (0.58, 1.03), (0.55, 0.99)], shirt)
        pen.line([(0.48, 1.065), (0.66, 1.065)], 0.012, shade)
    elif style.outfit == "sweater":
        pen.polygon([(-1.02, 1.36), (1.02, 1.36), (1.025, 1.43), (-1.025, 1.43)], shade)
        pen.polygon([(-1.025, 1.48), (1.025, 1.48), (1.025, 1.51), (-1.025, 1.51)], shirt)
    else:  # an open blazer over a tee
        pen.polygon([(-0.22, 0.6), (0.22, 0.6), (0.16, bottom), (-0.16, bottom)], shirt)
        for side in (-1, 1):
            pen.polygon([(side * 0.22, 0.6), (side * 0.38, 0.82), (side * 0.32, 0.86), (side * 0.37, 0.93),
                         (side * 0.17, bottom), (side * 0.13, bottom), (side * 0.21, 0.62)], shade)
    # A clip-on microphone.
    mic_u = -0.30 if style.outfit == "suit" else -0.34
    pen.polygon([(mic_u - 0.012, 0.975), (mic_u + 0.012, 0.975), (mic_u + 0.01, 1.0), (mic_u - 0.01, 1.0)], "#8a8a96")
    pen.ellipse(mic_u, 1.025, 0.021, 0.03, "#1c1c22")
    pen.ellipse(mic_u - 0.006, 1.014, 0.006, 0.008, "#4a4a56")


def _neckline(pen: Pen, style: PresenterStyle, band: str | RGB, depth: float) -> None:
    """A round neckline in front of the neck's base: a band, and skin below the neck inside it."""
    pen.polygon(arc(0.0, 0.60, 0.20, depth + 0.045, 180, 360), band)
    pen.polygon(arc(0.0, 0.60, 0.13, depth, 180, 360), style.skin)


def _collar(pen: Pen, style: PresenterStyle) -> None:
    """What the clothes put in front of the neck: shirt collar and tie, or a round neckline."""
    if style.outfit == "suit":
        shirt = style.shirt
        shirt_shade = mix(shirt, "#000000", 0.12)
        pen.polygon([(-0.13, 0.6), (0.13, 0.6), (0.0, 0.73)], shirt_shade)
        tie = style.tie or style.top_shade
        pen.polygon([(-0.045, 0.70), (0.045, 0.70), (0.032, 0.79), (-0.032, 0.79)], tie)
        pen.polygon([(-0.03, 0.785), (0.03, 0.785), (0.068, 1.22), (0.0, 1.3), (-0.068, 1.22)], tie)
        pen.line([(-0.034, 0.79), (0.034, 0.79)], 0.008, mix(tie, "#000000", 0.25))
        for side in (-1, 1):
            pen.polygon([(side * 0.15, 0.585), (side * 0.05, 0.70), (side * 0.005, 0.73), (side * 0.10, 0.83)],
                        shirt_shade)
            pen.polygon([(side * 0.15, 0.585), (side * 0.045, 0.70), (side * 0.10, 0.81)], shirt)
    elif style.outfit == "sweater":
        _neckline(pen, style, style.top_shade, 0.07)
        gold = "#e2b65a"
        pen.line(arc(0.0, 0.60, 0.125, 0.11, 195, 345, steps=30), 0.006, gold)
        pen.ellipse(0.0, 0.725, 0.014, 0.018, gold)
    else:
        _neckline(pen, style, mix(style.shirt, "#000000", 0.08), 0.055)
