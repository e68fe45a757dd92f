"""Captions from timed words, broken the way subtitle style guides ask.

The rules (Netflix's and the BBC's timed-text guides agree on these): at most two lines of about 42
characters; a reading speed of at most about 17 characters a second; a caption on screen for at least
5/6 s and at most 7 s, and never over a long silence; two frames between captions, never an overlap;
lines and captions broken at phrase boundaries — after a sentence or a clause, before a conjunction or
a preposition, never after an article or a preposition — with the two lines of a caption near even.

``break_captions`` chooses the caption boundaries by dynamic programming over the words (each caption's
cost: where it breaks, how its two lines split, how fast it must be read, how long it lasts), then times
each caption: from its first word, kept up until it can be read (into the following pause, not over the
next caption). Pure functions, no I/O.
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from nemo_nb.transcript import Word

SENTENCE_END = re.compile(r"[.!?…。！？][\"'”’)\]]*$")
CLAUSE_END = re.compile(r"[,;:—–)\]][\"'”’]*$")
# A line or caption reads badly when it ends on one of these (the phrase continues)...
WEAK_ENDINGS = frozenset((
    "a", "an", "the", "to", "of", "in", "on", "at", "by", "for", "from", "with", "into", "onto", "about", "as",
    "than", "and", "or", "but", "nor", "so", "that", "if", "my", "your", "his", "her", "its", "our", "their",
    "this", "these", "those", "is", "are", "was", "were", "be", "been", "am", "i", "we", "you", "he", "she",
    "they", "it's", "very", "not", "no",
))
# ...and well when it ends just before one of these (a phrase starts).
PHRASE_STARTS = frozenset((
    "and", "but", "or", "so", "because", "although", "though", "while", "when", "whenever", "where", "which",
    "who", "whom", "whose", "that", "if", "unless", "until", "after", "before", "since", "then", "to", "for",
    "with", "without", "in", "on", "at", "by", "from", "into", "about", "than", "as", "like",
))
MID_LINE_SENTENCE_END = 3.0  # cost of a sentence ending inside a line of a caption
SENTENCE_PAUSE_MS, CLAUSE_PAUSE_MS = 700, 300  # pauses that break like a sentence's or a clause's end


class BreakCosts(NamedTuple):
    """What a break costs after a sentence, after a clause, after a weak word, before a phrase, elsewhere."""

    sentence: float
    clause: float
    weak: float
    phrase: float
    other: float


CAPTION_BREAKS = BreakCosts(0.0, 1.0, 8.0, 2.5, 4.0)
LINE_BREAKS = BreakCosts(0.0, 0.5, 5.0, 1.0, 2.0)


@dataclass(frozen=True)
class CaptionStyle:
    """The limits captions are broken to."""

    max_lines: int = 2
    max_chars: int = 42          # characters per line
    max_cps: float = 17.0        # reading speed, characters a second (spaces and line breaks counted)
    min_ms: int = 833            # 5/6 s
    max_ms: int = 7000
    gap_ms: int = 83             # two frames at 24 fps between captions
    pause_ms: int = 1500         # a silence this long is never held over by one caption
    linger_ms: int = 600         # a caption stays up this long after its last word, room permitting


@dataclass(frozen=True)
class Caption:
    """One caption: when it shows (ms) and its lines."""

    start_ms: int
    end_ms: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    @property
    def chars(self) -> int:
        return len(self.text)


def break_captions(words: Sequence[Word], style: CaptionStyle = CaptionStyle()) -> list[Caption]:
    """Captions for timed ``words`` (in time order), following ``style``."""
    words = [w for w in words if w.text.strip()]
    if not words:
        return []
    texts = tuple(w.text.strip() for w in words)
    count = len(words)
    best: list[float] = [0.0] + [float("inf")] * count
    back = [0] * (count + 1)
    for end in range(1, count + 1):
        for start in range(end - 1, -1, -1):
            if best[start] == float("inf"):
                continue
            cost = _caption_cost(words, texts, start, end, style)
            if cost is None:
                if end - start > 1:
                    break  # a longer caption (further back) only gets worse
                cost = 1000.0  # a single word always makes a caption, however long
            if best[start] + cost < best[end]:
                best[end], back[end] = best[start] + cost, start
    bounds, end = [], count
    while end > 0:
        bounds.append((back[end], end))
        end = back[end]
    bounds.reverse()
    return _timed(words, texts, bounds, style)


def split_lines(text_words: Sequence[str], style: CaptionStyle = CaptionStyle()) -> tuple[str, ...]:
    """A caption's words as at most ``max_lines`` lines (one line when it fits), split at the best place."""
    return _split(tuple(text_words), style.max_chars, style.max_lines)[1]


# --- choosing captions ---------------------------------------------------------------------------------------

