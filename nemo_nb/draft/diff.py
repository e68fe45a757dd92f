"""What an edit changed, in plain sentences: ``Draft.diff(before)``."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_nb.draft.fields import SEGMENT_FIELDS
from nemo_nb.draft.views import as_int, secs, segment_name, short, span, track_body

if TYPE_CHECKING:  # pragma: no cover
    from nemo_nb.draft.model import Draft, Segment, Track

# Fields a diff describes in their own sentences (timing, volume, text, media), or does not mention;
# every other field of the schema is style: "Title: changed position, colour."
_DESCRIBED = ("id", "st", "d", "src", "url", "ss", "n", "v", "tx")


def diff(before: Draft, after: Draft) -> list[str]:
    """What changed from ``before`` to ``after``, in plain sentences; ``[]`` when nothing did."""
    changes = _canvas_changes(before.canvas, after.canvas)
    old, new = _keyed_tracks(before), _keyed_tracks(after)
    changes += [f"Removed the {t.label} track." for key, t in old.items() if key not in new]
    for key, track in new.items():
        changes += _track_changes(old.get(key), track)
    if before.duration_ms != after.duration_ms:
        changes.append(f"Duration {secs(before.duration_ms)}s → {secs(after.duration_ms)}s.")
    return changes


def _canvas_text(canvas: dict[str, Any] | None) -> str | None:
    if canvas is None:
        return None
    text = f"{as_int(canvas.get('w'))}x{as_int(canvas.get('h'))}"
    fit = canvas.get("fit")
    return text if fit in (None, "fit", "blur") else f"{text} ({fit})"


def _canvas_changes(old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    before, after = _canvas_text(old), _canvas_text(new)
    if before == after:
        return []
    if before is None:
        return [f"Canvas set to {after}."]
    if after is None:
        return [f"Canvas setting removed (was {before})."]
    return [f"Canvas changed from {before} to {after}."]


def _keyed_tracks(draft: Draft) -> dict[tuple[Any, ...], Track]:
    """Tracks keyed by their ``id`` when they have one, else by type and rank within that type."""
    keyed: dict[tuple[Any, ...], Track] = {}
    ranks: dict[int, int] = {}
    for track in draft.tracks:
        track_id = track.raw.get("id")
        if isinstance(track_id, str) and track_id:
            key: tuple[Any, ...] = ("id", track_id)
        else:
            ranks[track.type] = ranks.get(track.type, 0) + 1
            key = ("tt", track.type, ranks[track.type])
        keyed.setdefault(key, track)
    return keyed


def _match_segments(
    old: list[Segment], new: list[Segment],
) -> tuple[list[tuple[Segment, Segment]], list[Segment], list[Segment]]:
    """(pairs, removed, added): matched by ``id``, segments without one by position among themselves."""
    by_id: dict[str, Segment] = {}
    for seg in old:
        if seg.id is not None:
            by_id.setdefault(seg.id, seg)
    without_id = iter([s for s in old if s.id is None])
    pairs, added = [], []
    for seg in new:
        match = by_id.pop(seg.id, None) if seg.id is not None else next(without_id, None)
        if match is None:
            added.append(seg)
        else:
            pairs.append((match, seg))
    paired = {id(a.raw) for a, _ in pairs}
    return pairs, [s for s in old if id(s.raw) not in paired], added


def _article(word: str) -> str:
    return "an" if word[:1] in "AEIOU" else "a"


def _track_changes(old: Track | None, new: Track) -> list[str]:
    if old is None:
        if not new.segments:
            return [f"Added an empty {new.label} track."]
        return [f"Added {_article(new.label)} {new.label} track: {track_body(new)}."]
    pairs, removed, added = _match_segments(old.segments, new.segments)
    several = len(old.segments) > 1 or len(new.segments) > 1
    changes = [f"{new.label}: removed {segment_name(old.type, s)}." for s in removed]
    for before, after in pairs:
        subject = f"{new.label} ({segment_name(old.type, before)})" if several else new.label
        changes += _segment_changes(subject, before, after)
    changes += [f"{new.label}: added {segment_name(new.type, s)} ({span(s.start_ms, s.end_ms)})."
                for s in added]
    return changes


def _segment_changes(subject: str, old: Segment, new: Segment) -> list[str]:
    changes = []
    if (old.start_ms, old.duration_ms, old.source_in_ms) != (new.start_ms, new.duration_ms, new.source_in_ms):
        moved = (old.duration_ms, old.source_in_ms) == (new.duration_ms, new.source_in_ms)
        changes.append(f"{subject}: {'moved' if moved else 'trimmed'} to {span(new.start_ms, new.end_ms)}.")
    old_volume, new_volume = _volume(old), _volume(new)
    if old_volume != new_volume:
        changes.append(f"{subject} volume {old_volume}% → {new_volume}%.")
    if old.text != new.text:
        changes.append(f'{subject} text "{short(old.text)}" → "{short(new.text)}".')
    if old.src != new.src:
        before, after = short(old.label) or "the media", short(new.label) or "new media"
        changes.append(f"{subject}: replaced {before} with {after}.")
    style = [field.label for key, field in SEGMENT_FIELDS.items()
             if key not in _DESCRIBED and old.get(key) != new.get(key)]
    if style:
        changes.append(f"{subject}: changed {', '.join(style)}.")
    return changes


def _volume(seg: Segment) -> int:
    return 100 if seg.volume is None else seg.volume
