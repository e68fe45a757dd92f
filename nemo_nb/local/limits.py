"""Bounds on what one request may make the backend parse and hold, checked before the work is done.

A JSON body's brackets and commas are counted on its bytes before it is decoded (bytes.count: a few
milliseconds for megabytes), so a body of a million empty objects is refused without building one of
them; strings can only add to those counts, and no sensible request comes near the limits. The body is
then decoded with orjson (its nesting is capped at 1024 levels), and the document's depth and longest
string are measured; a draft also has its tracks and segments counted.
"""
from __future__ import annotations

from typing import Any

import orjson

from nemo_nb.local.errors import ApiError, bad_request

MAX_DEPTH = 32               # nesting of any JSON body
MAX_CONTAINERS = 50_000      # "{" and "[" in one body
MAX_VALUES = 150_000         # "{", "[" and "," in one body: about the number of values
MAX_STRING_CHARS = 100_000   # any one string of a body
MAX_TRACKS = 200             # tracks of a draft
MAX_SEGMENTS = 10_000        # segments of a draft, over all its tracks
MAX_DRAFT_STRING_CHARS = 20_000


def too_large(what: str, limit: int) -> ApiError:
    return bad_request(f"the request has {what} (at most {limit:,}); send a smaller one")


def check_counts(body: bytes) -> None:
    """Refuse a JSON body with too many containers or values before decoding it."""
    containers = body.count(b"{") + body.count(b"[")
    if containers > MAX_CONTAINERS:
        raise too_large("too many JSON objects and arrays", MAX_CONTAINERS)
    if body.count(b",") + containers > MAX_VALUES:
        raise too_large("too many JSON values", MAX_VALUES)


def measure(value: Any) -> tuple[int, int]:
    """(nesting depth, longest string) of a decoded JSON document; keys count as strings."""
    depth, longest = 0, 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, str):
            longest = max(longest, len(item))
        elif isinstance(item, (dict, list)):
            depth = max(depth, level)
            if isinstance(item, dict):
                longest = max(longest, max(map(len, item), default=0))
                item = item.values()
            stack.extend((child, level + 1) for child in item)
    return depth, longest


def decode_object(body: bytes) -> dict[str, Any]:
    """A JSON object body, bounded in shape and string length; a clear 4000 otherwise. Blocking: run it in a
    worker thread."""
    if not body.strip():
        return {}
    check_counts(body)
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        if "depth" in str(exc) or "recursion" in str(exc):
            raise bad_request(f"the JSON body is nested too deeply (at most {MAX_DEPTH} levels)") from None
        raise bad_request("the body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("the body must be a JSON object")
    depth, longest = measure(data)
    if depth > MAX_DEPTH:
        raise bad_request(f"the JSON body is nested too deeply (at most {MAX_DEPTH} levels)")
    if longest > MAX_STRING_CHARS:
        raise too_large("a JSON string that is too long", MAX_STRING_CHARS)
    return data


def check_draft_size(draft: dict[str, Any]) -> None:
    """Refuse a draft with too many tracks or segments, or too long a string (before anything walks it)."""
    tracks = draft.get("t")
    if not isinstance(tracks, list):
        return  # a malformed draft: the render check says what is wrong
    if len(tracks) > MAX_TRACKS:
        raise too_large(f"a draft of {len(tracks):,} tracks", MAX_TRACKS)
    segments = sum(len(t["sg"]) for t in tracks if isinstance(t, dict) and isinstance(t.get("sg"), list))
    if segments > MAX_SEGMENTS:
        raise too_large(f"a draft of {segments:,} segments", MAX_SEGMENTS)
    if measure(draft)[1] > MAX_DRAFT_STRING_CHARS:
        raise too_large("a draft string that is too long", MAX_DRAFT_STRING_CHARS)
