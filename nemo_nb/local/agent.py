"""The embedded backend's agent: a deterministic interpreter of user messages.

``plan()`` decides what a message asks for and what it costs, with no side effect; the plan's
``run()`` then edits the session state and yields canonical events (see ``sse.py``).
"""
from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from nemo_nb.draft import VIDEO, Draft
from nemo_nb.local.credits import COSTS

Event = dict[str, Any]


@dataclass
class TurnContext:
    """What a turn may read and change: the session's state (a private copy) and the user's media."""

    session_id: str
    user_id: str
    state: dict[str, Any]
    media: Callable[[str], dict[str, Any] | None]
    changed: bool = False

    @property
    def draft(self) -> Draft:
        return Draft(self.state.get("draft"))

    def set_draft(self, draft: Draft) -> None:
        self.state["draft"] = draft.to_json()
        self.changed = True

    @property
    def uploads(self) -> list[dict[str, Any]]:
        return [v for v in self.state.get("video_infos", []) if isinstance(v, dict)]


@dataclass
class Plan:
    """What a turn will do: an action name, its cost in credits, and the work itself."""

    action: str
    cost: int
    run: Callable[[TurnContext], AsyncIterator[Event]]
    args: dict[str, Any] = field(default_factory=dict)


def text(content: str) -> Event:
    return {"type": "text", "content": content}


def chunks(message: str, size: int = 3) -> list[Event]:
    """A reply split into streamed text events of a few words each."""
    words = re.findall(r"\S+\s*", message)
    return [text("".join(words[i:i + size])) for i in range(0, len(words), size)]


async def tool(name: str, args: dict[str, Any], work: Callable[[], Any]) -> AsyncIterator[Event]:
    """A tool call and its result around ``work()`` (sync or async)."""
    call_id = f"fc_{uuid.uuid4().hex[:12]}"
    yield {"type": "tool_call", "id": call_id, "name": name, "args": args}
    result = work()
    if hasattr(result, "__await__"):
        result = await result
    yield {"type": "tool_result", "id": call_id, "name": name, "result": result or {}}


def _seconds(ms: int) -> str:
    return f"{ms / 1000:.1f}s"


# -- skills ---------------------------------------------------------------------------------------
ADD_WORDS = re.compile(r"\b(add|put|place|use|insert)\b.*\b(video|clip|footage|upload|file|timeline)\b|添加|放入",
                       re.IGNORECASE)


def _videos_not_on_timeline(ctx: TurnContext) -> list[dict[str, Any]]:
    on_timeline = {seg.get("src") for _, seg in ctx.draft.segments()}
    return [u for u in ctx.uploads if u.get("file_type") == "video" and u.get("media_id") not in on_timeline]


async def add_uploads(ctx: TurnContext) -> AsyncIterator[Event]:
    """Put the uploaded videos that are not on the timeline yet onto the video track, in order."""
    pending = _videos_not_on_timeline(ctx)
    names = ", ".join(u["filename"] for u in pending)
    for ev in chunks(f"Adding {names} to the timeline. "):
        yield ev
    placed: list[str] = []

    def place() -> dict[str, Any]:
        draft = ctx.draft
        track = draft.track(VIDEO, "Video")
        start = max((s.end_ms for s in track.segments), default=0)
        for upload in pending:
            duration = int(round(float(upload.get("duration") or 0) * 1000))
            track.add({"id": f"seg_{uuid.uuid4().hex[:8]}", "k": "video", "st": start, "d": duration,
                       "src": upload["media_id"], "url": upload.get("cdn_url", ""), "ss": 0,
                       "n": upload["filename"], "v": 100})
            placed.append(f"{upload['filename']} ({_seconds(start)}–{_seconds(start + duration)})")
            start += duration
        draft.refresh_duration()
        if not draft.canvas and pending:
            first = pending[0]
            draft.set_canvas(int(first.get("width") or 1920), int(first.get("height") or 1080), "fit")
        ctx.set_draft(draft)
        return {"added": [u["media_id"] for u in pending], "duration_ms": draft.duration_ms}

    async for ev in tool("add_to_timeline", {"media": [u["media_id"] for u in pending]}, place):
        yield ev
    reply = (f"Done: the video track now holds {', '.join(placed)}. "
             "Preview in timeline, then click Export when you are happy. Next you could add a voiceover, "
             "a title, or background music.")
    for ev in chunks(reply):
        yield ev


def help_text(ctx: TurnContext) -> str:
    if not ctx.uploads:
        return ("I need a video to work on first: upload an MP4, MOV, AVI, WebM or MKV file "
                "(up to 500 MB), then tell me what you want.")
    return ("I could not act on that. Here I can put your uploaded videos on the timeline "
            "(\"add my clip to the timeline\"), and export the result. Nothing was charged.")


async def explain(ctx: TurnContext, message: str) -> AsyncIterator[Event]:
    for ev in chunks(message):
        yield ev


class Agent:
    """Decides what a message asks for. Skills are tried in order; the first that fits wins."""

    def plan(self, message: str, ctx: TurnContext) -> Plan:
        if _videos_not_on_timeline(ctx) and ADD_WORDS.search(message):
            return Plan("add_media", COSTS["add_media"], add_uploads)
        reply = help_text(ctx)
        return Plan("help", COSTS["help"], lambda c: explain(c, reply))
