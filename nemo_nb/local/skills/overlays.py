"""Titles and text overlays: the words, where (top, center, bottom or a corner), in which colour, when and how
big; added, changed ("make the title white", "move it down", "change it to …") or removed."""
from __future__ import annotations

from typing import Any

from nemo_nb.draft import TEXT, Draft, Segment
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Plan, TurnContext, refusal, say, tool, video_end_ms
from nemo_nb.local.skills.texts import seconds_text, shorten
from nemo_nb.local.understanding import Intent

DEFAULT_MS = 3000
UP = {"bottom": "center", "center": "top", "top": "top", "bottom-left": "top-left", "bottom-right": "top-right"}
DOWN = {"top": "center", "center": "bottom", "bottom": "bottom", "top-left": "bottom-left", "top-right": "bottom-right"}
CORNER = "bottom-right"


def titles(draft: Draft) -> list[Segment]:
    return [s for t in draft.tracks if t.type == TEXT for s in t.segments if s.kind == "title"]


def _font(draft: Draft, big: int) -> int | None:
    height = int((draft.canvas or {}).get("h", 1080))
    return max(12, height // (8 if big > 0 else 24)) if big else None


def describe(words: str, start: int, duration: int, pos: str, colour: str) -> str:
    return (f"“{shorten(words, 60)}” in {colour} at the {pos.replace('-', ' ')}, "
            f"{seconds_text(start)}–{seconds_text(start + duration)}")


def when(slots: Any, total: int) -> tuple[int, int]:
    """(start, duration) in ms of a title on a video of ``total`` ms: 3 s from the start unless told."""
    total = total or DEFAULT_MS
    start, end = slots.when.span(total, DEFAULT_MS) if slots.when else (0, DEFAULT_MS)
    start, end = max(0, min(start, max(0, total - 500))), min(end, total)
    return start, max(500, end - start)


def title_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    slots = intent.slots
    words = (slots.text or "").strip()
    if not words:
        return refusal("Which words should the title show? Put them in quotes, e.g. add a title \"Urban Dreams\". "
                       "Nothing was charged.")
    if len(words) > 200:
        return refusal("That title is over 200 characters: titles are for a few words. Send a voiceover or captions "
                       "for longer text. Nothing was charged.")
    draft = ctx.draft
    if not (draft.is_renderable or ctx.uploads):
        return refusal("Upload a video first, then I can put a title on it. Nothing was charged.")
    pos = slots.position if slots.position not in (None, "up", "down", "corner") else (
        CORNER if slots.position == "corner" else "center" if "title" in intent.words or "headline" in intent.words
        else "bottom" if "third" in intent.words else "center")
    colour = slots.colour or "white"

    async def run(c: TurnContext) -> Any:
        from nemo_nb.local.skills.placement import ensure_video

        d, placed = ensure_video(c)
        start, duration = when(slots, video_end_ms(d) or d.duration_ms)  # after any trim earlier in this turn

        def work() -> dict[str, Any]:
            d.track(TEXT, "Title").add_text("title", words, start, duration, pos=pos, colour=colour,
                                            font_px=_font(d, slots.big))
            c.set_draft(d)
            return {"text": words, "start_ms": start, "duration_ms": duration, "pos": pos, "colour": colour}

        async for ev in tool("add_text_overlay", {"text": words, "pos": pos, "colour": colour,
                                                  "start_ms": start, "duration_ms": duration}, work):
            yield ev
        lead = f"{placed} " if placed else ""
        async for ev in say(f"{lead}Added the title {describe(words, start, duration, pos, colour)}."):
            yield ev

    return Plan("title", COSTS["title"], run)


def _which(draft: Draft, intent: Intent) -> Segment | None:
    found = titles(draft)
    named = [s for s in found if s.text.lower() in intent.clause]
    chosen = named or found[-1:]
    return chosen[0] if chosen else None


def edit_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    """Change the title that is there (the one named, else the last): words, colour, place, time or size."""
    target = _which(ctx.draft, intent)
    if target is None:
        return title_plan(intent, ctx) if intent.slots.text else refusal(
            "There is no title yet; say e.g. add a title \"Launch Day\". Nothing was charged.")
    slots = intent.slots
    old_pos = str(target.get("pos") or "center")
    pos = UP.get(old_pos, old_pos) if slots.position == "up" else DOWN.get(old_pos, old_pos) \
        if slots.position == "down" else CORNER if slots.position == "corner" else slots.position
    total = video_end_ms(ctx.draft) or ctx.draft.duration_ms
    when = slots.when
    open_ended = when is not None and when.start is None and when.end is None and not when.anchor
    lasting = when.duration if when is not None and open_ended else None
    if lasting:  # "make the title last 5 seconds": from where it starts
        span: tuple[int, int] | None = (target.start_ms, min(total, target.start_ms + lasting))
    else:
        span = when.span(total, target.duration_ms) if when else None
    if not (slots.text or slots.colour or pos or span or slots.big):
        return refusal("What should change about the title: its words, colour, place or timing? Nothing was "
                       "charged.")
    segment_id = target.id

    async def run(c: TurnContext) -> Any:
        d = c.draft

        def work() -> dict[str, Any]:
            seg = next(s for s in titles(d) if s.id == segment_id)
            if slots.text:
                seg.set("tx", slots.text)
                seg.set("n", slots.text)
            if slots.colour:
                seg.set("c", slots.colour)
            if pos:
                seg.set("pos", pos)
            if span:
                seg.set("st", span[0])
                seg.set("d", max(500, span[1] - span[0]))
            if slots.big:
                seg.set("fs", _font(d, slots.big))
            c.set_draft(d)
            return {"text": seg.text, "pos": seg.get("pos"), "colour": seg.get("c")}

        async for ev in tool("edit_text_overlay", {"text": slots.text, "pos": pos, "colour": slots.colour}, work):
            yield ev
        seg = next(s for s in titles(c.draft) if s.id == segment_id)
        size = {1: ", bigger", -1: ", smaller"}.get(slots.big, "")
        now = describe(seg.text, seg.start_ms, seg.duration_ms, str(seg.get("pos") or "center"),
                       str(seg.get("c") or "white"))
        async for ev in say(f"The title is now {now}{size}."):
            yield ev

    return Plan("title", COSTS["title"], run)


def remove_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    if not titles(ctx.draft):
        return refusal("There is no title to remove. Nothing was charged.")
    return Plan("title", COSTS["title"], remove_titles)


async def remove_titles(c: TurnContext) -> Any:
    d = c.draft

    def work() -> dict[str, Any]:
        removed = sum(t.remove_segments(lambda s: s.kind == "title") for t in d.tracks if t.type == TEXT)
        d.remove_tracks(lambda t: t.type == TEXT and not t.raw["sg"])
        c.set_draft(d)
        return {"removed": removed}

    async for ev in tool("remove_text_overlay", {}, work):
        yield ev
    async for ev in say("Removed the title."):
        yield ev
