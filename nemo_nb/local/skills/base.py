"""What every skill works with: the turn's context, the message, plans and event helpers."""
from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from nemo_nb.draft import VIDEO, Draft
from nemo_nb.local import intents

Event = dict[str, Any]


@dataclass
class TurnContext:
    """What a turn may read and change: the session's state (a private copy) and the user's files."""

    session_id: str
    user_id: str
    state: dict[str, Any]
    library: Any = None           # nemo_nb.local.library.Library
    store: Any = None             # nemo_nb.local.store.Store
    language: str = "en"
    changed: bool = False
    record_history: bool = True   # False for undo: restoring must not push a redo point
    refund: int = 0               # credits not to charge: a skill that found it could not do the work

    @property
    def draft(self) -> Draft:
        return Draft(self.state.get("draft"))

    def set_draft(self, draft: Draft) -> None:
        draft.refresh_duration()
        self.state["draft"] = draft.to_json()
        self.changed = True

    @property
    def uploads(self) -> list[dict[str, Any]]:
        return [v for v in self.state.get("video_infos", []) if isinstance(v, dict)]

    def uploaded(self, file_type: str) -> list[dict[str, Any]]:
        return [u for u in self.uploads if u.get("file_type") == file_type]

    def add_generated(self, entry: dict[str, Any]) -> None:
        self.state.setdefault("generated_media", []).append(entry)
        self.changed = True

    def new_file(self, name: str) -> Any:
        return self.library.new_file(name)

    def register(self, item: Any, info: dict[str, Any], **extra: Any) -> dict[str, Any]:
        """Record a generated file as the user's media; returns its ``generated_media`` entry."""
        entry: dict[str, Any] = self.library.add_generated(item, info, self.user_id, self.session_id, **extra)
        self.add_generated(entry)
        return entry

    def document_text(self, upload: dict[str, Any]) -> str | None:
        content: str | None = self.library.text(upload["media_id"], self.user_id)
        return content


@dataclass
class Message:
    """A user message, with the instruction separated from any script or quoted text in it."""

    text: str
    quotes: list[str] = field(default_factory=list)
    script: str | None = None
    instruction: str = ""

    @classmethod
    def read(cls, text: str) -> Message:
        quotes = intents.quoted(text)
        script = intents.script_after_colon(text)
        instruction = text
        if script:
            instruction = instruction[: instruction.rfind(script)] if script in instruction else instruction
        for quote in quotes:
            instruction = instruction.replace(quote, " ")
        return cls(text=text, quotes=quotes, script=script, instruction=re.sub(r"\s+", " ", instruction))

    def says(self, *patterns: intents.Pattern) -> bool:
        """Whether the instruction (not the script or quoted text) matches any pattern."""
        return intents.has(self.instruction, *patterns)


@dataclass
class Plan:
    """What a turn will do: an action name, its cost in credits, and the work itself."""

    action: str
    cost: int
    run: Callable[[TurnContext], AsyncIterator[Event]]


def text(content: str) -> Event:
    return {"type": "text", "content": content}


def chunks(message: str, size: int = 4) -> list[Event]:
    """A reply split into streamed text events of a few words each."""
    words = re.findall(r"\S+\s*", message)
    return [text("".join(words[i:i + size])) for i in range(0, len(words), size)]


async def say(message: str) -> AsyncIterator[Event]:
    for event in chunks(message):
        yield event


async def tool(name: str, args: dict[str, Any], work: Callable[[], Any], *, thread: bool = False
               ) -> AsyncIterator[Event]:
    """A tool call, the work (in a thread when ``thread``: media work must not block the server), its result."""
    call_id = f"fc_{uuid.uuid4().hex[:12]}"
    yield {"type": "tool_call", "id": call_id, "name": name, "args": args}
    result = await asyncio.to_thread(work) if thread else work()
    if hasattr(result, "__await__"):
        result = await result
    yield {"type": "tool_result", "id": call_id, "name": name, "result": result or {}}


def video_end_ms(draft: Draft) -> int:
    """Where the picture ends: the end of the last segment on the video track(s)."""
    return max((s.end_ms for s in draft.segments_of(VIDEO)), default=0)


def refusal(message: str) -> Plan:
    """A free plan that only explains (nothing to do, or something missing)."""
    return Plan("help", 0, lambda ctx: say(message))
