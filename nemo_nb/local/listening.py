"""What the clips of a session say: each media heard once (transcripts cached by content hash and model),
placed on the timeline, and turned into the files a user keeps (SRT, TXT, JSON).

The skills call ``hear`` from a worker thread (recognition takes seconds); everything else here is quick.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nemo_nb.draft import VIDEO, Draft
from nemo_nb.local import intents, srt
from nemo_nb.local.subtitles import Caption, break_captions
from nemo_nb.transcript import Transcript, Word

CACHE_FOLDER = "transcripts"
LINE_PAUSE_MS = 1000     # a pause this long ends a dubbing line even without punctuation
LINE_MAX_MS = 12000      # a dubbing line longer than this is cut at its longest pause
_HASH = re.compile(r"[0-9a-f]{64}")
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()

NOT_ENGLISH = ("The speech in {what} does not sound like English, and offline speech recognition here is English-only "
               "(Whisper tiny.en), so I can't transcribe, caption or dub it. To hear other languages, point the "
               "NEMO_ASR_MODEL environment variable at a multilingual CTranslate2 Whisper model directory (for "
               "example a converted whisper-small) and restart the backend. Nothing was changed or charged.")


@dataclass
class Heard:
    """The outcome of listening: a transcript on the timeline, or why there is none (``problem``, a reply)."""

    transcript: Transcript | None = None
    parts: list[Transcript] = field(default_factory=list)   # one per media, in media time
    problem: str | None = None

    @property
    def words(self) -> list[Word]:
        return self.transcript.words if self.transcript else []


def clips(ctx: Any, draft: Draft) -> list[dict[str, Any]]:
    """The uploads to listen to: the videos on the timeline in order, else the latest uploaded video."""
    uploads = {u["media_id"]: u for u in ctx.uploaded("video")}
    on_timeline: list[dict[str, Any]] = []
    for track in draft.tracks:
        if track.type == VIDEO:
            for seg in sorted(track.segments, key=lambda s: s.start_ms):
                upload = uploads.get(str(seg.src))
                if upload is not None and upload not in on_timeline:
                    on_timeline.append(upload)
    return on_timeline or list(ctx.uploaded("video"))[-1:]


def _cached(ctx: Any, upload: dict[str, Any]) -> Transcript | None:
    """The transcript of an upload if it was heard before with the current model (no recognition)."""
    path = _cache_path(ctx, upload)
    if path is None or not path.is_file():
        return None
    try:
        return Transcript.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None


def hear(ctx: Any, draft: Draft) -> Heard:
    """Listen to the clips (recognizing those not heard before) and place their words on ``draft``."""
    from nemo_nb.local.media.asr import RecognitionError, RecognitionUnavailable

    targets = clips(ctx, draft)
    if not targets:
        return Heard(problem="Upload a video with speech first, then ask again. Nothing was charged.")
    if not any(u.get("has_audio") for u in targets):
        names = ", ".join(u["filename"] for u in targets)
        return Heard(problem=f"{names} has no sound, so there is nothing to hear. Nothing was charged.")
    parts: list[Transcript] = []
    try:
        for upload in (u for u in targets if u.get("has_audio")):
            parts.append(_transcript_of(ctx, upload))
    except RecognitionUnavailable as exc:
        return Heard(problem=f"I can't listen here: {exc}. Nothing was charged.")
    except RecognitionError as exc:
        return Heard(problem=f"Listening to the clip failed: {exc}. Nothing was changed or charged.")
    foreign = [p for p in parts if p.language == "und"]
    if foreign:
        return Heard(parts=parts, problem=NOT_ENGLISH.format(what=", ".join(p.filename for p in foreign)))
    if all(p.is_empty for p in parts):
        names = ", ".join(p.filename for p in parts)
        return Heard(parts=parts, problem=f"I listened to {names} and heard no speech, so there is nothing to "
                                          "transcribe or caption. Nothing was changed or charged.")
    return Heard(Transcript.merge(p.on_timeline(draft) for p in parts), parts)


def _transcript_of(ctx: Any, upload: dict[str, Any]) -> Transcript:
    """One upload's transcript: from the cache, else recognized (once, even when asked twice at once)."""
    from nemo_nb.local.media.asr import recognizer

    path = _cache_path(ctx, upload)
    with _lock_for(str(path)):
        found = _cached(ctx, upload)
        if found is not None:  # heard before, maybe as another upload of the same bytes
            return replace(found, media_id=upload["media_id"], filename=upload["filename"])
        media = ctx.store.media(upload["media_id"], ctx.user_id)
        if media is None:
            raise FileNotFoundError(f"{upload['filename']} is no longer stored")
        transcript = recognizer().transcribe(ctx.library.path(media), duration_s=float(upload.get("duration") or 0),
                                             media_id=upload["media_id"], filename=upload["filename"],
                                             media_hash=str(upload.get("hash") or ""))
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            part = path.with_name(path.name + ".part")
            part.write_text(json.dumps(transcript.to_json()), encoding="utf-8")
            os.replace(part, path)
        return transcript


