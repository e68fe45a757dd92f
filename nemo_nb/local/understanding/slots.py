"""Step 5a: the typed slots of one clause — levels, times, colours, positions, languages, voices, pace,
frames, fades — read from its tokens and phrases."""
from __future__ import annotations

from nemo_nb.draft.colours import colour_value
from nemo_nb.local.understanding import platforms
from nemo_nb.local.understanding.clauses import Clause
from nemo_nb.local.understanding.hearing import sidecar
from nemo_nb.local.understanding.intent import Level, Pace, Slots
from nemo_nb.local.understanding.numbers import is_number
from nemo_nb.local.understanding.times import (
    HOUR_UNITS,
    MINUTE_UNITS,
    MS_UNITS,
    RATIOS,
    SECOND_UNITS,
    quantities,
    read_when,
)

TIME_UNITS = SECOND_UNITS | MINUTE_UNITS | HOUR_UNITS | MS_UNITS
PERCENT_WORDS = frozenset({"%", "percent", "pct", "prozent", "por", "pourcent"})
LEVEL_LEADS = frozenset({"to", "at", "volume", "level", "around", "about", "like", "maybe", "approximately", "到",
                         "为", "成"})
DOWN_FACTORS = {"small": 0.75, None: 0.6, "large": 0.4}
UP_FACTORS = {"small": 1.25, None: 1.5, "large": 2.0}
PACE_STEPS = {"small": 0.07, None: 0.12, "large": 0.2}
BIG = frozenset({"big", "bigger", "large", "larger", "huge", "bold", "giant", "大"})
SMALL = frozenset({"small", "smaller", "tiny", "little", "小"})


def read(clause: Clause, trim: bool = False) -> Slots:
    """Every slot the clause fills (``trim``: "to 15 seconds" is a total length)."""
    lexed = clause.lexed
    tokens = clause.tokens
    slots = Slots(when=read_when(tokens, trim=trim))
    slots.level = level(clause)
    colour = next((v for v in lexed.values("colour")), None) or next((t for t in tokens if t.startswith("#")), None)
    slots.colour = colour_value(colour) if colour else None
    slots.position = lexed.first("position")
    slots.languages = list(dict.fromkeys(lexed.values("language")))
    slots.gender = lexed.first("gender")
    slots.pace = pace(clause)
    slots.ratio, slots.exact_size = frame(tokens)
    slots.platform = lexed.first("platform")
    if slots.ratio is None:
        slots.ratio = lexed.first("shape") or (platforms.BY_NAME[slots.platform].ratio if slots.platform else None)
    size = lexed.first("size")
    slots.size = int(size) if size else None
    slots.fit = lexed.first("fit")
    slots.mood = lexed.first("mood")
    fades(clause, slots)
    slots.uploads = clause.files()
    ordinal = lexed.first("ordinal")
    slots.ordinal = int(ordinal) if ordinal else None
    slots.spread = lexed.has("spread")
    slots.big = 1 if BIG & set(tokens) else -1 if SMALL & set(tokens) and not lexed.has("magnitude") else 0
    if any(t in ("duck", "ducking", "ducked") for t in tokens) and lexed.has("negation"):
        slots.duck = False
    slots.sidecar = sidecar(clause)
    slots.loudness = loudness(clause)
    return slots


LUFS_UNITS = frozenset({"lufs", "lkfs"})
NEGATIVE = frozenset({"-", "minus", "negative", "负"})


def loudness(clause: Clause) -> float | None:
    """LUFS asked for: "-16 LUFS", "16 LUFS" (always negative), "normalize to minus 18", "for a podcast" (-16)."""
    tokens = clause.tokens
    named = "loudness" in clause.targets()
    for i, token in enumerate(tokens):
        if not is_number(token):
            continue
        unit = tokens[i + 1] if i + 1 < len(tokens) else ""
        signed = i > 0 and tokens[i - 1] in NEGATIVE
        if unit in LUFS_UNITS or (named and (signed or (i > 0 and tokens[i - 1] in LEVEL_LEADS))):
            return -abs(float(token))
    use = clause.lexed.first("loudness_use")
    return float(use) if use else None


def _magnitude(clause: Clause) -> str | None:
    return clause.lexed.first("magnitude")


