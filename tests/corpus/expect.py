"""What a case expects of one facet: a small predicate language (documented in ``corpus.yaml``).

``"< before"``, ``"== 15±2"``, ``"15±2"``, ``"in 4:5, 1:1"``, ``'contains "Hola"'``, ``"before*0.5±5"``,
``"< baseline"``, ``"any"``, ``"unchanged"``, or a plain YAML value (number, bool, list, word) meaning equality.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from corpus import values
from corpus.facets import Title

COMPONENTS = {
    "canvas": ("canvas.w", "canvas.h", "canvas.fit", "canvas.ratio"),
    "video": ("video.kept", "video.volume"),
    "presenter": ("presenter.present",),
    "voiceover": ("voiceover.present", "voiceover.text", "voiceover.language", "voiceover.gender", "voiceover.pace",
                  "voiceover.volume", "voiceover.span"),
    "music": ("music.present", "music.source", "music.volume", "music.fade_in", "music.fade_out", "music.span"),
    "captions": ("captions.present", "captions.text", "captions.language", "captions.colour", "captions.position",
                 "captions.span"),
    "titles": ("titles",),
    "dubs": ("dubs",),
    "duration": ("duration",),
    "other": ("other",),
    "loudness": ("loudness",),
}
TITLE_FIELDS = ("text", "colour", "position", "start", "duration", "end")
DERIVED = ("titles.count", "titles.texts", "canvas")
SECONDS = {"duration", "music.fade_in", "music.fade_out", "title.start", "title.duration", "title.end",
           "voiceover.span", "music.span", "captions.span"}
TOLERANCE = {"seconds": 0.15, "volume": 1.0, "pace": 0.02, "ratio": 0.02, "count": 0.0}
OPS = ("==", "!=", "<=", ">=", "<", ">", "in", "!contains", "contains")
_NUMBER = r"-?\d+(?:\.\d+)?"
_REFERENCE = re.compile(rf"^(before|baseline)\s*(?:([*+\-])\s*({_NUMBER}))?$")
_TOLERANCE = re.compile(rf"^(.*?)\s*(?:±|\+-|\+/-)\s*({_NUMBER})$")


def known_facet(name: str) -> bool:
    """Whether ``name`` is a facet (or a component, or a derived facet) a case may name."""
    if name in COMPONENTS or name in DERIVED or any(name in names for names in COMPONENTS.values()):
        return True
    if name.startswith("title."):
        return name[6:] in TITLE_FIELDS
    return bool(re.fullmatch(r"dub\.[a-z]{2}\.text", name))


def component(name: str) -> str:
    """The component a facet belongs to: ``music.volume`` → music, ``title.colour`` → titles."""
    if name.startswith(("title.", "titles")):
        return "titles"
    if name.startswith(("dub.", "dubs")):
        return "dubs"
    return name.split(".")[0]


def kind_of(facet: str) -> str:
    if facet in SECONDS:
        return "seconds"
    if facet.endswith(".volume"):
        return "volume"
    if facet in ("canvas.ratio",):
        return "ratio"
    if facet.endswith(".pace"):
        return "pace"
    if facet.endswith(".colour"):
        return "colour"
    if facet.endswith(".position"):
        return "position"
    if facet.endswith(".language") or facet == "dubs":
        return "language"
    if facet == "video.kept":
        return "kept"
    if facet == "canvas":
        return "size"
    if facet in ("titles.count", "canvas.w", "canvas.h"):
        return "count"
    return "text" if facet.endswith((".text", ".texts", ".source")) else "exact"


@dataclass(frozen=True)
class Operand:
    """A literal value, or ``before``/``baseline`` (the facet's value then) with an optional ``* + -`` number."""

    reference: str | None
    value: Any = None
    arith: tuple[str, float] | None = None

    def resolve(self, before: Any, baseline: Any) -> Any:
        if self.reference is None:
            return self.value
        base = before if self.reference == "before" else baseline
        if self.arith is None or base is None:
            return base
        op, number = self.arith
        base = _number(base)
        return base * number if op == "*" else base + number if op == "+" else base - number


@dataclass(frozen=True)
class Check:
    """One facet's expectation."""

    facet: str
    op: str                      # any | unchanged | all (of ``parts``) | one of OPS
    operands: tuple[Operand, ...] = ()
    tolerance: float | None = None
    source: str = ""
    parts: tuple[Check, ...] = ()

    @property
    def uses_baseline(self) -> bool:
        return any(o.reference == "baseline" for o in self.operands) or any(p.uses_baseline for p in self.parts)

    @property
    def references(self) -> bool:
        return any(o.reference for o in self.operands) or any(p.references for p in self.parts)

    def holds(self, actual: Any, before: Any, baseline: Any) -> bool:
        if self.op == "all":
            return all(part.holds(actual, before, baseline) for part in self.parts)
        if self.op == "any":
            return True
        if self.op == "unchanged":
            return same(self.facet, before, actual)
        wanted = [o.resolve(before, baseline) for o in self.operands]
        tolerance = self.tolerance
        if self.op in ("==", "in"):
            return any(equal(self.facet, w, actual, tolerance) for w in wanted)
        if self.op == "!=":
            return not equal(self.facet, wanted[0], actual, tolerance)
        if self.op in ("contains", "!contains"):
            found = contains(actual, wanted[0])
            return found if self.op == "contains" else not found
        return ordered(self.op, actual, wanted[0])


def _number(value: Any) -> float:
    if isinstance(value, tuple):  # mixed levels: the loudest one counts
        value = max(value)
    return float(value)


def parse_check(facet: str, spec: Any) -> Check:
    """A facet's expectation from its YAML value; ``ValueError`` on an unknown facet or bad syntax."""
    if not known_facet(facet):
        raise ValueError(f"unknown facet {facet!r}")
    if not isinstance(spec, str):
        return Check(facet, "==", (Operand(None, _literal(facet, spec)),), source=repr(spec))
    text = spec.strip()
    if " & " in text:
        both = tuple(parse_check(facet, part) for part in text.split(" & "))
        return Check(facet, "all", source=text, parts=both)
    if text in ("any", "unchanged"):
        return Check(facet, text, source=text)
    op = next((o for o in OPS if text.startswith(o + " ") or text == o), "==")
    rest = text[len(op):].strip() if text.startswith(op) else text
    tolerance = None
    if op not in ("contains", "!contains") and (match := _TOLERANCE.match(rest)):
        rest, tolerance = match.group(1).strip(), float(match.group(2))
    parts = [p.strip() for p in rest.split(",")] if op == "in" else [rest]
    operands = tuple(_operand(facet, p, op) for p in parts if p)
    if not operands:
        raise ValueError(f"{facet}: {spec!r} names no value")
    if facet.startswith("title.") and any(o.reference for o in operands):  # the new title has no "before"
        raise ValueError(f"{facet}: compare the new title with a value, not with before/baseline")
    return Check(facet, op, operands, tolerance, source=text)


def _operand(facet: str, text: str, op: str) -> Operand:
    if op in ("contains", "!contains"):
        return Operand(None, text.strip().strip("\"'“”"))
    match = _REFERENCE.match(text)
    if match:
        arith = (match.group(2), float(match.group(3))) if match.group(2) else None
        return Operand(match.group(1), arith=arith)
    return Operand(None, _literal(facet, _scalar(text)))


def _scalar(text: str) -> Any:
    """A word from a predicate as YAML would read it: numbers, true/false/null, else the text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "none"):
        return None
    try:
        return float(text) if "." in text else int(text)
    except ValueError:
        return text.strip("\"'")


def _literal(facet: str, value: Any) -> Any:
    kind = kind_of(facet)
    if isinstance(value, list) and kind not in ("language", "kept"):
        return tuple(value)
    if kind == "ratio":
        parsed = values.ratio(value)
        if parsed is None:
            raise ValueError(f"{facet}: {value!r} is not a ratio like 4:5")
        return parsed
    if kind == "size":
        parsed_size = values.size(value)
        if parsed_size is None:
            raise ValueError(f"{facet}: {value!r} is not a size like 1080x1350")
        return parsed_size
    if kind == "language":
        if isinstance(value, list):
            return tuple(sorted(values.language_code(v) or v for v in value))
        code = values.language_code(value) if value is not None else None
        if value is not None and code is None:
            raise ValueError(f"{facet}: {value!r} is not a language")
        return code
    if kind == "colour" and values.rgb(value) is None:
        raise ValueError(f"{facet}: {value!r} is not a colour")
    if kind == "position":
        return values.position(value)
    if kind == "kept":
        return tuple(tuple(piece) for piece in value)
    return value


def equal(facet: str, wanted: Any, actual: Any, tolerance: float | None = None) -> bool:
    """``actual`` matches ``wanted`` the way a person would judge it (colour families, ratios within 2%, …)."""
    kind = kind_of(facet)
    tol = TOLERANCE.get(kind, 0.0) if tolerance is None else tolerance
    if wanted is None or actual is None or isinstance(wanted, bool) or isinstance(actual, bool):
        return wanted == actual
    if kind == "colour":
        return values.same_colour(wanted, actual)
    if kind == "position":
        return values.position(wanted) == values.position(actual)
    if kind == "language" and isinstance(wanted, str) and isinstance(actual, str):
        return values.language_code(wanted) == values.language_code(actual)
    if kind == "ratio":
        return abs(float(actual) / float(wanted) - 1) <= tol
    if kind == "kept":
        return _same_ranges(wanted, actual, tol)
    if kind == "text" and isinstance(wanted, str) and isinstance(actual, str):
        return " ".join(wanted.split()) == " ".join(actual.split())
    if isinstance(wanted, (int, float)) and isinstance(actual, (int, float)):
        return abs(float(actual) - float(wanted)) <= tol + 1e-9
    if isinstance(wanted, tuple) and isinstance(actual, tuple) and len(wanted) == len(actual):
        return all(equal(facet, w, a, tolerance) for w, a in zip(wanted, actual, strict=True))
    return wanted == actual


def _same_ranges(wanted: tuple[tuple[Any, ...], ...], actual: tuple[tuple[Any, ...], ...], tol: float) -> bool:
    """Kept ranges: ``[[3, 24]]`` (one source) or ``[[name, 3, 24], …]``; ends within ``tol`` seconds."""
    if len(wanted) != len(actual):
        return False
    for want, got in zip(wanted, actual, strict=True):
        if len(want) == 3 and want[0] != got[0]:
            return False
        if any(abs(float(w) - float(g)) > tol for w, g in zip(want[-2:], got[-2:], strict=True)):
            return False
    return True


def same(facet: str, before: Any, after: Any) -> bool:
    """Whether a facet is unchanged (within its usual tolerance)."""
    if facet == "titles":
        return len(before or ()) == len(after or ()) and all(
            same_title(a, b) for a, b in zip(before or (), after or (), strict=True))
    return equal(facet, before, after)


def same_title(a: Title, b: Title) -> bool:
    return (a.text == b.text and values.position(a.position) == values.position(b.position)
            and (a.colour == b.colour or values.same_colour(a.colour or "white", b.colour or "white"))
            and abs(a.start - b.start) <= TOLERANCE["seconds"] and abs(a.duration - b.duration) <= TOLERANCE["seconds"])


def contains(actual: Any, wanted: Any) -> bool:
    if isinstance(actual, (tuple, list)):
        return any(contains(item, wanted) for item in actual)
    if actual is None:
        return False
    return values.plain_text(wanted) in values.plain_text(actual)


def ordered(op: str, actual: Any, wanted: Any) -> bool:
    if actual is None or wanted is None:
        return False
    levels = actual if isinstance(actual, tuple) else (actual,)
    limit = _number(wanted)
    compare = {"<": float.__lt__, "<=": float.__le__, ">": float.__gt__, ">=": float.__ge__}[op]
    return all(compare(float(level), limit) for level in levels)
