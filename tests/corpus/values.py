"""Normal forms for the values users name: colours, positions, languages, aspect ratios."""
from __future__ import annotations

import colorsys
import re
from typing import Any

LANGUAGE_NAMES = {
    "en": ("english", "inglés", "anglais", "englisch", "英语", "英文"),
    "es": ("spanish", "español", "espanol", "castellano", "西班牙语"),
    "fr": ("french", "français", "francais", "法语"),
    "de": ("german", "deutsch", "德语"),
    "it": ("italian", "italiano", "意大利语"),
    "pt": ("portuguese", "português", "portugues", "葡萄牙语"),
    "nl": ("dutch", "nederlands", "荷兰语"),
    "ru": ("russian", "русский", "俄语"),
    "zh": ("chinese", "mandarin", "中文", "汉语", "普通话", "cmn"),
    "ja": ("japanese", "日本語", "日语"),
    "ko": ("korean", "한국어", "韩语"),
    "hi": ("hindi", "हिन्दी"),
    "ar": ("arabic", "العربية"),
}
_LANGUAGE_CODES = {name: code for code, names in LANGUAGE_NAMES.items() for name in (code, *names)}

_POSITION_WORDS = {"centre": "center", "middle": "center", "upper": "top", "lower": "bottom", "mid": "center"}
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")
_CHINESE_COLOURS = {"红": "red", "黄": "yellow", "蓝": "blue", "绿": "green", "白": "white", "黑": "black",
                    "橙": "orange", "紫": "purple", "粉": "pink", "灰": "gray"}


def language_code(value: Any) -> str | None:
    """``"es-ES"``, ``"Spanish"``, ``"Español"`` → ``"es"``; None when not a language."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower().replace("_", "-")
    return _LANGUAGE_CODES.get(text) or _LANGUAGE_CODES.get(text.split("-")[0])


def position(value: Any) -> str | None:
    """``"Top"``, ``"upper"``, ``"top center"``, ``"top_left"`` → ``top`` / ``top-left``; None when unset."""
    if not isinstance(value, str) or not value.strip():
        return None
    words = [_POSITION_WORDS.get(w, w) for w in re.split(r"[\s_\-]+", value.strip().lower()) if w]
    words = [w for w in words if w != "center"] or ["center"]
    return "-".join(words)


def rgb(value: Any) -> tuple[float, float, float] | None:
    """A colour as (r, g, b) in 0..1: CSS names, ``#rrggbb``, ``#rgb``, 0xRRGGBB, common Chinese names."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().lower().removesuffix("色")
    text = _CHINESE_COLOURS.get(text, text)
    if text.startswith("0x"):
        text = "#" + text[2:]
    match = _HEX.fullmatch(text)
    if match:
        digits = match.group(1)
        if len(digits) == 3:
            digits = "".join(d * 2 for d in digits)
        return tuple(int(digits[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]
    from matplotlib.colors import CSS4_COLORS, to_rgb

    name = text.replace(" ", "").replace("-", "")
    return to_rgb(CSS4_COLORS[name]) if name in CSS4_COLORS else None


def colour_family(value: Any) -> str | None:
    """The colour word a person would use for a colour: red, orange, yellow, green, cyan, blue, purple,
    pink, white, black or gray (``#e53935`` → red, ``gold`` → yellow); None when not a colour."""
    colour = rgb(value)
    if colour is None:
        return None
    hue, saturation, brightness = colorsys.rgb_to_hsv(*colour)
    hue *= 360
    if saturation < 0.15 or brightness < 0.2:
        return "black" if brightness < 0.2 else "white" if brightness > 0.85 else "gray"
    if (hue >= 345 or hue < 15) and saturation < 0.5 and brightness > 0.8:
        return "pink"
    for limit, name in ((15, "red"), (40, "orange"), (70, "yellow"), (165, "green"), (195, "cyan"),
                        (255, "blue"), (315, "purple"), (345, "pink"), (361, "red")):
        if hue < limit:
            return name
    return "red"  # pragma: no cover - hue is below 360


def same_colour(expected: Any, actual: Any) -> bool:
    """A named colour matches any shade of that family; a hex code must match within 8% per channel."""
    if isinstance(expected, str) and _HEX.fullmatch(expected.strip().lower().replace("0x", "#")):
        want, got = rgb(expected), rgb(actual)
        return want is not None and got is not None and all(abs(a - b) <= 0.08 for a, b in zip(want, got, strict=True))
    family = colour_family(expected)
    return family is not None and family == colour_family(actual)


def ratio(value: Any) -> float | None:
    """``"4:5"``, ``"1080x1350"``, ``0.8`` → width / height."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, str):
        return None
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*[:x×/]\s*(\d+(?:\.\d+)?)\s*", value)
    if not match or float(match.group(2)) == 0:
        return None
    return float(match.group(1)) / float(match.group(2))


def size(value: Any) -> tuple[int, int] | None:
    """``"1080x1350"`` → (1080, 1350)."""
    match = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", value) if isinstance(value, str) else None
    return (int(match.group(1)), int(match.group(2))) if match else None


def plain_text(value: Any) -> str:
    """Text as compared by ``contains``: case-folded, quotes unified, whitespace collapsed."""
    text = str(value or "")
    for curly, straight in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("「", '"'), ("」", '"')):
        text = text.replace(curly, straight)
    return " ".join(text.casefold().split())
