"""Trimming and cutting time out of the whole timeline, and undoing the last change."""
from __future__ import annotations

import re
from typing import Any

from nemo_nb.draft import Draft, Segment
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Plan, TurnContext, refusal, say, tool, video_end_ms
from nemo_nb.local.skills.texts import clock_text
from nemo_nb.local.understanding import Intent

KEEP = frozenset({"keep"})
TRIM_TO = re.compile(r"\b(?:trim|cut|crop|shorten|edit)\s+(?:it\s+|the video\s+)?(?:down\s+)?to\s+(?:the\s+)?\d")
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


def read_trim(intent: Intent, total: int) -> tuple[str, int, int] | str:
    """("remove" | "keep", start, end) in ms from the intent's time, or a question to ask back."""
    when = intent.slots.when
    verbs = set(intent.verbs)
    keep = bool(verbs & KEEP) or "only" in intent.words or bool(TRIM_TO.search(intent.clause))
    if when is None:
        return "Which part should go? For example \"trim the first 5 seconds\" or \"cut from 0:05 to 0:08\"."
    if when.total is not None or ("make" in verbs and when.start is not None and when.end is None
                                  and when.anchor is None and not when.duration):
        length = when.total if when.total is not None else when.start or 0
        if length >= total + 50:
            return (f"The video is {clock_text(total)} long, so I can't make it {length / 1000:g} seconds by trimming: "
                    "trims only shorten. Which length under that do you want?")
        return "keep", 0, length
    if when.anchor in ("first", "last", "after", "whole"):
        start, end = when.span(total, 0)
        if when.anchor in ("first", "last") and not when.duration and when.fraction is None:
            return "How many seconds? For example \"cut the first 4 seconds\"."
        return ("keep" if keep else "remove"), start, end
    if when.anchor == "before" and when.end is not None:
        if keep or verbs & {"end", "stop"} or "before" not in intent.words:
            return "keep", 0, when.end  # "end it at 18s", "trim it at 0:20", "stop at 0:20"
        return "remove", 0, when.end  # "cut everything before the 3 second mark"
    if when.start is not None and when.end is not None:
        return ("keep" if keep else "remove"), when.start, when.end
    if when.start is not None and when.duration:
        return ("keep" if keep else "remove"), when.start, when.start + when.duration
    if when.start is not None:
        if verbs & {"start", "keep"} or "from" in intent.words:
            return "keep", when.start, total  # "start the video at 0:06", "keep from 0:10"
        return f"Cut at {clock_text(when.start)} — the part before it or the part after it?"
    return "Which part should go? For example \"trim the first 5 seconds\" or \"cut from 0:05 to 0:08\"."


def trim_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    draft = ctx.draft
    total = video_end_ms(draft) or draft.duration_ms
    if not draft.is_renderable:
        return refusal("There is nothing to trim yet: put your clip on the timeline first (\"add my clip\"). "
                       "Nothing was charged.")
    parsed = read_trim(intent, total)
    if isinstance(parsed, str):
        return refusal(parsed + " Nothing was charged.")
    mode, start, end = parsed
    start, end = max(0, start), min(end, total)
    if end <= start:
        return refusal(f"That range is outside the video, which is {clock_text(total)} long. Nothing was charged.")
    if mode == "remove" and start == 0 and end >= total:
        return refusal("That would remove the whole video. Say which part to keep, e.g. \"keep 0:05 to 0:20\". "
                       "Nothing was charged.")
    if mode == "keep" and start == 0 and end >= total:
        return refusal(f"The video is already {clock_text(total)} long, so there is nothing to cut. Nothing was "
                       "charged.")

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


def undo_plan(intent: Intent, ctx: TurnContext) -> Plan:
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
