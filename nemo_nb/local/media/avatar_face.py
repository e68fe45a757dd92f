"""The presenter's eyes (open, half-closed, closed) and mouth shapes (visemes), drawn as small sprites over
a crop of the head layer."""
from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw

from nemo_nb.local.media.avatar_pen import Layout, Pen, Point, PresenterStyle, bezier, mix

EYE_STATES = ("open", "half", "closed")
VISEMES = ("rest", "closed", "fv", "teeth", "small", "wide", "open", "round")

_EYE_X, _EYE_Y = 0.125, -0.04
_MOUTH_Y = 0.235

_TEETH = "#f6f3ec"
_MOUTH_DARK = "#4b1b27"
_TONGUE = "#c9606c"
_SCLERA = "#fbfaf6"
_PUPIL = "#191a20"
_LASH = "#2b1e1b"


# --- eyes ---------------------------------------------------------------------------------------------------

def _eye_outline(side: int) -> tuple[list[Point], list[Point]]:
    """Upper and lower lid curves of one eye, outer corner slightly higher."""
    ex, ey = side * _EYE_X, _EYE_Y
    upper, lower = [], []
    for i in range(25):
        t = i / 24
        x = ex + side * (-0.057 + 0.114 * t)  # inner corner → outer corner
        tilt = -0.006 * t
        upper.append((x, ey + tilt - 0.037 * math.sin(math.pi * t) ** 0.85))
        lower.append((x, ey + tilt + 0.026 * math.sin(math.pi * t) ** 1.1))
    return upper, lower


def draw_eyes(style: PresenterStyle, head: Image.Image, layout: Layout, ss: int, state: str) -> Image.Image:
    """The eye region (``layout.eyes_box``) with eyes open, half-closed or closed, at output size."""
    box = layout.eyes_box
    crop = head.crop((box[0] * ss, box[1] * ss, box[2] * ss, box[3] * ss))
    pen = Pen(crop, layout, ss, (box[0], box[1]))
    for side in (-1, 1):
        upper, lower = _eye_outline(side)
        ex = side * _EYE_X
        if state == "closed":
            lid = [(u, _EYE_Y + 0.004 - 0.006 * i / 24 + 0.012 * math.sin(math.pi * i / 24))
                   for i, (u, _) in enumerate(upper)]
            pen.line(lid, 0.011, _LASH)
            pen.line([lid[-1], (lid[-1][0] + side * 0.012, lid[-1][1] - 0.006)], 0.007, _LASH)
            continue
        outline = [*upper, *lower[::-1]]
        # Eyeball, clipped to the lids: sclera, iris, pupil, highlight.
        ball = Image.new("RGBA", crop.size, (0, 0, 0, 0))
        ball_pen = Pen(ball, layout, ss, (box[0], box[1]))
        ball_pen.polygon(outline, _SCLERA)
        ball_pen.ellipse(ex, _EYE_Y - 0.002, 0.03, 0.03, style.iris)
        ball_pen.ellipse(ex, _EYE_Y - 0.002, 0.021, 0.021, mix(style.iris, "#000000", 0.25))
        ball_pen.ellipse(ex, _EYE_Y - 0.002, 0.013, 0.013, _PUPIL)
        ball_pen.ellipse(ex - 0.01, _EYE_Y - 0.013, 0.0065, 0.0065, "#ffffff")
        mask = Image.new("L", crop.size, 0)
        ImageDraw.Draw(mask).polygon([pen.xy(u, v) for u, v in outline], fill=255)
        crop.paste(ball, (0, 0), ImageChops.multiply(mask, ball.getchannel("A")))
        pen.line(lower, 0.004, style.skin_shade)
        if state == "half":
            lid_edge = [(u, v + 0.55 * (lo - v)) for (u, v), (_, lo) in zip(upper, lower, strict=True)]
            pen.polygon([*upper, *lid_edge[::-1]], style.skin)
            pen.line([(u, v - 0.012) for u, v in upper[3:-3]], 0.005, style.skin_shade)
            pen.line(lid_edge, 0.011, _LASH)
        else:
            pen.line([(u, v - 0.016) for u, v in upper[4:-2]], 0.005, style.skin_shade)  # crease
            pen.line(upper, 0.011, _LASH)
            pen.line([upper[-1], (upper[-1][0] + side * 0.014, upper[-1][1] - 0.008)], 0.008, _LASH)
    return crop.reduce(ss)


# --- mouth --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Mouth:
    w: float  # half width of the opening
    up: float  # opening above the lip line
    lo: float  # opening below it
    lift: float  # how far the corners rise (a smile)
    teeth_up: float = 0.0  # upper teeth showing below the upper lip
    teeth_lo: float = 0.0  # lower teeth showing above the lower lip
    tongue: float = 0.0
    lip: float = 0.016  # lip thickness


