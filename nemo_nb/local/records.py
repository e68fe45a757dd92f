"""The store's rows as typed records. JSON columns are decoded and encoded here, and only here.

A field with ``metadata=JSON_OBJECT`` (or ``JSON_LIST``) holds a JSON document in its column: ``from_row``
decodes it (an empty one when the column is NULL or empty) and ``encode_fields`` turns it back into text.
"""
from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

R = TypeVar("R")


JSON_OBJECT: Mapping[str, Any] = {"json": dict}  # field metadata: a JSON object in the column
JSON_LIST: Mapping[str, Any] = {"json": list}


def to_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def from_json(text: str | None, default: Callable[[], Any]) -> Any:
    return default() if not text else json.loads(text)


def from_row(cls: type[R], row: sqlite3.Row | None) -> R | None:
    """The record of ``row`` (None for no row), JSON columns decoded; columns not selected get None."""
    if row is None:
        return None
    have = row.keys()
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        raw = row[f.name] if f.name in have else None
        values[f.name] = from_json(raw, f.metadata["json"]) if "json" in f.metadata else raw
    return cls(**values)


def from_rows(cls: type[R], rows: list[sqlite3.Row]) -> list[R]:
    return [r for r in (from_row(cls, row) for row in rows) if r is not None]


def encode_fields(cls: type, values: Mapping[str, Any]) -> dict[str, Any]:
    """Column values for ``values`` (field name → Python value) of ``cls``: JSON fields as text."""
    json_names = {f.name for f in fields(cls) if "json" in f.metadata}
    return {k: to_json(v) if k in json_names and v is not None else v for k, v in values.items()}


def column_values(record: Any) -> dict[str, Any]:
    """Every column of ``record`` as it is stored."""
    return encode_fields(type(record), {f.name: getattr(record, f.name) for f in fields(record)})


@dataclass(frozen=True)
class Token:
    hash: str
    user_id: str
    client_id: str
    ip: str
    created_at: float
    expires_at: float
    uses: int
    revoked: int


@dataclass(frozen=True)
class Session:
    id: str
    task_id: str
    user_id: str
    task_name: str
    language: str
    created_at: float
    state_version: int
    state: dict[str, Any] = field(metadata=JSON_OBJECT)


@dataclass(frozen=True)
class Turn:
    id: str
    session_id: str
    message: str
    status: str
    text: str
    cost: int
    idempotency_key: str | None
    created_at: float
    finished_at: float | None


@dataclass(frozen=True)
class Media:
    """A file of a user under the data directory: an upload or something the agent made."""

    id: str
    user_id: str
    session_id: str | None
    origin: str            # "upload" | "generated"
    filename: str          # the name shown to the user (may be any script); never a path on disk
    relpath: str           # where it is, relative to the data directory
    file_type: str
    size: int
    sha256: str
    url_key: str
    created_at: float
    info: dict[str, Any] = field(metadata=JSON_OBJECT)


@dataclass(frozen=True)
class Render:
    """A render job. ``key`` is the server's own unique id; ``id`` is the client's, unique per user."""

    key: str
    id: str
    user_id: str
    session_id: str
    status: str
    progress: float
    error: str | None
    relpath: str | None
    url_key: str | None
    size: int | None
    duration: float | None
    copies_video: int | None
    created_at: float
    started_at: float | None
    completed_at: float | None
    output: dict[str, Any] = field(metadata=JSON_OBJECT)
    extra_outputs: dict[str, Any] = field(metadata=JSON_OBJECT)   # language → {"relpath", "url_key", "size"}
    languages: list[str] = field(metadata=JSON_LIST)

    def owned_paths(self) -> list[str]:
        """The files of a completed render, relative to the data directory."""
        if self.status != "completed" or not self.relpath:
            return []
        return [self.relpath, *(e["relpath"] for e in self.extra_outputs.values())]


@dataclass(frozen=True)
class Claim:
    hash: str
    user_id: str
    session_id: str
    expires_at: float


@dataclass(frozen=True)
class Remembered:
    """The answer given to a request with an ``Idempotency-Key``."""

    status: int
    body: dict[str, Any] = field(metadata=JSON_OBJECT)
