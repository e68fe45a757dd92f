"""Judging one outcome against one reading of a case: the named facets hold, nothing else changed.

The "never touch what the user did not mention" rule: every facet a reading does not name must be unchanged,
except for what naming it implies (documented at the top of ``corpus.yaml``):

- a component whose presence changed (music added, captions removed) may change in every facet;
- naming a component's facet frees what is fitted from it (a voiceover's span and pace, music's and
  captions' spans);
- a timeline edit (``video.kept`` or ``duration`` named) moves and cuts everything on the timeline: spans,
  durations, voiceover/caption/dub text may change, titles may be cut away but not restyled;
- a new or changed voiceover or dub may lower (never raise) the video's own sound, and captions and dubs
  may follow the new voiceover's words;
- the first clip placed on an empty timeline sets the clip, canvas and duration.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from corpus.expect import COMPONENTS, TOLERANCE, Check, component, ordered, same, same_title
from corpus.facets import Title

PRESENCE = {name: f"{name}.present" for name in ("voiceover", "music", "captions", "presenter")}
FITTED = {"voiceover": ("voiceover.span", "voiceover.pace"), "music": ("music.span",),
          "captions": ("captions.span",)}
MOVED_BY_TIMELINE_EDITS = ("duration", "music.span", "music.fade_out", "voiceover.span", "voiceover.text",
                           "captions.span", "captions.text")


@dataclass(frozen=True)
class Reading:
    """One acceptable reading of a request: an edit (checks on facets), ``nothing`` or ``asks``."""

    mode: str                         # edit | nothing | asks
    checks: tuple[Check, ...] = ()

    @property
    def named(self) -> set[str]:
        return {c.facet for c in self.checks}

    def describe(self) -> str:
        if self.mode != "edit":
            return self.mode
        return ", ".join(f"{c.facet} {c.source}" for c in self.checks)


@dataclass
class Verdict:
    problems: list[str] = field(default_factory=list)     # what was asked and did not happen
    collateral: list[str] = field(default_factory=list)   # what changed and was not asked

    @property
    def ok(self) -> bool:
        return not self.problems and not self.collateral


def new_title(before: dict[str, Any], after: dict[str, Any]) -> tuple[list[Title], list[Title]]:
    """(titles that are new or changed, titles that are gone), matched as multisets."""
    left = list(before.get("titles") or ())
    new = []
    for title in after.get("titles") or ():
        match = next((i for i, old in enumerate(left) if same_title(old, title)), None)
        if match is None:
            new.append(title)
        else:
            left.pop(match)
    return new, left


def value(facet: str, snap: dict[str, Any] | None, before: dict[str, Any]) -> Any:
    """A facet's value in a snapshot; ``title.*`` reads the one new or changed title (``KeyError`` if not one)."""
    if snap is None:
        return None
    if facet == "canvas":
        return (snap.get("canvas.w"), snap.get("canvas.h"))
    if facet == "titles.count":
        return len(snap.get("titles") or ())
    if facet == "titles.texts":
        return tuple(t.text for t in snap.get("titles") or ())
    if facet.startswith("title."):
        new, _ = new_title(before, snap)
        if len(new) != 1:
            raise KeyError(f"expected one new or changed title, found {len(new)}: {[t.text for t in new]}")
        return getattr(new[0], facet[6:])
    return snap.get(facet)


def judge(reading: Reading, before: dict[str, Any], after: dict[str, Any], draft_unchanged: bool,
          baseline: dict[str, Any] | None = None) -> Verdict:
    verdict = Verdict()
    if reading.mode in ("nothing", "asks"):
        if not draft_unchanged:
            changed = changes(before, after, set(), implied=False)
            verdict.problems.append("the draft changed: " + ("; ".join(changed) or "(outside the facets)"))
            verdict.collateral.extend(changed or ["draft"])
        return verdict
    for check in reading.checks:
        try:
            actual = value(check.facet, after, before)
        except KeyError as exc:
            verdict.problems.append(f"{check.facet}: {exc.args[0]}")
            continue
        earlier = None if check.facet.startswith("title.") else value(check.facet, before, before)
        reference = value(check.facet, baseline, baseline or {}) if check.uses_baseline else None
        if not check.holds(actual, earlier, reference):
            then = f" (before {_show(earlier)})" if not check.facet.startswith("title.") else ""
            base = f" (baseline {_show(reference)})" if check.uses_baseline else ""
            verdict.problems.append(f"{check.facet}: wanted {check.source}, got {_show(actual)}{then}{base}")
    verdict.collateral.extend(changes(before, after, reading.named))
    return verdict


