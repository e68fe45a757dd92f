"""Trimming and cutting time out of the whole timeline, and undoing the last change."""
from __future__ import annotations

import re
from typing import Any

from nemo_nb.draft import Draft, Segment
from nemo_nb.local.credits import COSTS
from nemo_nb.local.intents import clock_text, duration_ms, has, time_points, time_range
from nemo_nb.local.skills.base import Message, Plan, TurnContext, refusal, say, tool, video_end_ms

UNDO = (r"\bundo\b", r"\brevert\b", (r"\bgo back\b", r"\b(change|edit)"), r"撤销|撤回")
MEDIA_KINDS = ("video", "image", "voiceover", "music", "audio", "")


def _cut_segment(s: Segment, start: int, end: int) -> list[Segment]:
    """What remains of one segment when [start, end) is taken out of the timeline."""
    a, b, cut = s.start_ms, s.end_ms, end - start
    media = s.kind in MEDIA_KINDS and "src" in s.raw
    if b <= start:
        return [s]
    if a >= end:
        return [s.retimed(start_ms=max(0, a - cut))]
    if start <= a and b <= end:
        return []
    if a < start and b > end:  # the cut falls inside: media splits in two, text just gets shorter
        if not media:
            return [s.retimed(duration_ms=s.duration_ms - cut)]
        head = s.retimed(duration_ms=start - a)
        tail = s.retimed(start_ms=start, duration_ms=b - end, in_ms=s.source_in_ms + (end - a), new_id=True)
        return [head, tail]
    if a < start:  # the cut takes the segment's end
        return [s.retimed(duration_ms=start - a)]
    # the cut takes the segment's start
    return [s.retimed(start_ms=start, duration_ms=b - end, in_ms=s.source_in_ms + (end - a) if media else None)]


def remove_range(draft: Draft, start: int, end: int) -> None:
    """Take [start, end) ms out of every track; what follows moves earlier."""
    for track in draft.tracks:
        track.set_segments(piece for seg in track.segments for piece in _cut_segment(seg, start, end))


def keep_range(draft: Draft, start: int, end: int) -> None:
    total = draft.duration_ms
    if end < total:
        remove_range(draft, end, total)
    if start > 0:
        remove_range(draft, 0, start)


def parse_trim(message: Message, total: int) -> tuple[str, int, int] | None:
    """("remove" | "keep", start, end) from a trim/cut instruction, in ms."""
    text = message.instruction
    if not has(text, r"\b(trim|cut|remove|delete|drop|keep|shorten|crop out|skip)\b", r"剪|裁|删"):
        return None
    # [^0-9]{0,60}, not [^0-9]*: a message of "first first …" would make the search quadratic
    first = re.search(r"\b(first|opening|beginning)\b[^0-9]{0,60}(\d+(?:\.\d+)?)\s*"
                      r"(s|sec|secs|seconds?|m|min|minutes?)\b", text, re.IGNORECASE)
    if first:
        return "remove", 0, duration_ms(first.group(2), first.group(3))
    last = re.search(r"\b(last|final|ending)\b[^0-9]{0,60}(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|minutes?)\b",
                     text, re.IGNORECASE)
    if last:
        return "remove", max(0, total - duration_ms(last.group(2), last.group(3))), total
    span = time_range(text)
    if span:
        keep = has(text, r"\bkeep\b", r"\bonly\b", r"\btrim (it )?to\b", r"保留")
        return ("keep" if keep else "remove"), span[0], span[1]
    to_length = has(text, (r"\b(trim|shorten|cut)\b", r"\bto\b"))
    points = time_points(text)
    if to_length and points:
        return "keep", 0, points[0]
    return None


def trim_plan(message: Message, ctx: TurnContext) -> Plan | None:
    draft = ctx.draft
    total = video_end_ms(draft) or draft.duration_ms
    parsed = parse_trim(message, total)
    if parsed is None or not draft.is_renderable:
        return None
    mode, start, end = parsed
    start, end = max(0, start), min(end, total)
    if end <= start:
        return refusal(f"That range is outside the video, which is {clock_text(total)} long. Nothing was charged.")
    if mode == "remove" and start == 0 and end >= total:
        return refusal("That would remove the whole video. Say which part to keep, e.g. \"keep 0:05 to 0:20\". "
                       "Nothing was charged.")

    async def run(c: TurnContext) -> Any:
        d = c.draft

        def work() -> dict[str, Any]:
            (remove_range if mode == "remove" else keep_range)(d, start, end)
            c.set_draft(d)
            return {"mode": mode, "start_ms": start, "end_ms": end, "duration_ms": d.duration_ms}

        async for ev in tool("trim", {"mode": mode, "start_ms": start, "end_ms": end}, work):
            yield ev
        what = (f"Removed {clock_text(start)}–{clock_text(end)} ({(end - start) / 1000:.1f} s)" if mode == "remove"
                else f"Kept {clock_text(start)}–{clock_text(end)}")
        async for ev in say(f"{what} from every track; the video is now {clock_text(c.draft.duration_ms)} long "
                            "and everything after the cut moved earlier. Say \"undo\" to bring it back. Next: a "
                            "voiceover, captions, or export."):
            yield ev

    return Plan("trim", COSTS["trim"], run)


def undo_plan(message: Message, ctx: TurnContext) -> Plan | None:
    if not message.says(*UNDO):
        return None

    async def run(c: TurnContext) -> Any:
        current = c.draft
        restored: list[Draft] = []

        def work() -> dict[str, Any]:
            while (previous := c.store.previous_state(c.session_id)) is not None:
                candidate = Draft(previous.get("draft"))
                if candidate != current:
                    c.state["draft"] = candidate.to_json()
                    c.changed, c.record_history = True, False
                    restored.append(candidate)
                    break
            return {"undone": bool(restored)}

        async for ev in tool("undo", {}, work):
            yield ev
        if restored:
            changes = " ".join(restored[0].diff(current)) or "the previous timeline is back."
            message_ = f"Undid the last change: {changes} Timeline: {restored[0].summary()}"
        else:
            message_ = "There is nothing to undo: this is the first version of the timeline."
        async for ev in say(message_):
            yield ev

    return Plan("undo", COSTS["undo"], run)