def _cache_path(ctx: Any, upload: dict[str, Any]) -> Path | None:
    from nemo_nb.local.media.asr import RecognitionUnavailable, model_dir, model_key

    digest = str(upload.get("hash") or "")
    if not _HASH.fullmatch(digest):
        return None
    try:
        key = model_key(model_dir())
    except (RecognitionUnavailable, OSError):
        return None
    return Path(ctx.library.data_dir) / CACHE_FOLDER / f"{digest}.{key}.json"


def _lock_for(key: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


# --- what the words become -----------------------------------------------------------------------------------

def captions_of(heard: Heard) -> list[Caption]:
    return break_captions(heard.words)


def speech_lines(transcript: Transcript) -> list[tuple[int, int, str]]:
    """Sentences with their times (ms), for dubbing: split after a sentence's end, at a pause of
    ``LINE_PAUSE_MS``, and at the longest pause of a line that runs over ``LINE_MAX_MS``."""
    lines: list[list[Word]] = [[]]
    for word in transcript.words:
        current = lines[-1]
        if current and word.start_ms - current[-1].end_ms >= LINE_PAUSE_MS:
            lines.append([word])
        else:
            current.append(word)
        if re.search(r"[.!?…。！？][\"'”’)]*$", word.text):
            lines.append([])
    out: list[tuple[int, int, str]] = []
    for words in (line for line in lines if line):
        out += _cut_long(transcript, words)
    return out


def _cut_long(transcript: Transcript, words: list[Word]) -> list[tuple[int, int, str]]:
    if words[-1].end_ms - words[0].start_ms <= LINE_MAX_MS or len(words) < 2:
        return [(words[0].start_ms, words[-1].end_ms, transcript.join(w.text for w in words))]
    cut = max(range(1, len(words)), key=lambda i: (words[i].start_ms - words[i - 1].end_ms, -abs(i - len(words) // 2)))
    return _cut_long(transcript, words[:cut]) + _cut_long(transcript, words[cut:])


def transcript_text(transcript: Transcript, quote: str = "") -> str:
    """One line a segment: ``[0:03] Welcome to the tour.`` (each after ``quote``: "> " quotes it in a reply,
    so that no client takes the speaker's words for instructions)."""
    return "\n".join(f"{quote}[{intents.clock_text(s.start_ms)}] {s.text}" for s in transcript.segments)


def keep_files(ctx: Any, heard: Heard, captions: list[Caption]) -> dict[str, dict[str, Any]]:
    """The transcript as generated media: ``transcript.<lang>.srt`` (the captions), ``.txt`` and ``.json`` (one
    per media heard, in media time: nemo_nb's own format, see ``nemo_nb.transcript``). A file already kept
    with the same name and content is reused, not written again. Returns the entries by file name."""
    from nemo_nb.local.library import DOCUMENT_INFO, inspect

    transcript = heard.transcript
    if transcript is None:
        raise ValueError("nothing was heard: no transcript to keep")
    language = transcript.language
    kept = {(e.get("filename"), e.get("hash")): e for e in ctx.state.get("generated_media", [])
            if isinstance(e, dict) and e.get("kind") == "transcript"}
    sources = ",".join(p.media_id for p in heard.parts)
    files = {f"transcript.{language}.srt": srt.format_srt([srt.Cue(c.start_ms, c.end_ms, c.text) for c in captions]),
             f"transcript.{language}.txt": transcript_text(transcript) + "\n"}
    for part in heard.parts:
        files[f"transcript.{part.media_id}.json"] = json.dumps(part.to_json(), ensure_ascii=False)
    entries: dict[str, dict[str, Any]] = {}
    for name, content in files.items():
        reuse = kept.get((name, hashlib.sha256(content.encode("utf-8")).hexdigest()))
        if reuse is not None:
            entries[name] = reuse
            continue
        item = ctx.new_file(name)
        item.path.write_text(content, encoding="utf-8")
        info = dict(DOCUMENT_INFO) if name.endswith(".json") else inspect(item.path)
        source = name.split(".")[1] if name.endswith(".json") else sources
        entries[name] = ctx.register(item, info, kind="transcript", source=source, model=transcript.model,
                                     language=language)
    return entries
