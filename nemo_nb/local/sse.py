"""Turn events into ``text/event-stream`` frames, in the canonical dialect or Google ADK's.

The agent speaks canonical events (dicts): ``{"type": "text", "content"}``, ``{"type": "tool_call",
"id", "name", "args"}``, ``{"type": "tool_result", "id", "name", "result"}``, ``{"type": "heartbeat"}``,
``{"type": "blank"}`` (an empty ``data:`` line) and ``{"type": "error", "message"}``.
"""
from __future__ import annotations

import json
import time
import uuid
from typing import Any

BLANK = b"data:\n\n"


def frame(obj: Any) -> bytes:
    return b"data: " + json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"


class CanonicalEncoder:
    """The protocol's canonical events (docs/protocol.md), one ``data:`` line each."""

    def encode(self, event: dict[str, Any]) -> list[bytes]:
        kind = event.get("type")
        if kind == "blank":
            return [BLANK]
        if kind == "error":
            return [frame({"error": event.get("message", "error")})]
        return [frame(event)]

    def close(self) -> list[bytes]:
        return []


class AdkEncoder:
    """ADK events: partial text deltas, then a final event repeating the whole text; function calls
    sent partial then final with the same id; one ``thought`` part the client must skip."""

    def __init__(self, author: str = "nemo_agent"):
        self.author = author
        self.invocation = f"e-{uuid.uuid4()}"
        self._text: list[str] = []
        self._thought_sent = False

    def _event(self, parts: list[dict[str, Any]], *, partial: bool, role: str = "model") -> bytes:
        return frame({
            "id": str(uuid.uuid4()), "invocationId": self.invocation, "author": self.author,
            "timestamp": time.time(), "partial": partial,
            "content": {"role": role, "parts": parts},
        })

    def _flush_text(self) -> list[bytes]:
        if not self._text:
            return []
        whole, self._text = "".join(self._text), []
        return [self._event([{"text": whole}], partial=False)]

    def encode(self, event: dict[str, Any]) -> list[bytes]:
        kind = event.get("type")
        out: list[bytes] = []
        if not self._thought_sent and kind in ("text", "tool_call"):
            self._thought_sent = True
            out.append(self._event([{"text": "Planning the edit.", "thought": True}], partial=True))
        if kind == "text":
            self._text.append(event["content"])
            out.append(self._event([{"text": event["content"]}], partial=True))
            return out
        if kind in ("heartbeat", "blank"):
            return [*out, BLANK]
        out += self._flush_text()
        if kind == "tool_call":
            call = {"functionCall": {"id": event["id"], "name": event["name"], "args": event.get("args", {})}}
            out += [self._event([call], partial=True), self._event([call], partial=False)]
        elif kind == "tool_result":
            response = {"functionResponse": {"id": event["id"], "name": event["name"],
                                             "response": event.get("result", {})}}
            out.append(self._event([response], partial=False, role="user"))
        elif kind == "error":
            out.append(frame({"errorCode": "AGENT_ERROR", "errorMessage": event.get("message", "error")}))
        return out

    def close(self) -> list[bytes]:
        return self._flush_text()


def encoder(dialect: str) -> CanonicalEncoder | AdkEncoder:
    return AdkEncoder() if dialect == "adk" else CanonicalEncoder()