def _caption_cost(words: Sequence[Word], texts: tuple[str, ...], start: int, end: int,
                  style: CaptionStyle) -> float | None:
    """What the caption ``words[start:end]`` costs; ``None`` when it breaks a hard rule (too many
    characters, too long on screen, held over a long silence)."""
    chunk = texts[start:end]
    if sum(map(len, chunk)) + len(chunk) - 1 > style.max_lines * style.max_chars + style.max_lines - 1:
        return None
    first, last = words[start], words[end - 1]
    if last.end_ms - first.start_ms > style.max_ms and end - start > 1:
        return None
    if any(words[k + 1].start_ms - words[k].end_ms > style.pause_ms for k in range(start, end - 1)):
        return None
    line_cost, lines = _split(chunk, style.max_chars, style.max_lines)
    if not lines:
        return None
    chars = sum(map(len, lines)) + len(lines) - 1
    following = words[end].start_ms - style.gap_ms if end < len(words) else last.end_ms + style.max_ms
    room = min(following, first.start_ms + style.max_ms) - first.start_ms
    cost = 1.0 + line_cost + _break_cost(texts, words, end) + MID_LINE_SENTENCE_END * _mid_line_sentence_ends(lines)
    speed = chars * 1000 / max(1, room)
    if speed > style.max_cps:
        cost += 6.0 * (speed / style.max_cps - 1.0) * (end - start)
    spoken = last.end_ms - first.start_ms
    if spoken < style.min_ms and end < len(words) and following - first.start_ms >= style.min_ms:
        cost += 1.5  # a flash of a caption, though the next words could have joined it
    return cost


def _mid_line_sentence_ends(lines: tuple[str, ...]) -> int:
    """Sentences ending inside a line (the next one then starts mid-line, which reads badly)."""
    return sum(1 for line in lines for word in line.split()[:-1] if SENTENCE_END.search(word))


def _break_cost(texts: tuple[str, ...], words: Sequence[Word], end: int) -> float:
    """How good the place after word ``end - 1`` is for ending a caption."""
    if end >= len(texts):
        return 0.0
    return _boundary_cost(texts[end - 1], texts[end], CAPTION_BREAKS, words[end].start_ms - words[end - 1].end_ms)


def _boundary_cost(before: str, after: str, costs: BreakCosts, pause_ms: int = 0) -> float:
    """The cost of a break between two words: after a sentence or a long pause, after a clause or a short
    pause, after a little word that leads on, before a word that starts a phrase, or anywhere else."""
    if SENTENCE_END.search(before) or pause_ms >= SENTENCE_PAUSE_MS:
        return costs.sentence
    if CLAUSE_END.search(before) or pause_ms >= CLAUSE_PAUSE_MS:
        return costs.clause
    if _bare(before) in WEAK_ENDINGS:
        return costs.weak
    if _bare(after) in PHRASE_STARTS:
        return costs.phrase
    return costs.other


# --- lines ---------------------------------------------------------------------------------------------------

@lru_cache(maxsize=4096)
def _split(chunk: tuple[str, ...], max_chars: int, max_lines: int) -> tuple[float, tuple[str, ...]]:
    """(cost, lines) of the best split of ``chunk`` into at most ``max_lines`` lines of ``max_chars``;
    ``(inf, ())`` when none fits."""
    one = " ".join(chunk)
    if len(one) <= max_chars:
        return 0.0, (one,)
    if max_lines < 2:
        return float("inf"), ()
    best: tuple[float, tuple[str, ...]] = (float("inf"), ())
    for k in range(1, len(chunk)):
        top = " ".join(chunk[:k])
        if len(top) > max_chars:
            break
        rest_cost, rest = _split(chunk[k:], max_chars, max_lines - 1)
        if not rest:
            continue
        bottom = rest[0] if len(rest) == 1 else max(rest, key=len)
        balance = abs(len(top) - len(bottom)) / max_chars * 3.0
        pyramid = 0.5 if len(top) > len(bottom) + 8 else 0.0  # a shorter top line reads slightly better
        cost = rest_cost + balance + pyramid + _boundary_cost(chunk[k - 1], chunk[k], LINE_BREAKS)
        if cost < best[0]:
            best = (cost, (top, *rest))
    return best


def _bare(word: str) -> str:
    return word.strip(".,;:!?\"'“”‘’()[]—–-").lower()


# --- timing --------------------------------------------------------------------------------------------------

def _timed(words: Sequence[Word], texts: tuple[str, ...], bounds: list[tuple[int, int]],
           style: CaptionStyle) -> list[Caption]:
    """Each caption from its first word's start until it can be read: at least ``min_ms`` and its characters
    at ``max_cps``, at least its last word's end plus ``linger_ms`` — but never past ``max_ms``, nor into
    the next caption (``gap_ms`` before it)."""
    captions: list[Caption] = []
    for index, (start, end) in enumerate(bounds):
        lines = _split(texts[start:end], style.max_chars, style.max_lines)[1] or (" ".join(texts[start:end]),)
        begin = words[start].start_ms
        if captions and begin < captions[-1].end_ms + style.gap_ms:
            begin = captions[-1].end_ms + style.gap_ms
        chars = sum(map(len, lines)) + len(lines) - 1
        wanted = max(words[end - 1].end_ms + style.linger_ms, begin + style.min_ms,
                     begin + round(chars * 1000 / style.max_cps))
        limit = begin + style.max_ms
        if index + 1 < len(bounds):
            limit = min(limit, words[bounds[index + 1][0]].start_ms - style.gap_ms)
        finish = max(min(wanted, limit), min(words[end - 1].end_ms, limit), begin + 1)
        captions.append(Caption(begin, finish, lines))
    return captions
