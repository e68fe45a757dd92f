"""Reading ``corpus.yaml`` into cases, refusing anything malformed (unknown keys, facets, setups)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.expect import parse_check
from corpus.judge import Reading
from corpus.setups import SETUPS

CORPUS = Path(__file__).with_name("corpus.yaml")
KINDS = ("opposite", "question", "compound", "phrasing", "slot", "translation", "typo", "aspect", "ambiguous",
         "long")
STYLES = ("plain", "marketer", "teacher", "youtuber", "terse", "chatty", "non-native", "caps", "emoji", "typo",
          "chinese")
KEYS = {"id", "style", "setup", "say", "expect", "reply", "reply_any", "reply_not", "baseline", "wait", "note"}


@dataclass(frozen=True)
class Case:
    id: str
    style: str
    setup: str
    say: tuple[str, ...]
    readings: tuple[Reading, ...]
    reply: tuple[str, ...] = ()        # every one of these appears in the reply (case-insensitive)
    reply_any: tuple[str, ...] = ()    # at least one appears
    reply_not: tuple[str, ...] = ()    # none appears
    baseline: str | None = None        # a message whose outcome ``baseline`` predicates compare with
    wait: bool = False                 # the messages before the last must not change the draft
    note: str = ""

    @property
    def kind(self) -> str:
        return self.id.rsplit("-", 1)[0]


def reading(spec: Any) -> Reading:
    if spec in ("nothing", "asks"):
        return Reading(spec)
    if not isinstance(spec, dict) or not spec:
        raise ValueError(f"a reading is nothing, asks or a mapping of facets, not {spec!r}")
    return Reading("edit", tuple(parse_check(str(facet), predicate) for facet, predicate in spec.items()))


_REPEAT = re.compile(r"<<repeat (\d{1,5}):(.*?)>>", re.DOTALL)


def expand(text: str) -> str:
    """``<<repeat 300:please >>`` → "please " 300 times (long messages without a long data file)."""
    return _REPEAT.sub(lambda m: m.group(2) * int(m.group(1)), text)


def _texts(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    return tuple(expand(str(item)) for item in items)


def case(raw: dict[str, Any]) -> Case:
    name = raw.get("id", "?")
    try:
        unknown = set(raw) - KEYS
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}")
        if not re.fullmatch(rf"({'|'.join(KINDS)})-\d{{3}}", str(name)):
            raise ValueError("an id is <kind>-NNN with a known kind")
        if raw.get("setup") not in SETUPS:
            raise ValueError(f"unknown setup {raw.get('setup')!r}")
        if raw.get("style", "plain") not in STYLES:
            raise ValueError(f"unknown style {raw.get('style')!r}")
        said = _texts(raw.get("say"))
        if not said or not all(s.strip() for s in said):
            raise ValueError("say: one message or a list of them")
        expected = raw.get("expect")
        readings = tuple(reading(r) for r in (expected if isinstance(expected, list) else [expected]))
        built = Case(str(name), raw.get("style", "plain"), raw["setup"], said, readings, _texts(raw.get("reply")),
                     _texts(raw.get("reply_any")), _texts(raw.get("reply_not")), raw.get("baseline"),
                     bool(raw.get("wait")), str(raw.get("note") or ""))
        if built.wait and len(said) < 2:
            raise ValueError("wait: needs at least two messages")
        if any(c.uses_baseline for r in readings for c in r.checks) and not built.baseline:
            raise ValueError("a baseline predicate needs a baseline message")
        return built
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{name}: {exc}") from exc


def load(path: Path = CORPUS) -> list[Case]:
    """Every case of the corpus, in file order; ``ValueError`` names the first malformed case."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [case(raw) for raw in data]
    seen: set[str] = set()
    for item in cases:
        if item.id in seen:
            raise ValueError(f"{item.id}: the id is used twice")
        seen.add(item.id)
    return cases