def changes(before: dict[str, Any], after: dict[str, Any], named: set[str], *, implied: bool = True) -> list[str]:
    """The facets that changed although ``named`` (and, when ``implied``, what naming them implies) does not
    free them."""
    free, lower_ok = freed(named, before, after) if implied else (set(), set())
    out = []
    for facet in sorted((set(before) | set(after)) - free):
        old, new = before.get(facet), after.get(facet)
        if facet == "titles" and "titles" in lower_ok:
            out += _titles_cut_only(old or (), new or (), allowed=1 if "title-edit" in free else 0)
            continue
        if facet == "titles" and "title-edit" in free:
            out += _other_titles_kept(before, after)
            continue
        if facet in lower_ok and old is not None and new is not None and ordered("<=", new, old):
            continue
        if not same(facet, old, new):
            out.append(f"{facet}: {_show(old)} → {_show(new)}")
    return out


def freed(named: set[str], before: dict[str, Any], after: dict[str, Any]) -> tuple[set[str], set[str]]:
    """(facets free to change, facets free to go down) given the named facets; ``titles`` in the second set
    means titles may be cut away by a timeline edit, ``title-edit`` in the first that one title may change."""
    keys = set(before) | set(after)
    dub_texts = {k for k in keys if k.startswith("dub.")}
    free: set[str] = set()
    lower_ok: set[str] = set()
    parts = {component(n) for n in named}
    for name in named:
        part = component(name)
        if name.startswith("title."):
            free.add("title-edit")
        elif part == "titles":
            free.add("titles")
        elif part == "canvas" and name != "canvas.fit":
            free |= set(COMPONENTS["canvas"])
        elif part == "dubs":
            free |= {"dubs"} | dub_texts
        elif name in COMPONENTS:
            free |= set(COMPONENTS[name]) | (dub_texts if name == "dubs" else set())
        else:
            free.add(name)
    for part in parts:
        presence = PRESENCE.get(part)
        if presence and before.get(presence) != after.get(presence):
            free |= set(COMPONENTS[part])
        free |= set(FITTED.get(part, ()))
    if {"video.kept", "duration", "video"} & named:
        free |= set(MOVED_BY_TIMELINE_EDITS) | dub_texts
        if "titles" not in free:
            lower_ok.add("titles")
    if parts & {"voiceover", "dubs"}:
        lower_ok.add("video.volume")
        free |= {"captions.text", "captions.span", "captions.language"} | dub_texts
    if not before.get("video.kept") and after.get("video.kept"):
        free |= {"video.kept", "video.volume", "duration"}
        if before.get("canvas.w") is None:
            free |= set(COMPONENTS["canvas"])
    return free, lower_ok


def _titles_cut_only(old: tuple[Title, ...], new: tuple[Title, ...], allowed: int) -> list[str]:
    """A timeline edit may cut titles away but not restyle them; ``allowed`` titles may be new."""
    extra = Counter(t.looks() for t in new) - Counter(t.looks() for t in old)
    if sum(extra.values()) <= allowed:
        return []
    return [f"titles: {text!r} appeared or changed style in a timeline edit" for text, _, _ in extra]


def _other_titles_kept(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """With one title asked for or changed, every other title stays as it was."""
    new, gone = new_title(before, after)
    if len(gone) > 1 or (gone and not new):
        return [f"titles: removed {[t.text for t in gone]}"]
    if gone and not any(_related(gone[0], t) for t in new):
        return [f"titles: {gone[0].text!r} was replaced by {[t.text for t in new]}"]
    return []


def _related(old: Title, new: Title) -> bool:
    """The same title edited: its words kept, or its place kept."""
    return old.text == new.text or (old.position == new.position
                                     and abs(old.start - new.start) <= TOLERANCE["seconds"])


def _show(value: Any) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], Title):
        return "[" + ", ".join(f"{t.text!r} {t.colour} {t.position} {t.start}+{t.duration}s" for t in value) + "]"
    if isinstance(value, str) and len(value) > 80:
        return repr(value[:77] + "…")
    return repr(value)
