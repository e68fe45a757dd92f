"""The colours a draft may name, with their hex values: one table for the agent, the renderer and the presenter.

A colour is ``#rrggbb`` or one of these names (any case). The table's order is the order in which
the agent looks for a colour name in a message (the first one found wins). ``ALIASES`` are the other
names people use (Chinese names, shades): the agent writes them as a table name or a hex value.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

COLOURS: Mapping[str, str] = {
    "white": "ffffff", "black": "000000", "yellow": "ffff00", "red": "ff0000", "green": "008000",
    "blue": "0000ff", "orange": "ffa500", "purple": "800080", "pink": "ffc0cb", "cyan": "00ffff",
    "gray": "808080", "grey": "808080", "gold": "ffd700", "silver": "c0c0c0", "lime": "00ff00",
    "magenta": "ff00ff", "navy": "000080", "teal": "008080", "brown": "a52a2a",
}
ALIASES: Mapping[str, str] = {
    "light blue": "#80b3ff", "sky blue": "#5cacee", "dark blue": "#00008b", "baby blue": "#9ec5fe",
    "light green": "#90ee90", "dark green": "#006400", "mint": "#3eb489", "dark red": "#8b0000",
    "crimson": "#dc143c", "maroon": "#800000", "violet": "#8a2be2", "lavender": "#b57edc", "beige": "#f5f5dc",
    "cream": "#fffdd0", "turquoise": "#40e0d0", "coral": "#ff7f50", "golden": "gold", "aqua": "cyan",
    "fuchsia": "magenta", "light gray": "#d3d3d3", "light grey": "#d3d3d3", "dark gray": "#404040",
    "dark grey": "#404040", "hot pink": "#ff69b4",
    "白色": "white", "白": "white", "黑色": "black", "黑": "black", "黄色": "yellow", "黄": "yellow",
    "红色": "red", "红": "red", "绿色": "green", "绿": "green", "蓝色": "blue", "蓝": "blue",
    "橙色": "orange", "橘色": "orange", "橙": "orange", "紫色": "purple", "紫": "purple", "粉色": "pink",
    "粉红色": "pink", "粉红": "pink", "粉": "pink", "青色": "cyan", "灰色": "gray", "灰": "gray",
    "金色": "gold", "金": "gold", "银色": "silver", "银": "silver", "棕色": "brown", "咖啡色": "brown",
    "浅蓝色": "#80b3ff", "深蓝色": "navy", "天蓝色": "#5cacee",
}
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_SHORT_HEX = re.compile(r"#[0-9a-fA-F]{3}")


def colour_hex(value: Any) -> str | None:
    """``"Gold"`` → ``"#ffd700"``, ``"#FFD700"`` → ``"#ffd700"``; ``None`` for anything else."""
    if not isinstance(value, str):
        return None
    if HEX_COLOUR.fullmatch(value):
        return value.lower()
    named = COLOURS.get(value.lower())
    return None if named is None else "#" + named


def colour_value(name: str) -> str | None:
    """What the agent writes for a colour a person named: a table name (``"red"``) or ``#rrggbb``
    (``"light blue"`` → ``"#add8e6"``, ``"红色"`` → ``"red"``, ``"#F53"`` → ``"#ff5533"``)."""
    lowered = name.strip().lower()
    if lowered in COLOURS:
        return "gray" if lowered == "grey" else lowered
    if HEX_COLOUR.fullmatch(lowered):
        return lowered
    if _SHORT_HEX.fullmatch(lowered):
        return "#" + "".join(ch * 2 for ch in lowered[1:])
    alias = ALIASES.get(lowered)
    return None if alias is None else colour_value(alias)
