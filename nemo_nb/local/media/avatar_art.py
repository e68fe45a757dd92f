"""Drawing of the avatar presenter with Pillow: background, figure, eye and mouth sprites.

The figure is a flat illustration laid out in *head units*: ``(u, v)`` relative to the centre of the
face, one unit being the head height ``Layout.s`` in output pixels. Everything is drawn at ``ss``×
the output size and box-reduced, which antialiases every edge. The figure without eyes and mouth is
drawn once; the eyes (open, half, closed) and each mouth shape are drawn into small crops of that
drawing, so a frame is the base picture with two patches pasted in.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageOps

RGB = tuple[int, int, int]
Point = tuple[float, float]
Box = tuple[int, int, int, int]

EYE_STATES = ("open", "half", "closed")
VISEMES = ("rest", "closed", "fv", "teeth", "small", "wide", "open", "round")

# Regions in head units (u0, v0, u1, v1); the eye and mouth sprites are crops of exactly these.
_EYES_UV = (-0.215, -0.11, 0.215, 0.015)
_MOUTH_UV = (-0.165, 0.150, 0.165, 0.355)
_TORSO_UV = (-0.60, 0.95, 0.60, 1.25)
_EYE_X, _EYE_Y = 0.125, -0.04
_MOUTH_Y = 0.235

_TEETH = "#f6f3ec"
_MOUTH_DARK = "#4b1b27"
_TONGUE = "#c9606c"
_SCLERA = "#fbfaf6"
_PUPIL = "#191a20"
_LASH = "#2b1e1b"


def rgb(value: str) -> RGB:
    """``#rrggbb`` → an (r, g, b) tuple."""
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def mix(a: str | RGB, b: str | RGB, t: float) -> RGB:
    """The colour ``t`` of the way from ``a`` to ``b``."""
    ca = rgb(a) if isinstance(a, str) else a
    cb = rgb(b) if isinstance(b, str) else b
    return tuple(round(x + (y - x) * t) for x, y in zip(ca, cb))  # type: ignore[return-value]


@dataclass(frozen=True)
class PresenterStyle:
    """Colours and shapes of one presenter (colours are ``#rrggbb``)."""

    name: str
    description: str
    skin: str
    skin_shade: str
    blush: str
    hair: str
    hair_style: str  # "short" | "long" | "curly"
    brows: str
    iris: str
    lips: str
    outfit: str  # "suit" | "sweater" | "blazer"
    top: str  # jacket / sweater
    top_shade: str  # lapels, seams, collar band
    shirt: str  # shirt or tee under the top
    tie: str | None = None


@dataclass(frozen=True)
class Layout:
    """Where the figure sits in a ``width`` × ``height`` frame: face centre ``(cx, cy)``, head height ``s``."""

    width: int
    height: int
    cx: float
    cy: float
    s: float

    @classmethod
    def for_frame(cls, width: int, height: int) -> Layout:
        # 16:9 and square: the head is 40 % of the height; tall frames: as wide as the width allows, which
        # makes the presenter larger and puts it in the lower middle, leaving the top for titles.
        s = min(0.40 * height, 0.50 * width)
        return cls(width, height, width / 2, height - 1.6 * s, s)

    def box(self, uv: tuple[float, float, float, float]) -> Box:
        """A head-unit region as a whole-pixel box inside the frame."""
        u0, v0, u1, v1 = uv
        x0 = max(0, math.floor(self.cx + u0 * self.s))
        y0 = max(0, math.floor(self.cy + v0 * self.s))
        x1 = min(self.width, math.ceil(self.cx + u1 * self.s))
        y1 = min(self.height, math.ceil(self.cy + v1 * self.s))
        return x0, y0, x1, y1

    @property
    def eyes_box(self) -> Box:
        return self.box(_EYES_UV)

    @property
    def mouth_box(self) -> Box:
        return self.box(_MOUTH_UV)

    @property
    def torso_box(self) -> Box:
        return self.box(_TORSO_UV)

    @property
    def bottom_v(self) -> float:
        """The frame's bottom edge in head units (plus a margin)."""
        return (self.height - self.cy) / self.s + 0.05


