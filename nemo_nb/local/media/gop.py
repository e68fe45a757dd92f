"""Which frames of a spliced video can be copied and which must be re-encoded (pure logic, no media).

The source is described by its packets in decode order: each one's display index (its rank in
presentation order) and whether it is an IDR picture. The output is a list of source frame ranges
played one after another, and a set of output frames whose picture changes (a title drawn on them).

A run of packets is *copied* when it starts at an IDR (nothing before it is referenced) and holds, in
decode order, exactly the frames it shows: then it decodes the same, bit for bit, in the output.
Everything else is *re-encoded* from the decoded source, starting with an IDR, up to the next IDR of the
source whose frame is unchanged (where copying can resume) or the end of the range.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SourceFrame:
    """One packet of the source in decode order."""

    display: int  # its frame's index in presentation order
    idr: bool


@dataclass(frozen=True)
class Piece:
    """``count`` frames of the output from ``out_start`` on, showing source frames ``first`` … in order.

    ``copy`` pieces are the source packets from decode position ``decode_start`` on, unchanged;
    the others are re-encoded.
    """

    copy: bool
    first: int
    count: int
    out_start: int
    decode_start: int = -1


def plan_pieces(
    frames: Sequence[SourceFrame], ranges: Sequence[tuple[int, int]], changed: Sequence[tuple[int, int]],
) -> list[Piece]:
    """Split the output into copied and re-encoded pieces.

    ``ranges`` are (first source display index, frame count) in output order; a range may run past
    the source's last frame, which is then held (those frames are re-encoded). ``changed`` are
    half-open output frame intervals that must be re-encoded.
    """
    decode_of = {f.display: i for i, f in enumerate(frames)}
    if len(decode_of) != len(frames) or set(decode_of) != set(range(len(frames))):
        raise ValueError("display indices must be 0 … n-1, each once")
    is_changed = _ChangedFrames(changed)
    pieces: list[Piece] = []
    out = 0
    for first, count in ranges:
        if not 0 <= first < len(frames) or count <= 0:
            raise ValueError(f"range ({first}, {count}) does not start inside the source's {len(frames)} frames")
        shown, end = first, first + count

        def resumes(at: int, out_at: int) -> bool:
            """Copying can start again at source frame ``at`` (output frame ``out_at``)."""
            return at < len(frames) and frames[decode_of[at]].idr and not is_changed(out_at)

        while shown < end:
            limit = min(end, shown + is_changed.next_after(out) - out)
            copied = _clean_run(frames, decode_of[shown], limit) if resumes(shown, out) else 0
            if copied:
                pieces.append(Piece(True, shown, copied, out, decode_of[shown]))
            else:
                resume = shown + 1
                while resume < end and not resumes(resume, out + resume - shown):
                    resume += 1
                copied = resume - shown
                pieces.append(Piece(False, shown, copied, out))
            shown += copied
            out += copied
    return _merged(pieces)


def _clean_run(frames: Sequence[SourceFrame], start: int, limit: int) -> int:
    """The longest run of packets from decode position ``start`` that shows exactly frames
    ``display(start)`` … in order and stops before display index ``limit``; 0 if none."""
    first = frames[start].display
    best, highest = 0, -1
    for length, frame in enumerate(frames[start:], 1):
        if frame.display < first or frame.display >= limit:
            break
        highest = max(highest, frame.display)
        if highest == first + length - 1:
            best = length
    return best


def _merged(pieces: list[Piece]) -> list[Piece]:
    """Join neighbouring copied pieces that continue each other in the source."""
    out: list[Piece] = []
    for piece in pieces:
        last = out[-1] if out else None
        if (last is not None and last.copy and piece.copy and piece.decode_start == last.decode_start + last.count
                and piece.first == last.first + last.count):
            out[-1] = Piece(True, last.first, last.count + piece.count, last.out_start, last.decode_start)
        else:
            out.append(piece)
    return out


def decode_timestamps(displays: Sequence[int]) -> list[int]:
    """Decode timestamps (in frames) for packets in decode order showing output frames ``displays``:
    one frame apart, never after their frame is shown, starting as late as that allows."""
    delay = max((i - shown for i, shown in enumerate(displays)), default=0)
    return [i - max(0, delay) for i in range(len(displays))]


class _ChangedFrames:
    """Membership and next-start queries over sorted, merged half-open intervals."""

    def __init__(self, intervals: Sequence[tuple[int, int]]):
        merged: list[list[int]] = []
        for start, end in sorted((a, b) for a, b in intervals if b > a):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.intervals = merged

    def __call__(self, frame: int) -> bool:
        return any(a <= frame < b for a, b in self.intervals)

    def next_after(self, frame: int) -> int:
        """The first changed frame at or after ``frame`` (a large number if none)."""
        return next((max(a, frame) for a, b in self.intervals if b > frame), 1 << 62)
