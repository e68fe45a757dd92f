"""The presenter's drawing kit: colours, the style, where the figure sits in the frame (``Layout``), a pen
that draws head-unit shapes at ``ss``× the output size, and the curves the figure is made of.

The figure is laid out in *head units*: ``(u, v)`` relative to the centre of the face, one unit being the
head height ``Layout.s`` in output pixels.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from PIL import Image, ImageDraw

from nemo_nb.local.media.avatar_motion import Pose

RGB = tuple[int, int, int]
Point = tuple[float, float]
Box = tuple[int, int, int, int]

# Regions in head units (u0, v0, u1, v1); the eye and mouth sprites are crops of exactly these.
_EYES_UV = (-0.215, -0.11, 0.215, 0.015)
_MOUTH_UV = (-0.165, 0.150, 0.165, 0.355)
_TORSO_UV = (-0.60, 0.95, 0.60, 1.25)
HAIR_TOP = 0.6  # the highest hair reaches this far above the face centre (head units)
TALL = 1.15  # frames taller than this × their width get the close-up layout
# One step of motion, in head units: the head's sway and nod, the shoulders' breath.
SWAY_STEP, NOD_STEP, BREATH_STEP = 0.012, 0.016, 0.007


def rgb(value: str) -> RGB:
    """``#rrggbb`` → an (r, g, b) tuple."""
    return int(value[1:3], 16), int(value[3:5], 16), int(value[5:7], 16)


def mix(a: str | RGB, b: str | RGB, t: float) -> RGB:
    """The colour ``t`` of the way from ``a`` to ``b``."""
    ca = rgb(a) if isinstance(a, str) else a
    cb = rgb(b) if isinstance(b, str) else b
    return tuple(round(x + (y - x) * t) for x, y in zip(ca, cb, strict=True))  # type: ignore[return-value]


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
        """16:9 and square: the head is 40% of the height, the shoulders reach the bottom. Tall frames (9:16,
        4:5): a close-up, the head 58% of the width, its hair 4% below the top and its chin (even in a nod)
        above 39% of the height, so centred captions — four lines of 4.5%-high text reach up to 38% — sit under
        the chin and clear of the bottom fifth (the platforms' buttons)."""
        if height > TALL * width:
            s = min(0.58 * width, 0.33 * height)
            return cls(width, height, width / 2, 0.04 * height + HAIR_TOP * s, s)
        s = min(0.40 * height, 0.50 * width)
        return cls(width, height, width / 2, height - 1.6 * s, s)

    @property
    def steps(self) -> tuple[int, int, int]:
        """Pixels of one sway, nod and breath step (at least 1)."""
        return tuple(max(1, round(share * self.s)) for share in (SWAY_STEP, NOD_STEP, BREATH_STEP))  # type: ignore[return-value]

    def offsets(self, pose: Pose) -> tuple[tuple[int, int], tuple[int, int]]:
        """``((head_dx, head_dy), (body_dx, body_dy))`` in pixels for ``pose``: the head sways and nods on a
        body that rises with each breath."""
        sway, nod, breath = self.steps
        lift = -pose.breath * breath
        return (pose.sway * sway, pose.nod * nod + lift), (0, lift)

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
        self.draw.polygon([self.xy(u, v) for u, v in points], fill=ink(fill))

    def ellipse(self, u: float, v: float, ru: float, rv: float, fill: str | RGB) -> None:
        x0, y0 = self.xy(u - ru, v - rv)
        x1, y1 = self.xy(u + ru, v + rv)
        self.draw.ellipse([x0, y0, x1, y1], fill=ink(fill))

    def line(self, points: Sequence[Point], width: float, fill: str | RGB) -> None:
        """A polyline with round joints and round caps, ``width`` in head units."""
        w = max(1, round(self.px(width)))
        pts = [self.xy(u, v) for u, v in points]
        self.draw.line(pts, fill=ink(fill), width=w, joint="curve")
        r = w / 2
        for x, y in (pts[0], pts[-1]):
            self.draw.ellipse([x - r, y - r, x + r, y + r], fill=ink(fill))


def ink(colour: str | RGB) -> RGB:
    return rgb(colour) if isinstance(colour, str) else colour


# --- shapes (lists of head-unit points) --------------------------------------------------------------------

def egg(cu: float, cv: float, a: float, b: float, chin: float, n: int = 120) -> list[Point]:
    """An ellipse whose lower half narrows towards the chin."""
    pts = []
    for i in range(n):
        t = 2 * math.pi * i / n
        s = math.sin(t)
        x = a * math.cos(t) * (1 - chin * max(0.0, s) ** 1.5)
        pts.append((cu + x, cv + b * s))
    return pts


def arc(cu: float, cv: float, a: float, b: float, t0: float, t1: float, steps: int = 60) -> list[Point]:
    """Points on an ellipse from angle ``t0`` to ``t1`` (degrees; 90 is the top, y grows downwards)."""
    pts = []
    for i in range(steps + 1):
        t = math.radians(t0 + (t1 - t0) * i / steps)
        pts.append((cu + a * math.cos(t), cv - b * math.sin(t)))
    return pts


def bezier(*ctrl: Point, steps: int = 40) -> list[Point]:
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


def mirror(points: Sequence[Point]) -> list[Point]:
    return [(-u, v) for u, v in points]
