"""What the client hands back: credits, uploaded files, session state, replies, exports."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_nb.api.events import Event, ToolCall
from nemo_nb.draft import Draft


@dataclass(frozen=True)
class Credits:
    available: int
    frozen: int
    total: int

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Credits:
        available, frozen = int(data.get("available", 0)), int(data.get("frozen", 0))
        return cls(available, frozen, int(data.get("total", available + frozen)))

    def __str__(self) -> str:
        return f"{self.available} credits available ({self.frozen} frozen, {self.total} total)"


@dataclass(frozen=True)
class UploadedFile:
    filename: str
    file_type: str
    url: str
    duration: float | None = None
    width: int | None = None
    height: int | None = None
    fps: float | None = None
    hash: str | None = None
    media_id: str | None = None

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> UploadedFile:
        return cls(filename=str(data.get("filename", "")), file_type=str(data.get("file_type", "")),
                   url=str(data.get("cdn_url", "")), duration=data.get("duration"), width=data.get("width"),
                   height=data.get("height"), fps=data.get("fps"), hash=data.get("hash"),
                   media_id=data.get("media_id"))


@dataclass
class SessionState:
    """``GET /api/state/…/latest``: the draft and what the session knows about its media."""

    session_id: str
    task_id: str
    task_name: str
    draft: Draft
    video_infos: list[dict[str, Any]] = field(default_factory=list)
    canvas_config: dict[str, Any] = field(default_factory=dict)
    generated_media: list[Any] = field(default_factory=list)
    video_analyses: list[Any] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> SessionState:
        state = data["state"] if isinstance(data.get("state"), dict) else {}
        return cls(session_id=str(data.get("session_id", "")), task_id=str(data.get("task_id", "")),
                   task_name=str(data.get("task_name", "")), draft=Draft(state.get("draft")),
                   video_infos=list(state.get("video_infos") or []),
                   canvas_config=dict(state.get("canvas_config") or {}),
                   generated_media=list(state.get("generated_media") or []),
                   video_analyses=list(state.get("video_analyses") or []))

    def __str__(self) -> str:
        return self.draft.summary()


@dataclass
class Reply:
    """One agent turn: the reply text (GUI phrases translated), its events, and what changed."""

    text: str
    events: list[Event]
    tool_calls: list[ToolCall]
    silent: bool
    changes: list[str]
    draft_before: Draft
    draft_after: Draft | None
    credits_used: int | None
    actions: tuple[str, ...] = ()
    notices: list[str] = field(default_factory=list)
    raw_text: str = ""
    incomplete: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True)
class Export:
    """A finished export: where the MP4 is, where it came from, how long and big it is."""

    path: Path
    url: str | None
    duration: float | None
    size: int
    render_id: str
    outputs: dict[str, Path] = field(default_factory=dict)  # language → its own MP4 (dubbed drafts)
    preview: bool = False  # a quick small render for looking (``export(..., preview=True)``), not the final export

    def __str__(self) -> str:
        duration = f"{self.duration:.1f} s, " if self.duration else ""
        return f"{self.path} ({duration}{self.size / 1e6:.1f} MB{', preview' if self.preview else ''})"


# What ``Session.ask`` hands back, by what the text asked for: a reply from the agent, or the answer
# of a request handled without a message (credits, status, an upload, an export).
Answer = Reply | Credits | SessionState | list[UploadedFile] | Export
