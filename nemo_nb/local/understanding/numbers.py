"""Numbers written in words, English and Chinese, rewritten as digits in a token list.

``["twenty", "five", "percent"]`` → ``["25", "percent"]``; ``["two", "and", "a", "half", "seconds"]`` →
``["2.5", "seconds"]``; ``["a", "minute"]`` → ``["1", "minute"]``; ``前五秒`` → ``前 5 秒``; ``百分之二十`` →
``20 %``. "one" stays a word unless a unit or amount follows (``the tiktok one``); ordinals stay words.
"""
from __future__ import annotations

import re

SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
    "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
VAGUE = {"couple": 2, "few": 3, "dozen": 12}
UNIT_WORDS = frozenset({
    "s", "sec", "secs", "second", "seconds", "m", "min", "mins", "minute", "minutes", "h", "hour", "hours", "ms",
    "%", "percent", "per", "pct", "x", "times", "秒", "分", "分钟", "倍", "point",
})
WORDS = frozenset(SMALL) | frozenset(TENS) | frozenset(VAGUE) | {"hundred", "half", "and", "a", "an", "quarter"}
_CJK_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
               "九": 9}
_CJK_SCALES = {"十": 10, "百": 100}
_CJK_BEFORE = frozenset({"第", "前", "后", "到", "至", "头", "开头", "最后", "末尾", "结尾", "负"})
_CJK_AFTER = frozenset({"秒", "分", "倍", "%"})
_NUMBER = re.compile(r"\d+(?:\.\d+)?$")


def is_number(token: str) -> bool:
    return bool(_NUMBER.match(token))


def _format(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def _english_value(tokens: list[str], i: int) -> tuple[float, int] | None:
    """The number spelled from ``tokens[i]`` on, and how many tokens it takes."""
    value, j = 0.0, i
    word = tokens[j]
    if word in TENS:
        value, j = TENS[word], j + 1
        if j + 1 < len(tokens) and tokens[j] == "-" and tokens[j + 1] in SMALL and 0 < SMALL[tokens[j + 1]] < 10:
            value, j = value + SMALL[tokens[j + 1]], j + 2
        elif j < len(tokens) and tokens[j] in SMALL and 0 < SMALL[tokens[j]] < 10:
            value, j = value + SMALL[tokens[j]], j + 1
    elif word in SMALL:
        value, j = SMALL[word], j + 1
    else:
        return None
    if j < len(tokens) and tokens[j] == "hundred":
        value, j = value * 100, j + 1
        if j < len(tokens) and tokens[j] == "and":
            rest = _english_value(tokens, j + 1) if j + 1 < len(tokens) else None
            if rest and rest[0] < 100:
                value, j = value + rest[0], rest[1]
    if tokens[j:j + 3] == ["and", "a", "half"]:
        value, j = value + 0.5, j + 3
    elif tokens[j:j + 3] == ["and", "a", "quarter"]:
        value, j = value + 0.25, j + 3
    return value, j - i


def english(tokens: list[str]) -> list[str]:
    """English number words → digits (see the module docstring)."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if word in ("a", "an", "one") and following in ("minute", "second", "hour", "half"):
            if following == "half" and tokens[i + 2:i + 3] and tokens[i + 2] in ("minute", "second", "hour"):
                out += ["0.5"]
                i += 2
                continue
            if following != "half":
                out += ["1"]
                i += 1
                continue
        if word == "half" and following in ("a", "an") and tokens[i + 2:i + 3] in (["minute"], ["second"]):
            out += ["0.5"]
            i += 2
            continue
        if word in ("few", "couple") and following in UNIT_WORDS:  # "the first few seconds"
            out.append(str(VAGUE[word]))
            i += 1
            continue
        if word in ("a", "an") and following in VAGUE:
            out.append(str(VAGUE[following]))
            i += 3 if tokens[i + 2:i + 3] == ["of"] else 2
            continue
        parsed = _english_value(tokens, i) if word in SMALL or word in TENS else None
        if parsed is not None:
            value, length = parsed
            after = tokens[i + length] if i + length < len(tokens) else ""
            if word == "one" and length == 1 and after not in UNIT_WORDS:
                out.append(word)  # "the tiktok one", "one more thing"
            else:
                out.append(_format(value))
            i += length
            continue
        out.append(word)
        i += 1
    return out


def chinese_value(text: str) -> int | None:
    """``二十五`` → 25, ``十`` → 10, ``两`` → 2, ``一百`` → 100; None when ``text`` is not a Chinese number."""
    if not text or any(ch not in _CJK_DIGITS and ch not in _CJK_SCALES for ch in text):
        return None
    total, digit = 0, None
    for ch in text:
        if ch in _CJK_DIGITS:
            digit = _CJK_DIGITS[ch]
        else:
            total += (1 if digit is None else digit) * _CJK_SCALES[ch]
            digit = None
    return total + (digit or 0)


def chinese(tokens: list[str]) -> list[str]:
    """Runs of Chinese numeral characters next to a unit or a counting word → digits; 百分之N → N %."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if tokens[i:i + 3] == ["百", "分", "之"]:
            j = i + 3
            while j < len(tokens) and (tokens[j] in _CJK_DIGITS or tokens[j] in _CJK_SCALES or is_number(tokens[j])):
                j += 1
            run = "".join(tokens[i + 3:j])
            value = int(run) if run.isdigit() else chinese_value(run)
            if value is not None:
                out += [str(value), "%"]
                i = j
                continue
        if tokens[i] in _CJK_DIGITS or tokens[i] in _CJK_SCALES:
            j = i
            while j < len(tokens) and (tokens[j] in _CJK_DIGITS or tokens[j] in _CJK_SCALES):
                j += 1
            value = chinese_value("".join(tokens[i:j]))
            before = out[-1] if out else ""
            after = tokens[j] if j < len(tokens) else ""
            if value is not None and (after in _CJK_AFTER or before in _CJK_BEFORE):
                out.append(str(value))
                i = j
                continue
        out.append(tokens[i])
        i += 1
    return out
