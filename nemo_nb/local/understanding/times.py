"""Times in a clause's tokens: ``5s``, ``5 seconds``, ``1m05s``, ``00:01:05``, ``0:10-0:20``, ``from 3s to 7s``,
``between 20 and 23 seconds``, ``from 1s for 2 seconds``, ``the first/last N seconds``, ``N seconds total``,
``everything after 15 s``, ``at the end``; Chinese ``前5秒``, ``最后10秒``, ``第3秒到第7秒``, ``1分05秒``.

Number words are digits already (``numbers``). ``read_when`` returns one ``When``: what a title, a trim
or a fade needs of the clause's times.
"""
from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from nemo_nb.local.understanding.numbers import is_number

SECOND_UNITS = frozenset({"s", "sec", "secs", "second", "seconds", "秒", "seg", "segundos"})
MINUTE_UNITS = frozenset({"m", "min", "mins", "minute", "minutes", "分钟", "分"})
HOUR_UNITS = frozenset({"h", "hr", "hrs", "hour", "hours", "小时"})
MS_UNITS = frozenset({"ms", "millisecond", "milliseconds", "毫秒"})
RATIOS = frozenset({"16:9", "9:16", "1:1", "4:5", "5:4", "4:3", "3:4", "21:9", "9:21", "2:3", "3:2", "1:2", "2:1"})
JOINERS = frozenset({"to", "until", "till", "through", "thru", "and", "-", "~", "到", "至", "–"})
FIRST_WORDS = frozenset({"first", "opening", "beginning", "start", "前", "头", "开头", "initial"})
LAST_WORDS = frozenset({"last", "final", "ending", "end", "closing", "最后", "结尾", "末尾", "后"})
LASTING = frozenset({"title", "it", "text", "caption", "captions", "music", "overlay", "they", "that", "words"})
TOTAL_WORDS = frozenset({"total", "long", "overall", "length", "长", "总共", "总长"})
DURATION_WORDS = frozenset({"for", "over", "lasting", "during", "持续"})


@dataclass(frozen=True)
class Quantity:
    """A time found at tokens ``start:end``: ``ms``, or a bare number (``unit_known`` False)."""

    start: int
    end: int
    ms: int
    unit_known: bool = True


@dataclass(frozen=True)
class When:
    """What a clause says about time (ms): a span (``start``/``end``), a length, an anchor at the start or
    end of the video (``first`` / ``last`` N ms), everything ``after``/``before`` a point, or a total length."""

    start: int | None = None
    end: int | None = None
    duration: int | None = None
    anchor: str | None = None    # "first" | "last" | "after" | "before" | "end" | "whole"
    total: int | None = None     # "make it 12 seconds total"
    fraction: float | None = None  # "the first half": a share of the video instead of a length

    def span(self, video_ms: int, default_ms: int) -> tuple[int, int]:
        """(start, end) in ms on a video of ``video_ms``; ``default_ms`` when only a start is known."""
        if self.anchor == "whole":
            return 0, video_ms
        if self.fraction is not None:
            share = round(video_ms * self.fraction)
            return (0, share) if self.anchor == "first" else (video_ms - share, video_ms)
        if self.anchor == "first":
            return 0, min(video_ms, self.duration or default_ms)
        if self.anchor == "last":
            length = min(video_ms, self.duration or default_ms)
            return video_ms - length, video_ms
        if self.anchor == "after" and self.start is not None:
            return self.start, video_ms
        if self.anchor == "before" and self.end is not None:
            return 0, self.end
        if self.anchor == "end":
            length = self.duration or default_ms
            return max(0, video_ms - length), video_ms
        if self.total is not None:
            return 0, self.total
        start = self.start if self.start is not None else 0
        if self.end is not None:
            return start, self.end
        return start, start + (self.duration or default_ms)


