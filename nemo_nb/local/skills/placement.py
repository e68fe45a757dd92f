"""Putting uploads on the timeline, removing a clip, switching between uploads (batch work)."""
from __future__ import annotations

import contextlib
import re
from typing import Any

from nemo_nb.draft import VIDEO, Draft, FieldError
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Plan, TurnContext, refusal, say, tool
from nemo_nb.local.skills.grammar import listing
from nemo_nb.local.skills.texts import seconds_text
from nemo_nb.local.understanding import Intent

SWITCH = re.compile(r"\b(work on|switch to|next (video|clip|file)|now (do|edit)|move on to|open)\b|切换", re.IGNORECASE)
ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1}


def videos_on_timeline(draft: Draft) -> set[str]:
    return {str(s.get("src")) for s in draft.segments_of(VIDEO)}


def place(draft: Draft, uploads: list[dict[str, Any]]) -> list[str]:
    """Append uploads to the video track in order; sets a canvas from the first when there is none.
    Returns ``name (start–end)`` descriptions."""
    track = draft.track(VIDEO, "Video")
    start = max((s.end_ms for s in track.segments), default=0)
    placed = []
    for upload in uploads:
        still = upload.get("file_type") == "image"
        duration = 5000 if still else round(float(upload.get("duration") or 0) * 1000)
        track.add_video("image" if still else "video", start, duration, src=upload["media_id"],
                        url=upload.get("cdn_url", ""), name=upload["filename"])
        placed.append(f"{upload['filename']} ({seconds_text(start)}–{seconds_text(start + duration)})")
        start += duration
    if not draft.canvas and uploads:
        with contextlib.suppress(FieldError):  # a size the renderer does not make (e.g. over 4K): it then
            # fits the first clip into 1920x1080
            draft.set_canvas(int(uploads[0].get("width") or 1920), int(uploads[0].get("height") or 1080))
    return placed


def ensure_video(ctx: TurnContext) -> tuple[Draft, str | None]:
    """The draft, with the latest uploaded video placed on it when the video track is empty.
    Returns the draft and a sentence saying what was placed (None when nothing was)."""
    draft = ctx.draft
    if videos_on_timeline(draft):
        return draft, None
    visual = ctx.uploaded("video") or ctx.uploaded("image")
    if not visual:
        return draft, None
    (placed,) = place(draft, visual[-1:])
    return draft, f"I put {placed} on the video track."


def pick_upload(text: str, uploads: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The upload a message names: by file name (or its stem), or by ordinal ("the second video")."""
    lowered = text.lower()
    for upload in uploads:
        name = upload["filename"].lower()
        if name in lowered or name.rsplit(".", 1)[0] in lowered:
            return upload
    for word, index in ORDINALS.items():
        if re.search(rf"\b{word}\b", lowered) and uploads:
            return uploads[index] if -len(uploads) <= index < len(uploads) else None
    return None


async def add_uploads(ctx: TurnContext) -> Any:
    draft = ctx.draft
    pending = [u for u in ctx.uploaded("video") + ctx.uploaded("image")
               if u["media_id"] not in videos_on_timeline(draft)]
    async for ev in say(f"Adding {', '.join(u['filename'] for u in pending)} to the timeline. "):
        yield ev
    placed: list[str] = []

    def work() -> dict[str, Any]:
        placed.extend(place(draft, pending))
        ctx.set_draft(draft)
        return {"added": [u["media_id"] for u in pending], "duration_ms": draft.duration_ms}

    async for ev in tool("add_to_timeline", {"media": [u["media_id"] for u in pending]}, work):
        yield ev
    async for ev in say(f"Done: the video track now holds {', '.join(placed)}. Preview in timeline, then click "
                        "Export when you are happy. Next you could add a voiceover, a title, or background music."):
        yield ev


def switch_plan(text: str, ctx: TurnContext) -> Plan | None:
    """Batch work: keep each upload's timeline apart; "work on clip2.mp4" swaps the draft in."""
    if not SWITCH.search(text[:2000]):
        return None
    videos = ctx.uploaded("video")
    target = pick_upload(text[:2000], videos)
    if target is None:
        return None

    async def run(c: TurnContext) -> Any:
        def work() -> dict[str, Any]:
            drafts = c.state.setdefault("drafts_by_media", {})
            current = c.draft
            for media_id in videos_on_timeline(current):
                drafts[media_id] = current.to_json()
            stored = drafts.get(target["media_id"])
            fresh = Draft(stored) if stored else Draft()
            if not stored:
                place(fresh, [target])
            c.set_draft(fresh)
            return {"media_id": target["media_id"], "restored": bool(stored)}

        async for ev in tool("switch_media", {"media": target["media_id"]}, work):
            yield ev
        others = [u["filename"] for u in videos if u is not target]
        async for ev in say(f"Now working on {target['filename']}: {c.draft.summary()}. Its edits and export are "
                            f"its own; your other uploads ({', '.join(others) or 'none'}) keep their timelines. "
                            "Say \"work on <name>\" to switch back."):
            yield ev

    return Plan("switch", COSTS["switch"], run)


def add_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    pending = [u for u in ctx.uploaded("video") + ctx.uploaded("image")
               if u["media_id"] not in videos_on_timeline(ctx.draft)]
    if not pending:
        if videos_on_timeline(ctx.draft):
            return refusal("Your clip is already on the timeline. Nothing was charged.")
        return refusal("There is nothing to add yet: upload a video (MP4, MOV, AVI, WebM or MKV) first. "
                       "Nothing was charged.")
    return Plan("add_media", COSTS["add_media"], add_uploads)


def remove_clip_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    """ "remove the second clip", "delete broll.mp4": that clip goes and what follows moves up."""
    draft = ctx.draft
    clips = [s for s in draft.segments_of(VIDEO) if not s.get("box")]
    names = {u["media_id"]: u["filename"] for u in ctx.uploads}
    chosen = None
    for name in intent.slots.uploads:
        chosen = next((s for s in clips if names.get(s.src, "").lower() == name.lower()), chosen)
    if chosen is None and intent.slots.ordinal is not None:
        index = intent.slots.ordinal - 1 if intent.slots.ordinal > 0 else intent.slots.ordinal
        chosen = clips[index] if -len(clips) <= index < len(clips) else None
    if chosen is None:
        shown = listing([names.get(s.src, s.label) for s in clips], "or")
        return refusal(f"Which clip should go: {shown}? Nothing was charged.")
    if len(clips) == 1:
        return refusal("That is the only clip on the timeline; to start again upload another and say \"work on "
                       "<name>\". Nothing was charged.")
    label = names.get(chosen.src, chosen.label)

    async def run(c: TurnContext) -> Any:
        from nemo_nb.local.skills.edit import remove_range

        d = c.draft

        def work() -> dict[str, Any]:
            remove_range(d, chosen.start_ms, chosen.end_ms)
            c.set_draft(d)
            return {"removed": label, "duration_ms": d.duration_ms}

        async for ev in tool("remove_clip", {"media": chosen.src}, work):
            yield ev
        async for ev in say(f"Removed {label} ({seconds_text(chosen.start_ms)}–{seconds_text(chosen.end_ms)}); "
                            f"what followed moved up and the video is now {c.draft.duration_ms / 1000:.1f} s long."):
            yield ev

    return Plan("remove_clip", COSTS["trim"], run)