class Pen:
    """Draws head-unit shapes onto ``image``, whose top-left is output pixel ``origin``, at ``ss``×."""

    def __init__(self, image: Image.Image, layout: Layout, ss: int, origin: tuple[int, int] = (0, 0)) -> None:
        self.image = image
        self.draw = ImageDraw.Draw(image)
        self.layout = layout
        self.ss = ss
        self.ox, self.oy = origin

    def xy(self, u: float, v: float) -> Point:
        lay = self.layout
        return ((lay.cx + u * lay.s - self.ox) * self.ss, (lay.cy + v * lay.s - self.oy) * self.ss)

    def px(self, length: float) -> float:
        return length * self.layout.s * self.ss

    def polygon(self, points: Sequence[Point], fill: str | RGB) -> None:
        self.draw.polygon([self.xy(u, v) for u, v in points], fill=_ink(fill))

    def ellipse(self, u: float, v: float, ru: float, rv: float, fill: str | RGB) -> None:
        x0, y0 = self.xy(u - ru, v - rv)
        x1, y1 = self.xy(u + ru, v + rv)
        self.draw.ellipse([x0, y0, x1, y1], fill=_ink(fill))

    def line(self, points: Sequence[Point], width: float, fill: str | RGB) -> None:
        """A polyline with round joints and round caps, ``width`` in head units."""
        w = max(1, round(self.px(width)))
        pts = [self.xy(u, v) for u, v in points]
        self.draw.line(pts, fill=_ink(fill), width=w, joint="curve")
        r = w / 2
        for x, y in (pts[0], pts[-1]):
            self.draw.ellipse([x - r, y - r, x + r, y + r], fill=_ink(fill))


def _ink(colour: str | RGB) -> RGB:
    return rgb(colour) if isinstance(colour, str) else colour


# --- shapes (lists of head-unit points) --------------------------------------------------------------------

def _egg(cu: float, cv: float, a: float, b: float, chin: float, n: int = 120) -> list[Point]:
    """An ellipse whose lower half narrows towards the chin."""
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        s = math.sin(t)
        x = a * math.cos(t) * (1 - chin * max(0.0, s) ** 1.5)
        pts.append((cu + x, cv + b * s))
    return pts


def _arc(cu: float, cv: float, a: float, b: float, t0: float, t1: float, steps: int = 60) -> list[Point]:
    """Points on an ellipse from angle ``t0`` to ``t1`` (degrees; 90 is the top, y grows downwards)."""
    pts = []
    for i in range(steps + 1):
        t = math.radians(t0 + (t1 - t0) * i / steps)
        pts.append((cu + a * math.cos(t), cv - b * math.sin(t)))
    return pts