_MOUTHS = {
    "fv": _Mouth(0.078, 0.016, 0.004, 0.008, teeth_up=0.02, lip=0.02),
    "teeth": _Mouth(0.096, 0.019, 0.019, 0.012, teeth_up=0.017, teeth_lo=0.015),
    "small": _Mouth(0.07, 0.016, 0.03, 0.006, teeth_up=0.01, tongue=0.012),
    "wide": _Mouth(0.112, 0.02, 0.036, 0.016, teeth_up=0.018, tongue=0.013),
    "open": _Mouth(0.086, 0.03, 0.08, 0.006, teeth_up=0.018, tongue=0.03),
    "round": _Mouth(0.044, 0.038, 0.044, 0.0, lip=0.022),
}


def _mouth_outline(m: _Mouth, grow: float = 0.0, grow_lo: float = 0.0) -> list[Point]:
    w, up, lo = m.w + grow, m.up + grow, m.lo + grow_lo
    upper, lower = [], []
    for i in range(41):
        t = math.pi * i / 40
        c, s = math.cos(t), math.sin(t)
        bow = 0.006 * math.exp(-((c * w) / 0.022) ** 2) if m.w > 0.06 else 0.0
        upper.append((-w * c, _MOUTH_Y - up * s ** 0.9 - m.lift * c * c + bow))
        lower.append((w * c, _MOUTH_Y + lo * s ** 1.1 - m.lift * c * c))
    return upper + lower


def draw_mouth(style: PresenterStyle, head: Image.Image, layout: Layout, ss: int, viseme: str) -> Image.Image:
    """The mouth region (``layout.mouth_box``) showing ``viseme``, at output size."""
    box = layout.mouth_box
    crop = head.crop((box[0] * ss, box[1] * ss, box[2] * ss, box[3] * ss))
    pen = Pen(crop, layout, ss, (box[0], box[1]))
    lips, line = style.lips, mix(style.lips, "#000000", 0.45)
    if viseme == "rest":
        smile = [(0.085 * math.cos(math.pi * i / 30), _MOUTH_Y - 0.018 * math.cos(math.pi * i / 30) ** 2)
                 for i in range(31)]
        pen.polygon(bezier((-0.05, _MOUTH_Y + 0.006), (0.0, _MOUTH_Y + 0.045), (0.05, _MOUTH_Y + 0.006), steps=20),
                    mix(lips, style.skin, 0.35))
        pen.line(smile, 0.013, line)
    elif viseme == "closed":
        pen.polygon(_mouth_outline(_Mouth(0.075, 0.012, 0.014, 0.004)), mix(lips, "#000000", 0.1))
        pen.line([(-0.078, _MOUTH_Y - 0.002), (0.0, _MOUTH_Y + 0.002), (0.078, _MOUTH_Y - 0.002)], 0.012, line)
        for side in (-1, 1):
            pen.line([(side * 0.09, _MOUTH_Y - 0.012), (side * 0.094, _MOUTH_Y + 0.006)], 0.007, style.skin_shade)
    else:
        m = _MOUTHS[viseme]
        pen.polygon(_mouth_outline(m, m.lip * 0.8, m.lip * 1.25), lips)
        opening = _mouth_outline(m)
        pen.polygon(opening, _MOUTH_DARK)
        inside = Image.new("RGBA", crop.size, (0, 0, 0, 0))
        in_pen = Pen(inside, layout, ss, (box[0], box[1]))
        top, bottom = _MOUTH_Y - m.up - 0.01, _MOUTH_Y + m.lo
        if m.tongue:
            in_pen.ellipse(0.0, bottom - m.tongue * 0.45, m.w * 0.62, m.tongue, _TONGUE)
        if m.teeth_up:
            in_pen.polygon([(-m.w, top), (m.w, top), (m.w, top + 0.01 + m.teeth_up), (-m.w, top + 0.01 + m.teeth_up)],
                           _TEETH)
        if m.teeth_lo:
            in_pen.polygon([(-m.w, bottom - m.teeth_lo), (m.w, bottom - m.teeth_lo), (m.w, bottom + 0.01),
                            (-m.w, bottom + 0.01)], mix(_TEETH, "#000000", 0.06))
        mask = Image.new("L", crop.size, 0)
        ImageDraw.Draw(mask).polygon([pen.xy(u, v) for u, v in opening], fill=255)
        crop.paste(inside, (0, 0), ImageChops.multiply(mask, inside.getchannel("A")))
        # Lower-lip highlight.
        pen.line(bezier((-m.w * 0.45, bottom + m.lip * 0.75), (0.0, bottom + m.lip * 0.95),
                         (m.w * 0.45, bottom + m.lip * 0.75), steps=12), 0.005, mix(lips, "#ffffff", 0.3))
    return crop.reduce(ss)
