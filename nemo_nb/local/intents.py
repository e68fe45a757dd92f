"""Reading user messages: quoted text, scripts, times, ranges, percentages, colours, languages.

Pure functions, English plus the common Chinese words; the agent's skills build on them.
"""
from __future__ import annotations

import re

from nemo_nb.draft.colours import COLOURS
from nemo_nb.draft.languages import NAMED

_QUOTED = re.compile(r"[\"“”「『]([^\"“”」』]{1,500})[\"“”」』]|(?<![A-Za-z])'([^']{1,500})'(?![A-Za-z])")
_NUMBER = r"(\d+(?:\.\d+)?)"
_CLOCK = r"(\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)"
_DURATION_UNIT = r"(?:seconds|second|secs|sec|s|秒|minutes|minute|mins|min|m|分钟)(?![a-z])"


def quoted(message: str) -> list[str]:
    """Text between quotes (straight, curly or CJK)."""
    return [a or b for a, b in _QUOTED.findall(message)]


def script_after_colon(message: str) -> str | None:
    """The script in ``… voiceover: Welcome to …`` (the text after the first colon, if long enough)."""
    match = re.search(r"(?<!\d)[:：](?!\d)\s*(.+)$", message, re.DOTALL)  # not the colon of 0:30
    if not match:
        return None
    text = match.group(1).strip().strip("\"“”'")
    long_enough = len(text.split()) >= 3 or len(text) >= 12 or (script_language(text) and len(text) >= 4)
    return text if long_enough else None


def script_language(text: str) -> str | None:
    """The language a script's characters give away: Japanese kana, Korean hangul, Chinese han."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7af]", text):
        return "ko"
    if re.search(r"[\u3400-\u4dbf\u4e00-\u9fff]", text):
        return "zh"
    return None


def sentences(text: str) -> list[str]:
    """A script split into sentences (keeping their punctuation)."""
    text = re.sub(r"\s+", " ", text).strip()
    parts = re.split(r"(?<=[.!?。！？])\s+|(?<=[。！？])", text)
    return [p.strip() for p in parts if p and p.strip()]


def clock_to_ms(value: str) -> int:
    """``1:45`` → 105000; ``1:02:03.5`` → 3723500."""
    seconds = 0.0
    for part in value.split(":"):
        seconds = seconds * 60 + float(part)
    return round(seconds * 1000)


def duration_ms(value: str, unit: str) -> int:
    minutes = unit.lower().startswith(("m", "分"))
    return round(float(value) * (60000 if minutes else 1000))


def time_points(message: str) -> list[int]:
    """Every time mentioned, in order, in ms: ``0:30``, ``10 seconds``, ``1.5 min``, ``5s``."""
    pattern = re.compile(rf"{_CLOCK}|{_NUMBER}\s*({_DURATION_UNIT})", re.IGNORECASE)
    points = []
    for clock, number, unit in pattern.findall(message):
        points.append(clock_to_ms(clock) if clock else duration_ms(number, unit))
    return points


def time_range(message: str) -> tuple[int, int] | None:
    """``from 0:30 to 1:45`` / ``between 5s and 10s`` / ``0:30-1:45`` → (start, end) in ms."""
    points = time_points(message)
    bare = re.search(rf"(?:from|between)\s+{_NUMBER}\s+(?:to|and)\s+{_NUMBER}\s*({_DURATION_UNIT})",
                     message, re.IGNORECASE)
    if bare:
        return duration_ms(bare.group(1), bare.group(3)), duration_ms(bare.group(2), bare.group(3))
    if len(points) >= 2 and re.search(r"\b(from|between|to|and|until)\b|[-–~到至]", message, re.IGNORECASE):
        start, end = points[0], points[1]
        return (start, end) if end > start else None
    return None


def percent(message: str) -> int | None:
    """``35%`` / ``35 percent`` / ``35 per cent`` → 35."""
    match = re.search(rf"{_NUMBER}\s*(?:%|percent|per cent)", message, re.IGNORECASE)
    return round(float(match.group(1))) if match else None


def multiplier(message: str) -> float | None:
    """``1.2x`` / ``1.2×`` / ``x1.2`` → 1.2."""
    match = re.search(rf"{_NUMBER}\s*[x×](?![a-z])|[x×]\s*{_NUMBER}", message, re.IGNORECASE)
    if not match:
        return None
    return float(match.group(1) or match.group(2))


def colour(message: str) -> str | None:
    """``#rrggbb`` or the first colour name (in the table's order) the message names; grey is gray."""
    hexcode = re.search(r"#[0-9a-fA-F]{6}\b", message)
    if hexcode:
        return hexcode.group(0).lower()
    for name in COLOURS:
        if re.search(rf"\b{name}\b", message, re.IGNORECASE):
            return "gray" if name == "grey" else name
    return None


def position(message: str) -> str | None:
    lowered = message.lower()
    if re.search(r"\b(top|upper|header)\b|顶部|上方", lowered):
        return "top"
    if re.search(r"\b(bottom|lower|footer)\b|底部|下方", lowered):
        return "bottom"
    if re.search(r"\b(center|centre|middle)\b|中间|居中", lowered):
        return "center"
    return None


def language(message: str, default: str | None = None) -> str | None:
    """The first language named in the message, as a code."""
    lowered = message.lower()
    best: tuple[int, str] | None = None
    for name, code in NAMED.items():
        index = lowered.find(name)
        if index >= 0 and (best is None or index < best[0]):
            best = (index, code)
    return best[1] if best else default


def languages(message: str) -> list[str]:
    """Every language named, in the order named, without repeats."""
    lowered = message.lower()
    found = sorted((lowered.find(name), code) for name, code in NAMED.items() if name in lowered)
    out: list[str] = []
    for _, code in found:
        if code not in out:
            out.append(code)
    return out


# A pattern is a regular expression, or a tuple of them that must occur in that order on one line. Write
# ("a", "b"), never "a.*b": re.search retries "a.*b" at every "a", each time to the end of the line, so a
# message of "a a a …" takes quadratic time (seconds for 20,000 characters, holding the GIL throughout).
Pattern = str | tuple[str, ...]


def in_order(message: str, parts: tuple[str, ...]) -> bool:
    """Whether the regular expressions occur in this order on one line (case-insensitive), in linear time."""
    for line in message.split("\n"):
        at = 0
        for part in parts:
            found = re.compile(part, re.IGNORECASE).search(line, at)
            if found is None:
                break
            at = found.end()
        else:
            return True
    return False


def has(message: str, *patterns: Pattern) -> bool:
    """Whether any of the patterns matches (case-insensitive)."""
    return any(re.search(p, message, re.IGNORECASE) if isinstance(p, str) else in_order(message, p)
               for p in patterns)


def seconds_text(ms: int) -> str:
    """12500 → ``12.5s``; 12000 → ``12s``."""
    value = ms / 1000
    return f"{value:.0f}s" if abs(value - round(value)) < 0.05 else f"{value:.1f}s"


def clock_text(ms: int) -> str:
    """95000 → ``1:35``."""
    total = round(ms / 1000)
    return f"{total // 60}:{total % 60:02d}"


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