def _bezier(*ctrl: Point, steps: int = 40) -> list[Point]:
    """A quadratic or cubic Bézier curve through its control points."""
    pts = []
    for i in range(steps + 1):
        t = i / steps
        if len(ctrl) == 3:
            (x0, y0), (x1, y1), (x2, y2) = ctrl
            k0, k1, k2 = (1 - t) ** 2, 2 * (1 - t) * t, t * t
            pts.append((k0 * x0 + k1 * x1 + k2 * x2, k0 * y0 + k1 * y1 + k2 * y2))
        else:
            (x0, y0), (x1, y1), (x2, y2), (x3, y3) = ctrl
            k0, k1, k2, k3 = (1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t * t, t ** 3
            pts.append((k0 * x0 + k1 * x1 + k2 * x2 + k3 * x3, k0 * y0 + k1 * y1 + k2 * y2 + k3 * y3))
    return pts


def _mirror(points: Sequence[Point]) -> list[Point]:
    return [(-u, v) for u, v in points]


# --- background --------------------------------------------------------------------------------------------

def background(kind: str, value: object, layout: Layout) -> Image.Image:
    """The frame's background: ``("colour", "#rrggbb")``, ``("gradient", ("#a", "#b"))`` or ``("image", Image)``.

    Colours and gradients get a soft light behind the presenter.
    """
    w, h = layout.width, layout.height
    if kind == "image":
        assert isinstance(value, Image.Image)
        return ImageOps.fit(value, (w, h), Image.Resampling.LANCZOS)
    if kind == "gradient":
        assert isinstance(value, tuple)
        top, bottom = value
        ramp = Image.linear_gradient("L").resize((1, h), Image.Resampling.BILINEAR).resize((w, h))
        img = Image.composite(Image.new("RGB", (w, h), rgb(bottom)), Image.new("RGB", (w, h), rgb(top)), ramp)
    else:
        assert isinstance(value, str)
        img = Image.new("RGB", (w, h), rgb(value))
    radius = round(1.5 * layout.s)
    # radial_gradient holds the distance from the centre (128 at the edge midpoints): fade to 0 there.
    falloff = [round(34 * (1 - min(1.0, d / 128)) ** 1.6) for d in range(256)]
    glow = Image.radial_gradient("L").point(falloff).resize((2 * radius, 2 * radius), Image.Resampling.BICUBIC)
    light = Image.new("RGB", glow.size, (255, 255, 255))
    img.paste(light, (round(layout.cx) - radius, round(layout.cy + 0.1 * layout.s) - radius), glow)
    return img


def composite_figure(bg: Image.Image, figure: Image.Image, layout: Layout) -> Image.Image:
    """``figure`` (RGBA, output size) over ``bg`` with a soft drop shadow."""
    alpha = figure.getchannel("A")
    blur = max(1.0, 0.035 * layout.s)
    shadow = alpha.filter(ImageFilter.GaussianBlur(blur)).point(lambda p: round(p * 0.32))
    dx, dy = round(0.035 * layout.s), round(0.02 * layout.s)
    shifted = Image.new("L", alpha.size, 0)
    shifted.paste(shadow, (dx, dy))
    out = bg.convert("RGB")
    out.paste((8, 10, 18), (0, 0), shifted)
    out.paste(figure, (0, 0), figure)
    return out


# --- the figure --------------------------------------------------------------------------------------------

def draw_figure(style: PresenterStyle, layout: Layout, ss: int) -> Image.Image:
    """The presenter without eyes and mouth: an RGBA image of ``ss``× the frame size."""
    img = Image.new("RGBA", (layout.width * ss, layout.height * ss), (0, 0, 0, 0))
    pen = Pen(img, layout, ss)
    _hair_back(pen, style)
    _torso(pen, style, layout.bottom_v)
    # Neck, with the shadow under the chin, then what the clothes put in front of it.
    pen.polygon([(-0.125, 0.15), (0.125, 0.15), (0.13, 0.66), (-0.13, 0.66)], style.skin)
    chin = [(u, v + 0.075) for u, v in _egg(0.0, 0.0, 0.33, 0.42, 0.2) if v > 0 and abs(u) < 0.13]
    pen.polygon([(-0.13, 0.15), (0.13, 0.15), *sorted(chin, reverse=True)], style.skin_shade)
    _collar(pen, style)
    if style.hair_style != "long":
        for side in (-1, 1):
            pen.ellipse(side * 0.315, 0.025, 0.055, 0.085, style.skin)
            pen.ellipse(side * 0.322, 0.03, 0.026, 0.05, style.skin_shade)
    # Face: a shaded egg, then the lit egg slightly up and left of it (light from the upper left).
    pen.polygon(_egg(0.0, 0.0, 0.33, 0.42, 0.2), style.skin_shade)
    pen.polygon(_egg(-0.014, -0.008, 0.315, 0.41, 0.22), style.skin)
    _blush(img, pen, style)
    # Nose: a soft shaded hook.
    pen.line([(0.012, -0.005), (0.03, 0.075), (0.018, 0.1), (-0.005, 0.103)], 0.013, style.skin_shade)
    _hair_front(pen, style)
    # Eyebrows.
    for side in (-1, 1):
        brow = _bezier((side * 0.06, -0.14), (side * 0.12, -0.182), (side * 0.19, -0.142), steps=24)
        pen.line(brow, 0.026, style.brows)
    return img


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
        right = _arc(0.0, -0.06, 0.40, 0.47, 90, -5) + _bezier((0.398, 0.0), (0.40, 0.35), (0.46, 0.6), (0.50, 0.92))
        pen.polygon([*_mirror(right)[::-1], *right], mix(hair, "#000000", 0.12))
    elif style.hair_style == "curly":
        shade = mix(hair, "#000000", 0.05)
        pen.ellipse(0.0, -0.13, 0.40, 0.40, shade)
        for deg in range(-25, 206, 23):
            t = math.radians(deg)
            pen.ellipse(0.37 * math.cos(t), -0.11 - 0.37 * math.sin(t), 0.12, 0.12, shade)
    else:
        pen.polygon(_egg(0.0, -0.10, 0.355, 0.40, 0.0), hair)


def _hair_front(pen: Pen, style: PresenterStyle) -> None:
    """Hair over the forehead: an outer arc around the top of the head closed by the hairline."""
    hair, kind = style.hair, style.hair_style
    highlight = mix(hair, "#ffffff", 0.14)
    if kind == "short":
        # Volume above the skull, a side parting on the left and a fringe swept to the right.
        outer = _arc(0.0, -0.10, 0.36, 0.435, -12, 192)
        hairline = _bezier((-0.335, -0.03), (-0.33, -0.20), (-0.26, -0.29), (-0.13, -0.305))
        hairline += _bezier((-0.13, -0.305), (0.02, -0.24), (0.24, -0.25), (0.339, -0.05))
        pen.polygon([*outer, *hairline], hair)
        pen.line(_bezier((-0.13, -0.30), (-0.15, -0.40), (-0.11, -0.47), (-0.04, -0.52), steps=20), 0.007,
                 mix(hair, "#000000", 0.22))
        pen.line(_bezier((0.0, -0.46), (0.14, -0.45), (0.26, -0.38), (0.31, -0.25), steps=24), 0.02, highlight)
        pen.line(_bezier((-0.05, -0.27), (0.08, -0.29), (0.2, -0.27), (0.29, -0.17), steps=24), 0.01, highlight)
        for side in (-1, 1):  # sideburns
            pen.polygon([(side * 0.345, -0.07), (side * 0.29, -0.07), (side * 0.305, 0.035), (side * 0.325, 0.04)],
                        hair)
    elif kind == "long":
        outer = _arc(0.0, -0.06, 0.37, 0.44, -2, 182)
        hairline = _bezier((-0.33, -0.02), (-0.30, -0.30), (-0.02, -0.33), (0.02, -0.27))
        hairline += _bezier((0.02, -0.27), (0.12, -0.30), (0.31, -0.22), (0.33, -0.02))
        pen.polygon([*outer, *hairline], style.hair)
        for side in (-1, 1):  # thin locks along the temples
            lock = _bezier((side * 0.37, -0.08), (side * 0.36, 0.06), (side * 0.34, 0.16), (side * 0.31, 0.24))
            lock += _bezier((side * 0.31, 0.24), (side * 0.32, 0.1), (side * 0.315, 0.0), (side * 0.29, -0.12))
            pen.polygon(lock, hair)
        pen.line(_bezier((-0.22, -0.40), (-0.05, -0.47), (0.15, -0.45), steps=20), 0.02, highlight)
        pen.line(_bezier((0.02, -0.28), (0.0, -0.36), (-0.04, -0.42), steps=12), 0.006, mix(hair, "#000000", 0.15))
    else:  # curly: a scalloped hairline under the cloud of curls
        outer = _arc(0.0, -0.11, 0.37, 0.40, -5, 185)
        hairline = _bezier((-0.34, -0.08), (-0.28, -0.31), (0.28, -0.31), (0.34, -0.08))
        pen.polygon([*outer, *hairline], hair)
        for i in range(1, 8):
            u, v = _bezier((-0.34, -0.08), (-0.28, -0.31), (0.28, -0.31), (0.34, -0.08), steps=8)[i]
            pen.ellipse(u, v + 0.012, 0.045, 0.035, hair)
        pen.line(_arc(0.0, -0.13, 0.30, 0.33, 125, 60, steps=20), 0.016, mix(hair, "#ffffff", 0.1))


def _torso(pen: Pen, style: PresenterStyle, bottom: float) -> None:
    """Shoulders and chest in the style's clothes (what lies behind the neck)."""
    top, shade, shirt = style.top, style.top_shade, style.shirt
    right = _bezier((0.0, 0.64), (0.55, 0.64), (1.0, 0.70), (1.02, 1.1)) + [(1.03, bottom)]
    pen.polygon([*_mirror(right)[::-1], *right], top)
    seam = mix(top, shade, 0.7)
    for side in (-1, 1):  # where the arms meet the chest
        pen.line(_bezier((side * 0.76, 0.84), (side * 0.71, 1.2), (side * 0.73, 1.6), (side * 0.77, bottom + 0.2)),
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


def _neckline(pen: Pen, style: PresenterStyle, band: str, depth: float) -> None:
    """A round neckline in front of the neck's base: a band, and skin below the neck inside it."""
    pen.polygon(_arc(0.0, 0.60, 0.20, depth + 0.045, 180, 360), band)
    pen.polygon(_arc(0.0, 0.60, 0.13, depth, 180, 360), style.skin)


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
        pen.line(_arc(0.0, 0.60, 0.125, 0.11, 195, 345, steps=30), 0.006, gold)
        pen.ellipse(0.0, 0.725, 0.014, 0.018, gold)
    else:
        _neckline(pen, style, mix(style.shirt, "#000000", 0.08), 0.055)


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


def draw_eyes(style: PresenterStyle, figure: Image.Image, layout: Layout, ss: int, state: str) -> Image.Image:
    """The eye region (``layout.eyes_box``) with eyes open, half-closed or closed, at output size."""
    box = layout.eyes_box
    crop = figure.crop(tuple(c * ss for c in box))
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
            lid_edge = [(u, v + 0.55 * (lo - v)) for (u, v), (_, lo) in zip(upper, lower)]
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


def draw_mouth(style: PresenterStyle, figure: Image.Image, layout: Layout, ss: int, viseme: str) -> Image.Image:
    """The mouth region (``layout.mouth_box``) showing ``viseme``, at output size."""
    box = layout.mouth_box
    crop = figure.crop(tuple(c * ss for c in box))
    pen = Pen(crop, layout, ss, (box[0], box[1]))
    lips, line = style.lips, mix(style.lips, "#000000", 0.45)
    if viseme == "rest":
        smile = [(0.085 * math.cos(math.pi * i / 30), _MOUTH_Y - 0.018 * math.cos(math.pi * i / 30) ** 2)
                 for i in range(31)]
        pen.polygon(_bezier((-0.05, _MOUTH_Y + 0.006), (0.0, _MOUTH_Y + 0.045), (0.05, _MOUTH_Y + 0.006), steps=20),
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
        pen.line(_bezier((-m.w * 0.45, bottom + m.lip * 0.75), (0.0, bottom + m.lip * 0.95),
                         (m.w * 0.45, bottom + m.lip * 0.75), steps=12), 0.005, mix(lips, "#ffffff", 0.3))
    return crop.reduce(ss)


# --- one frame ----------------------------------------------------------------------------------------------

class Artist:
    """Draws a presenter's base frame once, then eye and mouth patches on demand (cached)."""

    def __init__(self, style: PresenterStyle, layout: Layout, bg: Image.Image) -> None:
        self.style = style
        self.layout = layout
        # 3× for small frames (thin lines stay smooth), 2× for HD.
        self.ss = 3 if layout.width * layout.height <= 1280 * 720 else 2
        self.figure = draw_figure(style, layout, self.ss)
        self.base = composite_figure(bg, self.figure.reduce(self.ss), layout)
        self._eyes: dict[str, Image.Image] = {}
        self._mouths: dict[str, Image.Image] = {}

    def _patch(self, box: Box, sprite: Image.Image) -> Image.Image:
        under = self.base.crop(box).convert("RGBA")
        return Image.alpha_composite(under, sprite).convert("RGB")

    def frame(self, viseme: str, eyes: str) -> Image.Image:
        """The picture with mouth ``viseme`` and eyes ``eyes`` (one of ``EYE_STATES``)."""
        if eyes not in self._eyes:
            self._eyes[eyes] = self._patch(self.layout.eyes_box,
                                           draw_eyes(self.style, self.figure, self.layout, self.ss, eyes))
        if viseme not in self._mouths:
            self._mouths[viseme] = self._patch(self.layout.mouth_box,
                                               draw_mouth(self.style, self.figure, self.layout, self.ss, viseme))
        img = self.base.copy()
        img.paste(self._eyes[eyes], self.layout.eyes_box[:2])
        img.paste(self._mouths[viseme], self.layout.mouth_box[:2])
        return img
