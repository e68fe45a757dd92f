"""Drawing of the avatar presenter with Pillow: the background, and each distinct picture of the figure.

The figure (``avatar_figure``) is drawn once, in three layers — the hair behind, the body, the head — each
with its drop shadow; a ``Pose`` (``avatar_motion``) places the head and the body a few pixels apart
(``Layout.offsets``), and each pose's base picture is put together once. The eyes (open, half, closed) and
each mouth shape (``avatar_face``) are sprites drawn once over a crop of the head, pasted where the head is:
a frame is a pose's base picture with two small patches in it.
"""
from __future__ import annotations

from PIL import Image, ImageChops, ImageFilter, ImageOps

from nemo_nb.local.media.avatar_face import EYE_STATES, VISEMES, draw_eyes, draw_mouth
from nemo_nb.local.media.avatar_figure import draw_layers
from nemo_nb.local.media.avatar_motion import REST, Pose
from nemo_nb.local.media.avatar_pen import Box, Layout, PresenterStyle, rgb

__all__ = ["EYE_STATES", "VISEMES", "Artist", "Layout", "PresenterStyle", "background"]

SHADOW = (8, 10, 18)
SHADOW_OPACITY = 0.32


# --- background --------------------------------------------------------------------------------------------

def background(kind: str, value: object, layout: Layout) -> Image.Image:
    """The frame's background: ``("colour", "#rrggbb")``, ``("gradient", ("#a", "#b"))`` or ``("image", Image)``.

    Colours and gradients get a soft light behind the presenter.
    """
    w, h = layout.width, layout.height
    if kind == "image" and isinstance(value, Image.Image):
        return ImageOps.fit(value, (w, h), Image.Resampling.LANCZOS)
    if kind == "gradient" and isinstance(value, tuple):
        top, bottom = value
        ramp = Image.linear_gradient("L").resize((1, h), Image.Resampling.BILINEAR).resize((w, h))
        img = Image.composite(Image.new("RGB", (w, h), rgb(bottom)), Image.new("RGB", (w, h), rgb(top)), ramp)
    elif kind == "colour" and isinstance(value, str):
        img = Image.new("RGB", (w, h), rgb(value))
    else:
        raise ValueError(f"unknown background {kind!r}")
    radius = round(1.5 * layout.s)
    # radial_gradient holds the distance from the centre (128 at the edge midpoints): fade to 0 there.
    falloff = [round(34 * (1 - min(1.0, d / 128)) ** 1.6) for d in range(256)]
    glow = Image.radial_gradient("L").point(falloff).resize((2 * radius, 2 * radius), Image.Resampling.BICUBIC)
    light = Image.new("RGB", glow.size, (255, 255, 255))
    img.paste(light, (round(layout.cx) - radius, round(layout.cy + 0.1 * layout.s) - radius), glow)
    return img



# --- the pictures -------------------------------------------------------------------------------------------

def shifted(box: Box, dx: int, dy: int) -> Box:
    x0, y0, x1, y1 = box
    return x0 + dx, y0 + dy, x1 + dx, y1 + dy


class Artist:
    """Draws the figure's layers and sprites once, then each pose's base picture and each (pose, eyes, mouth)
    picture on demand. Base pictures are cached for the latest pose only: ask for pictures pose by pose."""

    def __init__(self, style: PresenterStyle, layout: Layout, bg: Image.Image) -> None:
        self.style = style
        self.layout = layout
        # 3× for small frames (thin lines stay smooth), 2× for HD.
        self.ss = 3 if layout.width * layout.height <= 1280 * 720 else 2
        self.bg = bg.convert("RGB")
        layers = draw_layers(style, layout, self.ss)
        self.head_hi = layers.head_hi
        blur = ImageFilter.GaussianBlur(max(1.0, 0.035 * layout.s))
        sx, sy = round(0.035 * layout.s), round(0.02 * layout.s)
        body = ImageChops.lighter(layers.back.getchannel("A"), layers.body.getchannel("A"))
        shadows = [alpha.filter(blur).point(lambda p: round(p * SHADOW_OPACITY))
                   for alpha in (body, layers.head.getchannel("A"))]
        # Each piece cropped to what it covers, with where it goes in the rest pose; "head" pieces follow the head.
        self._shadows = [(_cropped(shadows[0], sx, sy), False), (_cropped(shadows[1], sx, sy), True)]
        self._layers = [(_cropped(layers.back), True), (_cropped(layers.body), False), (_cropped(layers.head), True)]
        self._eyes = {state: draw_eyes(style, self.head_hi, layout, self.ss, state) for state in EYE_STATES}
        self._mouths: dict[str, Image.Image] = {}
        self._base: tuple[Pose, Image.Image] | None = None

    def base(self, pose: Pose = REST) -> Image.Image:
        """The background and the figure (no eyes, no mouth) in ``pose``, with its shadow."""
        if self._base is not None and self._base[0] == pose:
            return self._base[1]
        head, body = self.layout.offsets(pose)
        shadow = Image.new("L", self.bg.size, 0)
        for (piece, (x, y)), on_head in self._shadows:
            dx, dy = head if on_head else body
            at = (x + dx, y + dy, x + dx + piece.width, y + dy + piece.height)
            shadow.paste(ImageChops.lighter(shadow.crop(at), piece), at)
        img = self.bg.copy()
        img.paste(SHADOW, (0, 0), shadow)
        for (piece, (x, y)), on_head in self._layers:
            dx, dy = head if on_head else body
            img.paste(piece, (x + dx, y + dy), piece)
        self._base = (pose, img)
        return img

    def frame(self, viseme: str, eyes: str, pose: Pose = REST) -> Image.Image:
        """The picture with mouth ``viseme`` and eyes ``eyes`` (one of ``EYE_STATES``), the figure in ``pose``."""
        if viseme not in self._mouths:
            self._mouths[viseme] = draw_mouth(self.style, self.head_hi, self.layout, self.ss, viseme)
        img = self.base(pose).copy()
        for at, sprite in zip(self.face_boxes(pose), (self._eyes[eyes], self._mouths[viseme]), strict=True):
            img.paste(Image.alpha_composite(img.crop(at).convert("RGBA"), sprite).convert("RGB"), at[:2])
        return img

    def face_boxes(self, pose: Pose = REST) -> tuple[Box, Box]:
        """Where the eyes and the mouth go in ``pose``: outside them, every picture in a pose is its base."""
        (hx, hy), _ = self.layout.offsets(pose)
        return shifted(self.layout.eyes_box, hx, hy), shifted(self.layout.mouth_box, hx, hy)


def _cropped(image: Image.Image, dx: int = 0, dy: int = 0) -> tuple[Image.Image, tuple[int, int]]:
    """``image`` cut to its non-empty part, and where that part goes (moved by ``dx``, ``dy``)."""
    box = image.getbbox() or (0, 0, 1, 1)
    return image.crop(box), (box[0] + dx, box[1] + dy)
