"""SSE ``data:`` payloads → typed events, for both dialects of docs/protocol.md.

Canonical: ``{"type": "text" | "tool_call" | "tool_result" | "heartbeat", …}``. ADK: ``content.parts[]``
with ``text`` / ``functionCall`` / ``functionResponse``; ``partial`` chunks carry new text only and the
final event repeats the whole text (replace, don't append); function calls are deduped by id;
``thought`` parts are skipped. ``{"error": …}`` or ``errorCode``/``errorMessage`` end the turn. Lines
that are not JSON are skipped.

``FrameSplitter`` cuts the ``text/event-stream`` body into event payloads a whole chunk at a time
(``str.split`` in C) instead of line by line in Python, and payloads are decoded with orjson: together
that keeps typed event handling as fast as bare ``httpx-sse`` iteration (benchmarks/bench_client.py).
"""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import orjson


class FrameSplitter:
    """``text/event-stream`` text → the ``data`` of each event (several ``data:`` lines joined by \\n).

    Comments and other fields are ignored; an event with an empty ``data:`` line gives ``""``.
    """

    def __init__(self) -> None:
        self._buffer = ""
        self._cr = False

    def feed(self, chunk: str) -> list[str]:
        if self._cr:
            chunk = "\r" + chunk
            self._cr = False
        if "\r" in chunk:
            if chunk.endswith("\r"):  # a \r\n may be split across chunks
                chunk, self._cr = chunk[:-1], True
            chunk = chunk.replace("\r\n", "\n").replace("\r", "\n")
        blocks = (self._buffer + chunk).split("\n\n")
        self._buffer = blocks.pop()
        return [data for block in blocks if (data := _block_data(block)) is not None]

    def flush(self) -> list[str]:
        """The last event when the body ended without a blank line."""
        block, self._buffer = self._buffer, ""
        data = _block_data(block.rstrip("\n"))
        return [] if data is None else [data]


def _block_data(block: str) -> str | None:
    if block.startswith("data:") and "\n" not in block:  # the usual case: one data line
        return block[6:] if block[5:6] == " " else block[5:]
    data = [line[6:] if line[5:6] == " " else line[5:] for line in block.lstrip("\n").split("\n")
            if line.startswith("data:")]
    data += ["" for line in block.split("\n") if line == "data"]
    return "\n".join(data) if data else None


@dataclass(slots=True)
class TextEvent:
    """New reply text. ``replaced``: the final ADK event rewrote earlier text (read ``parser.text``)."""

    delta: str
    replaced: bool = False


@dataclass(slots=True)
class ToolCall:
    id: str
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ToolResult:
    id: str
    name: str
    result: Any = None


@dataclass(slots=True)
class Heartbeat:
    """A heartbeat or an empty ``data:`` line: the agent is still working."""


@dataclass(slots=True)
class ErrorEvent:
    """The agent reported an error; the turn is over."""

    message: str
    details: Any = None


Event = TextEvent | ToolCall | ToolResult | Heartbeat | ErrorEvent
HEARTBEAT = Heartbeat()


class EventParser:
    """Turns the payloads of one turn into events, keeping the reply text so far in ``text``."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._segment_start = 0       # where the current ADK text segment starts in _parts
        self._seen_calls: set[str] = set()
        self._seen_results: set[str] = set()
        self._count = 0

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def feed(self, data: str) -> list[Event]:
        """Events for one ``data:`` payload (``""`` is a heartbeat)."""
        if not data:
            return [HEARTBEAT]
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError:
            if "\n" in data:  # several data: lines without a blank line between them
                return [ev for line in data.split("\n") for ev in self.feed(line)]
            return []
        if not isinstance(obj, dict):
            return []
        kind = obj.get("type")
        if kind == "text":
            content = obj.get("content")
            if isinstance(content, str) and content:
                self._parts.append(content)
                return [TextEvent(content)]
            return []
        if kind == "heartbeat":
            return [HEARTBEAT]
        if "error" in obj or "errorCode" in obj or "errorMessage" in obj:
            message = obj.get("error") or obj.get("errorMessage") or obj.get("errorCode")
            return [ErrorEvent(str(message), obj.get("error_details") or obj.get("errorCode"))]
        if kind == "tool_call":
            return self._call(obj.get("id"), obj.get("name"), obj.get("args"))
        if kind == "tool_result":
            return self._result(obj.get("id"), obj.get("name"), obj.get("result"))
        content = obj.get("content")
        if isinstance(content, dict) and isinstance(content.get("parts"), list):
            return self._adk(content["parts"], partial=bool(obj.get("partial")))
        return []

    # -- helpers -----------------------------------------------------------------------------------
    def _call(self, call_id: Any, name: Any, args: Any) -> list[Event]:
        self._count += 1
        call_id = str(call_id or f"call_{self._count}")
        if call_id in self._seen_calls:
            return []
        self._seen_calls.add(call_id)
        return [ToolCall(call_id, str(name or "tool"), args if isinstance(args, dict) else {})]

    def _result(self, call_id: Any, name: Any, result: Any) -> list[Event]:
        self._count += 1
        call_id = str(call_id or f"result_{self._count}")
        if call_id in self._seen_results:
            return []
        self._seen_results.add(call_id)
        return [ToolResult(call_id, str(name or "tool"), result)]

    def _adk(self, parts: list[Any], partial: bool) -> list[Event]:
        events: list[Event] = []
        for part in parts:
            if not isinstance(part, dict) or part.get("thought"):
                continue
            if isinstance(part.get("text"), str):
                events += self._adk_text(part["text"], partial)
            elif isinstance(part.get("functionCall"), dict):
                call = part["functionCall"]
                events += self._call(call.get("id"), call.get("name"), call.get("args"))
            elif isinstance(part.get("functionResponse"), dict):
                response = part["functionResponse"]
                events += self._result(response.get("id"), response.get("name"), response.get("response"))
        return events

    def _adk_text(self, text: str, partial: bool) -> list[Event]:
        if partial:
            if not text:
                return []
            self._parts.append(text)
            return [TextEvent(text)]
        so_far = "".join(self._parts[self._segment_start:])
        if text.startswith(so_far):  # the usual case: the final event repeats the deltas
            rest = text[len(so_far):]
            if rest:
                self._parts.append(rest)
            self._segment_start = len(self._parts)
            return [TextEvent(rest)] if rest else []
        del self._parts[self._segment_start:]  # the final text differs: it replaces this segment
        self._parts.append(text)
        self._segment_start = len(self._parts)
        return [TextEvent("", replaced=True)]


async def iter_events(chunks: AsyncIterator[str], parser: EventParser) -> AsyncIterator[Event]:
    """Typed events from the text chunks of a ``text/event-stream`` body."""
    splitter = FrameSplitter()
    async for chunk in chunks:
        for data in splitter.feed(chunk):
            for event in parser.feed(data):
                yield event
    for data in splitter.flush():
        for event in parser.feed(data):
            yield event
