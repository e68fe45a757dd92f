"""How long a text takes to say, at the least, told from the text alone — before anything is synthesized.

Synthesizing is the expensive part of a voiceover, dub or presenter (a 6,600-word script took 489 s of CPU
for a reply of "too long"), so the skills first check that the text can fit at all. The estimate is a lower
bound: each letter or digit counts 1/(fastest rate of its script) seconds, the rates being ~1.5× the fastest
measured with this project's voices at pace 1.0 (piper joe and espeak-ng; measured in letters a second:
English 14, Spanish 14.5, German 15, French 19, Russian 15, Hindi 7.5, Arabic 9, Japanese kana 7, Korean 5,
Chinese 3.5). A text refused here could not have fitted; a text let through may still turn out too long
once spoken, which the skills check again.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

# Letters a second at pace 1.0, per script (the first word of the character's Unicode name): ~1.5× the fastest
# measured, so the estimate never says "too long" about a text that would fit.
FASTEST_PER_S = {"CJK": 6.0, "HIRAGANA": 11.0, "KATAKANA": 11.0, "HANGUL": 8.0, "DEVANAGARI": 12.0,
                 "ARABIC": 14.0}
DEFAULT_PER_S = 30.0  # Latin, Cyrillic, Greek and the rest
_CACHE: dict[str, float] = {}


def _seconds_per(ch: str) -> float:
    cost = _CACHE.get(ch)
    if cost is None:
        script = unicodedata.name(ch, "").split(" ", 1)[0]
        cost = _CACHE[ch] = 1.0 / FASTEST_PER_S.get(script, DEFAULT_PER_S)
    return cost


def shortest_speech_s(text: str, pace: float = 1.0) -> float:
    """The least time ``text`` can take to say at ``pace`` (1.0 normal) with any of the voices."""
    return sum(_seconds_per(ch) for ch in text if ch.isalnum()) / max(pace, 1e-6)


@dataclass(frozen=True)
class TooLong:
    """A text that cannot fit: the least speech it needs and the room there is (seconds)."""

    needs_s: float
    room_s: float
    words: int

    @property
    def cut_words(self) -> int:
        """About how many words to cut so that it could fit."""
        return max(1, round(self.words * (1 - self.room_s / self.needs_s)))

    def __str__(self) -> str:
        return (f"it needs at least {self.needs_s:.0f} s of speech even at the fastest pace, and there is room for "
                f"{self.room_s:.0f} s")


def check_speech_fits(texts: Iterable[str], room_s: float, fastest_pace: float = 1.0) -> TooLong | None:
    """None when ``texts`` may fit in ``room_s`` seconds spoken at up to ``fastest_pace``; else why not."""
    texts = list(texts)
    needs = sum(shortest_speech_s(text, fastest_pace) for text in texts)
    if needs <= room_s:
        return None
    return TooLong(needs_s=needs, room_s=max(0.0, room_s), words=sum(len(text.split()) for text in texts))