def clock_ms(token: str) -> int | None:
    """``1:45`` → 105000, ``00:01:05`` → 65000, ``1:02.5`` → 62500; None for a ratio like ``9:16``."""
    parts = token.split(":")
    if len(parts) < 2 or (token in RATIOS and len(parts) == 2):
        return None
    try:
        *whole, last = parts
        seconds_ok = len(last.split(".")[0]) == 2 and last.replace(".", "", 1).isdigit()
        if any(not p.isdigit() for p in whole) or not seconds_ok:
            return None
        seconds = 0.0
        for part in whole:
            seconds = seconds * 60 + int(part)
        return round((seconds * 60 + float(last)) * 1000)
    except ValueError:
        return None


def _unit_ms(unit: str) -> int | None:
    if unit in SECOND_UNITS:
        return 1000
    if unit in MINUTE_UNITS:
        return 60_000
    if unit in HOUR_UNITS:
        return 3_600_000
    if unit in MS_UNITS:
        return 1
    return None


def quantities(tokens: list[str]) -> list[Quantity]:
    """Every time in ``tokens``, in order; compound ``1 m 05 s`` / ``1 minute 5 seconds`` as one."""
    found: list[Quantity] = []
    i = 0
    while i < len(tokens):
        word = tokens[i]
        clock = clock_ms(word) if ":" in word else None
        if clock is not None:
            found.append(Quantity(i, i + 1, clock))
            i += 1
            continue
        if word in ("second", "秒") and i + 1 < len(tokens) and is_number(tokens[i + 1]):
            found.append(Quantity(i, i + 2, round(float(tokens[i + 1]) * 1000)))  # "from second five"
            i += 2
            continue
        if is_number(word):
            total, j = 0.0, i
            while j + 1 < len(tokens) and is_number(tokens[j]) and (unit := _unit_ms(tokens[j + 1])) is not None:
                total += float(tokens[j]) * unit
                j += 2
            if j > i:
                found.append(Quantity(i, j, round(total)))
                i = j
                continue
            if float(word) < 100_000:
                found.append(Quantity(i, i + 1, round(float(word) * 1000), unit_known=False))
        elif word in ("minute", "second") and i >= 1 and tokens[i - 1] in FIRST_WORDS | LAST_WORDS:
            found.append(Quantity(i, i + 1, 60_000 if word == "minute" else 1000))  # "the first minute"
        i += 1
    return found


def _between(tokens: list[str], a: Quantity, b: Quantity) -> list[str]:
    return [t for t in tokens[a.end:b.start] if t not in ("the", "second", "第", "秒")]


def _before(tokens: list[str], q: Quantity, width: int = 3) -> list[str]:
    """The ``width`` words before a time, articles left out ("after the 20 second mark")."""
    words = [t for t in tokens[max(0, q.start - width - 2):q.start] if t not in ("the", "a", "an")]
    return words[-width:]


def read_when(tokens: list[str], *, trim: bool = False) -> When | None:
    """The clause's time (see ``When``); ``trim`` reads "to 15 seconds" as a total length."""
    found = quantities(tokens)
    words = set(tokens)
    timed = [q for q in found if q.unit_known]
    for a, b in pairwise(found):
        joined = _between(tokens, a, b)
        lead = _before(tokens, a, 2)
        if not (a.unit_known or b.unit_known):
            continue
        a_ms = a.ms if a.unit_known else _same_unit(a, b, tokens)
        if len(joined) == 1 and joined[0] in JOINERS and (joined[0] != "and" or "between" in lead):
            if joined[0] in ("to", "until", "till") and not ({"from", "between", "第", "从"} & set(lead)) \
                    and trim and not a.unit_known:
                continue
            return When(start=a_ms, end=b.ms)
        if joined and joined[-1] in DURATION_WORDS and len(joined) <= 2 and b.unit_known:
            return When(start=a_ms, duration=b.ms)
    if not timed:
        return _word_only(tokens, words)
    roles: dict[str, int] = {}
    for q in timed:
        roles.setdefault(_role(tokens, q, trim), q.ms)
    for anchor in ("first", "last"):
        if anchor in roles:
            return When(anchor=anchor, duration=roles[anchor])
    if "total" in roles:
        return When(total=roles["total"])
    if "after" in roles:
        return When(anchor="after", start=roles["after"])
    start, duration, end = roles.get("start"), roles.get("duration"), roles.get("end")
    if end is not None:
        return When(start=start, end=end) if start is not None else When(anchor="before", end=end)
    if start is None and duration is not None:
        return _with_anchor(tokens, words, When(duration=duration))
    return When(start=start, duration=duration)


