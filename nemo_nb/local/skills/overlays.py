"""Titles and text overlays: text, position, colour, start and duration. These edits are silent (tool
events, no text), as the cloud's often are: the client describes them from the draft diff."""
from __future__ import annotations

import re
from typing import Any

from nemo_nb.draft import TEXT
from nemo_nb.local import intents
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Message, Plan, TurnContext, refusal, tool, video_end_ms

TITLE = (r"\btitles?\b", r"\btext overlay\b", r"\boverlay\b", r"\bheading\b", r"\blower third\b", r"\btext\b",
         r"标题", r"文字")
REMOVE = r"\b(remove|delete|drop|clear|get rid of)\b|删除|去掉"
DEFAULT_MS = 3000


def title_text(message: Message) -> str | None:
    if message.quotes:
        return message.quotes[0].strip()
    match = re.search(r"\b(?:title|text|heading|overlay)\b\s+(?:saying|that says|reading|of|with the words)?\s*"
                      r"(.+?)(?:\s+\b(?:at|on|in|for|from|to|until)\b.*)?$", message.text, re.IGNORECASE)
    text = match.group(1).strip(" .,:") if match else ""
    return text if text and len(text) <= 200 else None


def when(message: Message, total: int) -> tuple[int, int]:
    """(start, duration) in ms: "at 5s", "from 0:05", "for 4 seconds", "at the end", "throughout"."""
    text = message.instruction
    duration = DEFAULT_MS
    length = re.search(r"\bfor\s+(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|minutes?)\b", text, re.IGNORECASE)
    span = intents.time_range(text)
    if span and not length:  # "from 1s for 2 seconds" is a start and a length, not the range 1-2 s
        return span[0], span[1] - span[0]
    if length:
        duration = intents.duration_ms(length.group(1), length.group(2))
    if intents.has(text, r"\b(throughout|whole (video|time)|entire|all the time)\b"):
        return 0, total or duration
    if intents.has(text, r"\bat the end\b|\bending\b"):
        return max(0, total - duration), duration
    start = re.search(r"\b(?:at|from|starting at|after)\s+(\d{1,2}:\d{2}|\d+(?:\.\d+)?\s*(?:s|sec|secs|seconds?))",
                      text, re.IGNORECASE)
    return (intents.time_points(start.group(1))[0] if start else 0), duration


def title_plan(message: Message, ctx: TurnContext) -> Plan | None:
    if not message.says(*TITLE) or message.says(r"\bcaptions?\b|\bsubtitles?\b|字幕"):
        return None
    draft = ctx.draft
    if message.says(REMOVE):
        if not any(t.type == TEXT and any(s.kind == "title" for s in t.segments) for t in draft.tracks):
            return refusal("There is no title to remove. Nothing was charged.")
        return Plan("title", COSTS["title"], remove_titles)
    words = title_text(message)
    if not words:
        return refusal("Which words should the title show? Put them in quotes, e.g. add a title \"Urban Dreams\". "
                       "Nothing was charged.")
    if not (draft.is_renderable or ctx.uploads):
        return refusal("Upload a video first, then I can put a title on it. Nothing was charged.")
    total = video_end_ms(draft) or draft.duration_ms
    start, duration = when(message, total)
    pos = intents.position(message.instruction) or ("center" if message.says(r"\btitle\b") else "bottom")
    colour = intents.colour(message.instruction) or "white"
    size = 0
    if message.says(r"\b(big|large|huge|bold)\b"):
        size = 2
    elif message.says(r"\b(small|tiny|subtle)\b"):
        size = -1

    async def run(c: TurnContext) -> Any:
        from nemo_nb.local.skills.placement import ensure_video

        d, _ = ensure_video(c)

        def work() -> dict[str, Any]:
            height = int((d.canvas or {}).get("h", 1080))
            font_px = max(12, height // (8 if size > 0 else 24)) if size else None
            d.track(TEXT, "Title").add_text("title", words, start, duration, pos=pos, colour=colour, font_px=font_px)
            c.set_draft(d)
            return {"text": words, "start_ms": start, "duration_ms": duration, "pos": pos, "colour": colour}

        async for ev in tool("add_text_overlay", {"text": words, "pos": pos, "colour": colour,
                                                  "start_ms": start, "duration_ms": duration}, work):
            yield ev

    return Plan("title", COSTS["title"], run)


async def remove_titles(c: TurnContext) -> Any:
    d = c.draft

    def work() -> dict[str, Any]:
        removed = sum(t.remove_segments(lambda s: s.kind == "title") for t in d.tracks if t.type == TEXT)
        d.remove_tracks(lambda t: t.type == TEXT and not t.raw["sg"])
        c.set_draft(d)
        return {"removed": removed}

    async for ev in tool("remove_text_overlay", {}, work):
        yield ev
