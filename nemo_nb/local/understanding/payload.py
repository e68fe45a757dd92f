"""Step 3: the text a user gives the agent to use — a script, a title, a translation — taken out of the
instruction before anything else reads it, so it is never mixed with the instruction around it.

A payload is quoted text (``"…"``, ``'…'``, ``“…”``, ``«…»``, ``「…」``), or text introduced by a colon or a
dash after a word that takes text (``voiceover: …``, ``Spanish: …``, ``Translation: …``, ``put German
subtitles on it — …``), or by ``saying``/``that says``/``called``, or the new words of ``change the title
to …``. Trailing sentences that are instructions again ("… this week. Please dub it.") go back to the
instruction, and so do trailing places and times ("saying Sale ends Sunday at the bottom"). In the
instruction each payload leaves a marker ``⟪n⟫``.

Every scan is linear: quote positions are collected once, and at most ``MAX_PAYLOADS`` are taken.
"""
from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import islice
from typing import Protocol

MAX_PAYLOADS = 32
MAX_COLONS = 64
MAX_MARKS = 512         # quote marks looked at: more is not a request
INSTRUCTION_CHARS = 1200  # an instruction longer than twice this is read at its start and its end
LOOK_BACK = 160  # characters of a clause read before a colon
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|(?<=[。！？])|\n")
_BOUNDARY = re.compile(r"[.!?;。！？；\n](?:\s|$)")
_SAYING = re.compile(r"\b(?:saying|says|that reads|which reads|with the words|with the text)\s+"
                     r"(?!⟪|the (?:top|bottom|middle|center|centre)\b)|\b(?:title|text|heading|headline|banner|label|"
                     r"caption|card|overlay|watermark)\s+(?:called|named|titled|entitled)\s+(?!⟪)", re.IGNORECASE)
_RETITLE = re.compile(r"\b(?:change|rename|set|update|edit|switch|replace)\s+(?:the\s+)?(?:title|heading|headline|"
                      r"text|banner|label)(?:\s+text)?\s+(?:to|with|into|as)\s+(?!⟪)", re.IGNORECASE)
_BARE_TITLE = re.compile(r"\b(?:add|put|insert|create|show)\s+(?:a|an|the)\s+(?:big\s+|small\s+|bold\s+)?(?:title|"
                         r"heading|headline|banner|label)\s+(?!(?:at|in|on|for|from|to|with|that|which|saying|says|"
                         r"reading|and|of|or|called|named|⟪|please|pls|too|as|over|under|here|there|then|also|"
                         r"again|first|last)\b)", re.IGNORECASE)
_DASH = re.compile(r"\s-{1,2}\s|\s-(?=\s*[A-Z\"'])")
_DOUBLE = re.compile('"')
_SINGLE = re.compile("'")
_PART = re.compile(r"[,;]|\b(?:but|and|so|then)\b", re.IGNORECASE)
_MARKER_IN_TEXT = re.compile(r"\s?⟪(\d{1,5})⟫\s?")
_LABEL = re.compile(r"(?:^|[\s.;,!?])([^\W\d_]{2,20}(?: \([^\W\d_]{2,20}\))?)\s*$")
_TRAILING_PLACE = re.compile(r"\s+(?:at|in|on|for|from|during|over|until|till|between|starting|near|across|"
                             r"throughout|with)\b", re.IGNORECASE)


@dataclass
class Payload:
    """Text to use as it is: ``how`` it was given (quote, colon, dash, saying, retitle) and the words that
    introduced it (lower case), which name what it is for."""

    text: str
    how: str
    introducer: str = ""


@dataclass
class Parts:
    instruction: str          # the message with ⟪n⟫ where each payload was
    payloads: list[Payload]


class Reader(Protocol):
    """What payload extraction asks of the rest of the pipeline."""

    def introduces(self, words: str) -> str | None:
        """What the words before a colon or dash introduce (e.g. "voice", "title", "lang:es"), or None."""

    def is_instruction(self, sentence: str) -> bool:
        """Whether a sentence is an instruction to the agent."""

    def is_modifier(self, words: str) -> bool:
        """Whether words only say a place, a time or a colour ("at the bottom", "in red for 3 seconds")."""

    def is_language_label(self, words: str) -> bool:
        """Whether words are a language name that labels a translation ("French", "Deutsch")."""


