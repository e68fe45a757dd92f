"""Putting uploads on the timeline, switching between uploads (batch work), output size."""
from __future__ import annotations

import re
from typing import Any

from nemo_nb.draft import VIDEO, Draft
from nemo_nb.local.credits import COSTS
from nemo_nb.local.intents import seconds_text
from nemo_nb.local.skills.base import Message, Plan, TurnContext, new_segment_id, say, tool

ADD = (r"\b(add|put|place|use|insert|join|combine|append)\b.*\b(video|clip|clips|footage|upload|file|files|"
       r"timeline)\b", r"(添加|放入).*(视频|片段|素材|时间线)")
SWITCH = (r"\b(work on|switch to|next (video|clip|file)|now (do|edit)|move on to|open)\b", r"切换")
CONVERT = (r"\b(1080p|full hd|720p|4k)\b",)
ORDINALS = {"first": 0, "second": 1, "third": 2, "fourth": 3, "fifth": 4, "last": -1}


def videos_on_timeline(draft: Draft) -> set[str]:
    return {str(s.get("src")) for t in draft.tracks if t.type == VIDEO for s in t.segments}


def place(draft: Draft, uploads: list[dict[str, Any]]) -> list[str]:
    """Append uploads to the video track in order; sets a canvas from the first when there is none.
    Returns ``name (start–end)`` descriptions."""
    track = draft.track(VIDEO, "Video")
    start = max((s.end_ms for s in track.segments), default=0)
    placed = []
    for upload in uploads:
        still = upload.get("file_type") == "image"
        duration = 5000 if still else int(round(float(upload.get("duration") or 0) * 1000))
        track.add({"id": new_segment_id(), "k": "image" if still else "video", "st": start, "d": duration,
                   "src": upload["media_id"], "url": upload.get("cdn_url", ""), "ss": 0,
                   "n": upload["filename"], "v": 100})
        placed.append(f"{upload['filename']} ({seconds_text(start)}–{seconds_text(start + duration)})")
        start += duration
    if not draft.canvas and uploads:
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


def pick_upload(message: Message, uploads: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The upload a message names: by file name (or its stem), or by ordinal ("the second video")."""
    lowered = message.text.lower()
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


def switch_plan(message: Message, ctx: TurnContext) -> Plan | None:
    """Batch work: keep each upload's timeline apart; "work on clip2.mp4" swaps the draft in."""
    if not message.says(*SWITCH):
        return None
    videos = ctx.uploaded("video")
    target = pick_upload(message, videos)
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


def add_plan(message: Message, ctx: TurnContext) -> Plan | None:
    pending = [u for u in ctx.uploaded("video") + ctx.uploaded("image")
               if u["media_id"] not in videos_on_timeline(ctx.draft)]
    if pending and message.says(*ADD):
        return Plan("add_media", COSTS["add_media"], add_uploads)
    return None


def convert_plan(message: Message, ctx: TurnContext) -> Plan | None:
    """ "… into a 1080p MP4": the upload on the timeline, at that output size (orientation kept)."""
    match = re.search(r"\b(1080p|full hd|720p|4k)\b", message.instruction, re.IGNORECASE)
    if not match or not (ctx.uploaded("video") or videos_on_timeline(ctx.draft)):
        return None
    short = {"1080p": 1080, "full hd": 1080, "720p": 720, "4k": 2160}[match.group(1).lower()]

    async def run(c: TurnContext) -> Any:
        draft, placed = ensure_video(c)
        canvas = draft.canvas or {"w": 1920, "h": 1080}
        portrait = int(canvas.get("h", 1080)) > int(canvas.get("w", 1920))
        long = short * 16 // 9
        width, height = (short, long) if portrait else (long, short)

        def work() -> dict[str, Any]:
            draft.set_canvas(width, height, str(canvas.get("fit", "blur")))
            c.set_draft(draft)
            return {"width": width, "height": height}

        async for ev in tool("set_output_size", {"width": width, "height": height}, work):
            yield ev
        lead = f"{placed} " if placed else ""
        async for ev in say(f"{lead}The export will be a {width}x{height} H.264 MP4 ({match.group(1)}). "
                            "Next you could add a voiceover, captions or a title, or click Export now."):
            yield ev

    return Plan("output_size", COSTS["output_size"], run)
