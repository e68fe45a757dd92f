"""``s.transcript()``: what the session's clip says, as a ``nemo_nb.transcript.Transcript`` (segments and
words as DataFrames, with times on the timeline and the recognizer's confidence).

How it travels over HTTP (an extension of the embedded backend, documented in the README): the agent is
asked in a free turn ("give me the transcript") only when the session's generated media do not yet hold a
transcript for every clip to hear; it keeps one JSON file per clip there (``kind: "transcript"``, ``source``:
the clip's media id), which is downloaded (credential-free, size-capped) and placed on the current timeline.
"""
from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import httpx

from nemo_nb.api import errors
from nemo_nb.api.models import SessionState
from nemo_nb.draft import VIDEO
from nemo_nb.transcript import Transcript

if TYPE_CHECKING:  # pragma: no cover
    from nemo_nb.api.client import AsyncSession

ASK = "give me the transcript"
MAX_JSON_BYTES = 64 * 1024 * 1024


class TranscriptUnavailable(errors.NemoError):
    """The server gave no transcript (no speech, not a language it hears, no recognizer, or not supported)."""


def clips_to_hear(state: SessionState) -> list[str]:
    """Media ids of the clips a transcript covers: the videos with sound on the timeline in order, else the
    latest uploaded video with sound (the embedded backend's rule)."""
    videos = {str(v.get("media_id")): v for v in state.video_infos if v.get("file_type") == "video"}
    ordered: list[str] = []
    for track in state.draft.tracks:
        if track.type == VIDEO:
            for seg in sorted(track.segments, key=lambda s: s.start_ms):
                if seg.src in videos and seg.src not in ordered:
                    ordered.append(str(seg.src))
    chosen = ordered or list(videos)[-1:]
    return [m for m in chosen if videos[m].get("has_audio")]


def transcript_files(state: SessionState) -> dict[str, dict[str, Any]]:
    """The newest transcript JSON kept per source media id."""
    found: dict[str, dict[str, Any]] = {}
    for entry in state.generated_media:
        if (isinstance(entry, dict) and entry.get("kind") == "transcript"
                and str(entry.get("filename", "")).endswith(".json") and entry.get("source")):
            found[str(entry["source"])] = entry
    return found


async def session_transcript(session: AsyncSession) -> Transcript:
    """The transcript of ``session``'s clip(s), on its current timeline; asks the agent (a free turn) only
    when it was not heard before. ``TranscriptUnavailable`` carries the agent's reason when there is none."""
    state = await session.state()
    wanted = clips_to_hear(state)
    if not wanted:
        raise TranscriptUnavailable("no clip with sound to transcribe: upload a video with speech first")
    files = transcript_files(state)
    if any(m not in files for m in wanted):
        reply = await session.send(ASK)
        state = await session.state()
        files = transcript_files(state)
        if any(m not in files for m in wanted):
            raise TranscriptUnavailable(reply.text.strip() or "the server kept no transcript (the embedded backend "
                                        "keeps one; the cloud API has no such file)")
    parts = [Transcript.from_json(await _fetch_json(session, str(files[m].get("cdn_url", "")))) for m in wanted]
    return Transcript.merge(part.on_timeline(state.draft) for part in parts)


async def _fetch_json(session: AsyncSession, url: str) -> Any:
    """A JSON file by its URL: no credentials sent, at most ``MAX_JSON_BYTES``."""
    transport = session.nemo.transport
    target = transport.url(url)
    if target.scheme not in ("http", "https") or not target.host:
        raise TranscriptUnavailable(f"the transcript's address is not a web address: {url[:80]!r}")
    chunks: list[bytes] = []
    size = 0
    try:
        async with transport.http.stream("GET", target, headers={}, timeout=httpx.Timeout(60)) as response:
            response.raise_for_status()
            async for chunk in response.aiter_bytes(1 << 20):
                size += len(chunk)
                if size > MAX_JSON_BYTES:
                    raise TranscriptUnavailable(f"the transcript file is over {MAX_JSON_BYTES >> 20} MB")
                chunks.append(chunk)
        return json.loads(b"".join(chunks))
    except (httpx.HTTPError, ValueError) as exc:
        raise TranscriptUnavailable(f"the transcript file could not be read: {exc}") from None
