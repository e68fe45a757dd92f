"""The colours a draft may name, with their hex values: one table for the agent, the renderer and the presenter.

A colour is ``#rrggbb`` or one of these names (any case). The table's order is the order in which
the agent looks for a colour name in a message (the first one found wins).
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
HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")


def colour_hex(value: Any) -> str | None:
    """``"Gold"`` → ``"#ffd700"``, ``"#FFD700"`` → ``"#ffd700"``; ``None`` for anything else."""
    if not isinstance(value, str):
        return None
    if HEX_COLOUR.fullmatch(value):
        return value.lower()
    named = COLOURS.get(value.lower())
    return None if named is None else "#" + named
