"""SubRip subtitles: read cues, write cues, split long lines into readable cues."""
from __future__ import annotations

import re
from dataclasses import dataclass

_TIME = r"(\d{1,2}):(\d{2}):(\d{2})[,.](\d{1,3})"
_CUE = re.compile(rf"{_TIME}\s*-->\s*{_TIME}[^\n]*\n(.*?)(?:\n\s*\n|\Z)", re.DOTALL)
MAX_WORDS = 9  # words per caption cue: readable at a glance


@dataclass(frozen=True)
class Cue:
    start_ms: int
    end_ms: int
    text: str


def _ms(h: str, m: str, s: str, frac: str) -> int:
    return ((int(h) * 60 + int(m)) * 60 + int(s)) * 1000 + int(frac.ljust(3, "0")[:3])


def parse(text: str) -> list[Cue]:
    """The cues of an SRT document (numbers, styling and blank cues ignored)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n") + "\n\n"
    cues = []
    for match in _CUE.finditer(text):
        start, end = _ms(*match.groups()[0:4]), _ms(*match.groups()[4:8])
        body = re.sub(r"<[^>]+>|\{[^}]+\}", "", match.group(9)).strip()
        if body and end > start:
            cues.append(Cue(start, end, " ".join(body.split())))
    return cues


def _stamp(ms: int) -> str:
    h, rest = divmod(max(0, ms), 3600000)
    m, rest = divmod(rest, 60000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def format_srt(cues: list[Cue]) -> str:
    return "".join(f"{i}\n{_stamp(c.start_ms)} --> {_stamp(c.end_ms)}\n{c.text}\n\n" for i, c in enumerate(cues, 1))


def split_cue(cue: Cue, max_words: int = MAX_WORDS) -> list[Cue]:
    """A long cue as several shorter ones, timed in proportion to their characters."""
    words = cue.text.split()
    if len(words) <= max_words:
        return [cue]
    parts = [" ".join(words[i:i + max_words]) for i in range(0, len(words), max_words)]
    if len(parts) > 1 and len(parts[-1].split()) < 3:  # no one-word orphan at the end
        parts[-2:] = [parts[-2] + " " + parts[-1]]
    total = sum(len(p) for p in parts)
    out, start = [], cue.start_ms
    for part in parts:
        end = start + round((cue.end_ms - cue.start_ms) * len(part) / total)
        out.append(Cue(start, end, part))
        start = end
    return out
