"""What an output must be to look right in an untrusted notebook, on GitHub and on nbviewer.

Untrusted frontends sanitize HTML: ``<script>``, ``<style>`` and ``<svg>`` go (an inline SVG's text is left
as run-on words), so does ``image/svg+xml``. A picture must be an ``<img>`` of a PNG, and come again as
``image/png`` in the same output; its ``<img>`` has its size as attributes, and the output's metadata
gives the ``image/png`` the same size.
"""
from __future__ import annotations

import base64
import io
import re
from html.parser import HTMLParser
from typing import Any

from PIL import Image

FORBIDDEN_TAGS = {"script", "style", "svg", "iframe", "object", "embed", "link", "meta"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.open: list[str] = []
        self.unbalanced: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if self.open and self.open[-1] == tag:
            self.open.pop()
        else:
            self.unbalanced.append(tag)


def decode_png(b64: str) -> Image.Image:
    raw = base64.b64decode(b64, validate=True)
    assert raw.startswith(b"\x89PNG\r\n\x1a\n"), "not a PNG"
    image = Image.open(io.BytesIO(raw))
    image.load()
    return image


def sane_size(width: int, height: int) -> None:
    assert 16 <= width <= 4000 and 8 <= height <= 8000, (width, height)


def check_output(data: dict[str, Any], metadata: dict[str, Any] | None = None) -> list[Image.Image]:
    """Assert ``data`` (a display's mime bundle) renders right untrusted; the PNGs it holds."""
    metadata = metadata or {}
    assert "image/svg+xml" not in data, "SVG is dropped by untrusted frontends"
    assert isinstance(data.get("text/plain"), str) and data["text/plain"].strip(), "no plain-text fallback"
    pictures: list[Image.Image] = []
    html = data.get("text/html", "")
    if html:
        parser = _Tags()
        parser.feed(html)
        parser.close()
        names = {tag for tag, _ in parser.tags}
        assert not names & FORBIDDEN_TAGS, names & FORBIDDEN_TAGS
        assert not parser.open and not parser.unbalanced, (parser.open, parser.unbalanced)
        for tag, attrs in parser.tags:
            assert not [a for a in attrs if a.startswith("on")], (tag, attrs)
            assert not any("javascript:" in (v or "").lower() for v in attrs.values()), (tag, attrs)
            if tag == "img":
                src = attrs.get("src") or ""
                assert src.startswith("data:image/png;base64,"), src[:60]
                image = decode_png(src.split(",", 1)[1])
                sane_size(*image.size)
                if attrs.get("width"):  # the CSS size: the PNG is that, or a whole multiple of it
                    width, height = int(attrs["width"]), int(attrs["height"] or 0)
                    sane_size(width, height)
                    assert image.width % width == 0 and image.height == height * (image.width // width), \
                        (image.size, width, height)
                assert attrs.get("alt"), "every picture says what it shows"
                pictures.append(image)
        if any("nemo-timeline-png" in (attrs.get("class") or "") for tag, attrs in parser.tags):
            assert "image/png" in data, "the timeline picture must also come as image/png"
    if "image/png" in data:
        image = decode_png(data["image/png"])
        sane_size(*image.size)
        size = metadata.get("image/png")
        if size:
            assert image.width % size["width"] == 0 and image.height == size["height"] * (image.width // size["width"])
        pictures.append(image)
    for key in data:
        assert key in ("text/plain", "text/html", "text/markdown", "image/png", WIDGET_VIEW), key
    text = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"0s\d+(\.\d+)?s\d+(\.\d+)?s", re.sub(r"\s", "", text)), "run-on axis labels in HTML"
    return pictures


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def assert_ticks(image: Image.Image, draft: Any, seconds: tuple[float, ...]) -> None:
    """The timeline picture of ``draft`` has a tick line and a label at each of ``seconds``, and each
    track's first segment is a bar of its kind's colour, where the drawing's geometry puts them."""
    from nemo_nb.notebook import picture as p

    s = image.width // 720
    total_ms = max(draft.duration_ms, max((seg.end_ms for _, seg in draft.segments()), default=0), 1000)
    per_ms = (720 - p.LABEL_W - p.RIGHT_PAD) / total_ms
    axis_y = p.TOP_PAD + max(1, len(draft.tracks)) * (p.LANE_H + p.LANE_GAP)
    rgb = image.convert("RGB")
    for t in seconds:
        x = round((p.LABEL_W + t * 1000 * per_ms) * s)
        line = [rgb.getpixel((xx, (axis_y - 3) * s)) for xx in range(max(0, x - 2), min(rgb.width, x + 3))]
        assert _hex("#e3e3e3") in line, (t, line)
        label = [rgb.getpixel((xx, yy)) for xx in range(max(0, x - 8 * s), min(rgb.width, x + 8 * s))
                 for yy in range((axis_y + 4) * s, (axis_y + 15) * s)]
        assert any(sum(px) < 600 for px in label), f"no tick label at {t}s"
    for lane, track in enumerate(draft.tracks):
        if not track.segments:
            continue
        seg = track.segments[0]
        kind_colour = p.COLOURS.get(seg.kind, p.TYPE_COLOURS.get(track.type, "#888"))
        x = round((p.LABEL_W + (seg.start_ms + seg.duration_ms / 2) * per_ms) * s)
        y = round((p.TOP_PAD + lane * (p.LANE_H + p.LANE_GAP) + 3.5) * s)
        assert rgb.getpixel((x, y)) == _hex(kind_colour), (lane, rgb.getpixel((x, y)), kind_colour)