def _marker(index: int) -> str:
    return f" ⟪{index}⟫ "


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of quoted spans, quotes included, in order and not overlapping. Only quote marks are
    visited (found by one regular expression), so the scan is linear in the message."""
    doubles = [m.start() for m in islice(_DOUBLE.finditer(text), MAX_MARKS)]
    singles = [m.start() for m in islice(_SINGLE.finditer(text), MAX_MARKS)]
    closes = [i for i in singles if i > 0 and not text[i - 1].isspace()
              and (i + 1 == len(text) or not text[i + 1].isalnum())]
    marks = sorted(doubles + singles)[:MAX_MARKS]
    spans: list[tuple[int, int]] = []
    at, k = 0, 0
    while k < len(marks) and len(spans) < MAX_PAYLOADS:
        i = marks[k]
        k += 1
        if i < at:
            continue
        if text[i] == '"':
            n = bisect.bisect_right(doubles, i)
            if n < len(doubles):
                spans.append((i, doubles[n] + 1))
                at = doubles[n] + 1
                continue
            end = text.find("\n", i)
            spans.append((i, len(text) if end < 0 else end))  # unclosed: to the end of the line
            break
        if (i == 0 or not text[i - 1].isalnum()) and i + 1 < len(text) and not text[i + 1].isspace():
            n = bisect.bisect_right(closes, i)
            if n < len(closes) and closes[n] > i + 1:
                spans.append((i, closes[n] + 1))
                at = closes[n] + 1
    return spans


def _take_quotes(text: str, payloads: list[Payload]) -> str:
    out, last = [], 0
    for start, end in _quote_spans(text):
        body = text[start + 1:end].rstrip('"\'').strip()
        if not body:
            continue
        intro = text[max(0, start - LOOK_BACK):start]
        payloads.append(Payload(body, "quote", _clause_tail(intro).lower()))
        out += [text[last:start], _marker(len(payloads) - 1)]
        last = end
    out.append(text[last:])
    return "".join(out)


def _clause_tail(text: str) -> str:
    """The end of ``text`` from its last sentence boundary: what introduces what follows."""
    found = list(_BOUNDARY.finditer(text))
    text = text[found[-1].end():] if found else text
    return text[text.rfind("⟫") + 1:]  # a payload before ends it too: "Spanish: ⟪0⟫ French:"


def sentences(text: str) -> list[str]:
    return [s for s in (p.strip() for p in _SENTENCE_END.split(text)) if s]


def peel(body: str, is_instruction: Callable[[str], bool]) -> tuple[str, str]:
    """(payload, trailing instruction): trailing sentences that read as instructions come off."""
    parts = sentences(body)
    rest: list[str] = []
    while len(parts) > 1 and is_instruction(parts[-1].strip("()[] ")):
        rest.insert(0, parts.pop())
    return " ".join(parts), " ".join(rest)


def place_tail(body: str, is_modifier: Callable[[str], bool]) -> tuple[str, str]:
    """(text, trailing place/time/colour words): ``Sale ends Sunday at the bottom`` → the text and ``at the bottom``."""
    for match in _TRAILING_PLACE.finditer(body):
        tail = body[match.start():]
        if match.start() > 0 and is_modifier(tail):
            return body[:match.start()].strip(), tail
    return body.strip(), ""


def extract(text: str, reader: Reader) -> Parts:
    """Split ``text`` (normalised) into instruction and payloads (see the module docstring)."""
    payloads: list[Payload] = []
    text = _take_quotes(text, payloads)
    text = _clip(_take_colons(text, payloads, reader))
    for pattern, how in ((_SAYING, "saying"), (_RETITLE, "retitle"), (_BARE_TITLE, "bare")):
        text = _take_phrase(text, payloads, pattern, how, reader)
    return Parts(text, payloads)


def _clip(text: str) -> str:
    """The instruction's first and last ``INSTRUCTION_CHARS`` (scripts are out already): "very " 4000 times,
    then "now add a title 'Wow'" is read as the start, a break, and the request."""
    if len(text) <= 2 * INSTRUCTION_CHARS:
        return text
    head = text[:INSTRUCTION_CHARS].rsplit(" ", 1)[0]
    tail = text[-INSTRUCTION_CHARS:].split(" ", 1)[-1]
    return f"{head} . {tail}"


def _take_colons(text: str, payloads: list[Payload], reader: Reader) -> str:
    checked = 0
    i = 0
    while len(payloads) < MAX_PAYLOADS and checked < MAX_COLONS:
        found = _next_introducing_mark(text, i)
        if found is None:
            break
        at, width = found
        checked += 1
        intro = _clause_tail(text[max(0, at - LOOK_BACK):at])
        read = reader.introduces(intro) if any(ch.isalpha() for ch in intro) else None
        if read is None:
            i = at + width
            continue
        end = _payload_end(text, at + width, reader)
        body = text[at + width:end]
        if body.strip().startswith("⟪") and body.strip().endswith("⟫"):
            i = end
            continue  # already quoted
        kept, rest = peel(body.strip(), reader.is_instruction)
        if not kept.strip(" \"'"):
            i = at + width
            continue
        kept = _MARKER_IN_TEXT.sub(lambda m: f'"{payloads[int(m.group(1))].text}"', kept)  # quotes in a script
        payloads.append(Payload(kept.strip(" \"'"), "colon", read))
        replacement = _marker(len(payloads) - 1) + (" . " + rest if rest else "") + " "
        text = text[:at] + replacement + text[end:]
        i = at + len(replacement)
    return text


def _next_introducing_mark(text: str, start: int) -> tuple[int, int] | None:
    """The next colon (not of a time or ratio like ``0:30``/``9:16``) or dash, as (index, width)."""
    i = start
    dash = _DASH.search(text, start)
    while i < len(text):
        colon = text.find(":", i)
        if colon < 0 and dash is None:
            return None
        if dash is not None and (colon < 0 or dash.start() < colon):
            return dash.start(), dash.end() - dash.start()
        if 0 < colon < len(text) - 1 and text[colon - 1].isdigit() and text[colon + 1].isdigit():
            i = colon + 1
            continue
        return colon, 1
    return None


def _payload_end(text: str, start: int, reader: Reader) -> int:
    """Where a colon's payload ends: a line break, or the next ``<language>:`` label, else the end."""
    line = text.find("\n", start)
    end = len(text) if line < 0 else line
    colon = text.find(":", start, end)
    while colon >= 0:
        head = text[max(start, colon - 32):colon]
        label = _LABEL.search(head)
        if label and reader.is_language_label(label.group(1)):
            return colon - len(head) + label.start(1)
        colon = text.find(":", colon + 1, end)
    return end


def _take_phrase(text: str, payloads: list[Payload], pattern: re.Pattern[str], how: str, reader: Reader) -> str:
    match = pattern.search(text)
    if match is None or len(payloads) >= MAX_PAYLOADS:
        return text
    before = _PART.split(_clause_tail(text[max(0, match.start() - LOOK_BACK):match.start()]))[-1]
    if how == "saying" and not reader.introduces(before):  # "…, but my manager says …" is no script
        return text
    end_match = _BOUNDARY.search(text, match.end())
    end = end_match.start() if end_match else len(text)
    body = text[match.end():end]
    marker_at = body.find("⟪")
    if marker_at >= 0:
        body, end = body[:marker_at], match.end() + marker_at
    words, _ = place_tail(body.strip(), reader.is_modifier)
    words = re.split(r"\s+(?:and then|then|and also|also)\s+", words, maxsplit=1)[0].strip(" ,\"'")
    if not words:
        return text
    payloads.append(Payload(words, how, _clause_tail(text[max(0, match.start() - LOOK_BACK):match.end()]).lower()))
    tail_text = body[body.find(words) + len(words):]
    return text[:match.end()] + _marker(len(payloads) - 1) + tail_text + text[end:]