def level(clause: Clause) -> Level | None:
    """A volume: 35%, "by 10%", "to 60", "half as loud", "a bit quieter", "louder"."""
    tokens = clause.tokens
    direction = clause.lexed.first("direction")
    verbs = clause.verbs()
    if direction is None and "lower" in verbs:
        direction = "down"
    if direction is None and "raise" in verbs:
        direction = "up"
    for i, token in enumerate(tokens):
        if not is_number(token):
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        before = tokens[i - 1] if i else ""
        value = float(token)
        percent = after in PERCENT_WORDS or (after == "per" and tokens[i + 2:i + 3] == ["cent"])
        if percent or (before in LEVEL_LEADS and after not in TIME_UNITS and after not in ("x", "×", ":")
                       and value <= 200):
            if before == "by" or (after in PERCENT_WORDS and tokens[i + 2:i + 3] and tokens[i + 2] in (
                    "louder", "quieter", "lower", "higher", "softer", "more", "less", "up", "down")):
                return Level(points=round(value), direction=direction or "down")
            return Level(percent=round(value), direction=direction)
    factor = clause.lexed.first("factor")
    if factor:
        return Level(factor=float(factor), direction="down" if float(factor) < 1 else "up")
    if direction in ("down", "up"):
        table = DOWN_FACTORS if direction == "down" else UP_FACTORS
        return Level(factor=table.get(_magnitude(clause), table[None]), direction=direction)
    named = clause.lexed.first("level")
    if named:
        return Level(percent=int(named))
    return None


def level_for(direction: str, clause: Clause) -> Level:
    """A change up or down by the clause's magnitude ("a touch", "much")."""
    table = DOWN_FACTORS if direction == "down" else UP_FACTORS
    return Level(factor=table.get(_magnitude(clause), table[None]), direction=direction)


def pace(clause: Clause) -> Pace | None:
    """A speaking pace: "at 1.2x", "slowly", "a bit faster"."""
    tokens = clause.tokens
    for i, token in enumerate(tokens):
        if is_number(token) and tokens[i + 1:i + 2] in (["x"], ["×"], ["times"]) and 0.5 <= float(token) <= 2:
            return Pace(multiplier=float(token))
        following = tokens[i + 1] if i + 1 < len(tokens) else ""
        if token in ("x", "×") and is_number(following) and 0.5 <= float(following) <= 2:
            return Pace(multiplier=float(following))
    direction = clause.lexed.first("pace")
    if direction is None:
        return None
    return Pace(direction=direction, step=PACE_STEPS.get(_magnitude(clause), PACE_STEPS[None]))


def frame(tokens: list[str]) -> tuple[str | None, tuple[int, int] | None]:
    """(ratio, exact size): ``4:5``, ``1080x1350``, ``1080 by 1920``."""
    for i, token in enumerate(tokens):
        if token in RATIOS:
            return token, None
        if is_number(token) and i + 2 < len(tokens) and tokens[i + 1] in ("x", "×", "by", "*", "/", "to") \
                and is_number(tokens[i + 2]):
            width, height = float(token), float(tokens[i + 2])
            if f"{token}:{tokens[i + 2]}" in RATIOS and tokens[i + 1] != "to":
                return f"{token}:{tokens[i + 2]}", None  # "9 by 16", "4x5"
            if 16 <= width <= 7680 and 16 <= height <= 7680 and width == int(width) and height == int(height) \
                    and max(width, height) >= 100:
                return None, (int(width), int(height))
    return None, None


def fades(clause: Clause, slots: Slots) -> None:
    """Fade in/out lengths ("fade out over 3 seconds", "fade in 2s", "fade in and out"), or longer/shorter."""
    tokens = clause.tokens
    found = quantities(tokens)
    for m in clause.lexed.matches:
        which = m.value("fade")
        if which is None and m.value("verb") == "fade":
            near = tokens[m.end:m.end + 3]
            which = "in" if "in" in near else "out" if "out" in near else None
            if ("in" in near and tokens[m.end:m.end + 4].count("out")) or which is None:
                which = "both"  # "fade in and out", "no fade on the music"
        if which is None:
            continue
        length = next((q for q in found if m.end <= q.start <= m.end + 8), None)
        value = length.ms if length else None
        for side in (("in", "out") if which == "both" else (which,)):
            setattr(slots, f"fade_{side}", value if value is not None else getattr(slots, f"fade_{side}"))
        if value is None:
            text = " ".join(tokens)
            if clause.lexed.has("no") or clause.lexed.has("negation") or "remove" in clause.verbs():
                value = 0  # "no fade on the music"
                for side in (("in", "out") if which in ("both", None) or " ".join(tokens[m.start:m.end]) == "fade"
                             else (which,)):
                    setattr(slots, f"fade_{side}", 0)
                continue
            if any(w in text for w in ("longer", "slower", "slowly", "gradual", "gentle", "gently", "smoother")):
                slots.fade_change = "longer"
            elif any(w in text for w in ("shorter", "quicker", "faster", "quickly", "sharper", "abrupt")):
                slots.fade_change = "shorter"
            if slots.fade_change and which != "both":
                setattr(slots, f"fade_{which}", None)
                slots.fade_change = f"{slots.fade_change}:{which}"