def _role(tokens: list[str], q: Quantity, trim: bool) -> str:
    """What one time says: first/last N, a total length, everything after, an end, a length, or a start."""
    lead = _before(tokens, q, 3)
    after = tokens[q.end:q.end + 3]
    if lead[-1:] == ["last"] and lead[-2:-1] and lead[-2] in LASTING:
        return "duration"  # "make the title last 5 seconds"
    if set(lead) & FIRST_WORDS or after in (["off", "the", "start"], ["off", "the", "beginning"],
                                            ["from", "the", "start"], ["from", "the", "beginning"]):
        return "first"
    if set(lead) & (LAST_WORDS - {"end", "ending"}) or after in (["off", "the", "end"], ["from", "the", "end"]):
        return "last"
    if set(after[:2]) & TOTAL_WORDS or (trim and lead[-1:] == ["to"] and "from" not in lead) or lead[-1:] == ["be"] \
            or after[:1] in (["cut"], ["version"], ["edit"], ["spot"], ["ad"], ["teaser"]):  # "a 15s cut"
        return "total"  # "12 seconds total", "trim it to 15 s", "… should be 15 seconds"
    if lead[-1:] in (["after"], ["past"], ["beyond"]) or after[:1] in (["之后"], ["以后"]):
        return "after"
    if lead[-1:] in (["before"], ["until"], ["till"]) or after[:1] in (["之前"], ["以前"]) or (
            lead[-1:] == ["at"] and {"end", "ends", "stop", "finish"} & set(lead)):
        return "end"
    if set(lead[-2:]) & DURATION_WORDS:
        return "duration"
    return "start"


def _same_unit(a: Quantity, b: Quantity, tokens: list[str]) -> int:
    """A bare number before a timed one takes its unit: "between 20 and 23 seconds"."""
    units = [unit for t in tokens[b.start + 1:b.end] if (unit := _unit_ms(t))]
    return round(a.ms / 1000 * (units[0] if units else 1000))


def _with_anchor(tokens: list[str], words: set[str], when: When) -> When:
    """A length ("for 3 seconds") placed by words: "at the end", "at the start"."""
    if {"end", "ending", "结尾", "最后"} & words and not {"first", "beginning", "start"} & words:
        return When(anchor="end", duration=when.duration)
    return when


def _word_only(tokens: list[str], words: set[str]) -> When | None:
    """Times said without numbers: at the start, at the end, throughout, the first or second half."""
    text = " ".join(tokens)
    for share, fraction in (("half", 0.5), ("third", 1 / 3), ("quarter", 0.25)):
        if f"first {share}" in text:
            return When(anchor="first", fraction=fraction)
        if f"last {share}" in text or f"second {share}" in text:
            return When(anchor="last", fraction=fraction)
    if {"throughout"} & words or any(p in text for p in ("whole video", "whole time", "entire video",
                                                         "all the time", "whole thing", "全程", "整个")):
        return When(anchor="whole")
    if any(p in text for p in ("at the end", "at the ending", "in the end", "end of the video", "结尾", "最后")):
        return When(anchor="end")
    if any(p in text for p in ("at the start", "at the beginning", "at the opening", "in the beginning",
                               "开头", "开始")):
        return When(start=0)
    return None
