"""Small shared pieces of the notebook views: escaping, sizes, a redraw throttle, display bundles.

Every view is a mime bundle with ``text/html`` *and* ``text/plain`` (and often ``text/markdown``), so
a saved notebook shows it in JupyterLab, nbviewer and on GitHub without a running kernel.
"""
from __future__ import annotations

import html
import math
import re
import time
from collections.abc import Callable
from typing import Any

_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>#|])")


def esc(text: Any) -> str:
    """User text made safe inside HTML and SVG (quotes too, so it can go in attributes)."""
    return html.escape(_XML_BAD.sub("", str(text)), quote=True)


def text_html(text: Any) -> str:
    """Plain text as HTML that keeps its line breaks even where styles are stripped (``<br>``, not
    ``white-space:pre-wrap`` alone: untrusted notebooks and GitHub drop styles)."""
    return esc(text).replace("\r\n", "\n").replace("\n", "<br>")


def md_esc(text: Any) -> str:
    """Plain text made literal inside Markdown (no links, no raw HTML, no emphasis)."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def size_text(n: float | None) -> str:
    if n is None:
        return "?"
    if n < 1e3:
        return f"{int(n)} B"
    if n < 1e6:
        return f"{n / 1e3:.0f} kB"
    return f"{n / 1e6:.1f} MB"


def seconds_text(s: float | None) -> str:
    if s is None or not math.isfinite(s):
        return "?"
    if s < 60:
        return f"{s:.1f} s"
    minutes, rest = divmod(s, 60)
    return f"{int(minutes)} min {rest:04.1f} s"


class Throttle:
    """Allows an action at most ``rate`` times a second (on ``clock``); ``ready()`` says when."""

    def __init__(self, rate: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self.clock = clock
        self.last = -math.inf

    def ready(self) -> bool:
        now = self.clock()
        if now - self.last >= self.interval:
            self.last = now
            return True
        return False

    def mark(self) -> None:
        self.last = self.clock()


class Bundle:
    """A displayable mime bundle (``display(Bundle(...))`` or ``display(b.data, raw=True)``)."""

    def __init__(self, data: dict[str, Any], metadata: dict[str, Any] | None = None):
        self.data = data
        self.metadata = metadata or {}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, Any], dict[str, Any]]:
        return self.data, self.metadata

    def __repr__(self) -> str:
        return str(self.data.get("text/plain", "Bundle"))


def bar_html(fraction: float, label: str, *, failed: bool = False, css: str = "nemo-progress") -> str:
    """A progress bar in plain HTML (no widget, so it survives in a saved notebook)."""
    pct = max(0.0, min(1.0, fraction)) * 100
    colour = "#c0392b" if failed else "#3b7dd8"
    return (f'<div class="{css}" style="font:13px sans-serif;margin:4px 0">'
            f'<div style="display:inline-block;vertical-align:middle;width:260px;height:10px;'
            f'background:#e6e6e6;border-radius:5px;overflow:hidden">'
            f'<div style="width:{pct:.1f}%;height:100%;background:{colour}"></div></div> '
            f'<span style="vertical-align:middle">{esc(label)}</span></div>')


def bar_text(fraction: float, label: str, width: int = 24) -> str:
    filled = round(max(0.0, min(1.0, fraction)) * width)
    return f"[{'#' * filled}{'.' * (width - filled)}] {label}"


CARD = "font:13px/1.45 sans-serif;border-left:3px solid #3b7dd8;padding:6px 10px;margin:4px 0"
MUTED = "color:#777;font-size:12px"
