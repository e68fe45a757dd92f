"""Accepted upload types and limits (docs/protocol.md), shared by the client and the embedded backend."""
from __future__ import annotations

ACCEPTED: dict[str, str] = {
    **dict.fromkeys(("mp4", "mov", "avi", "webm", "mkv"), "video"),
    **dict.fromkeys(("jpg", "jpeg", "png", "gif", "webp"), "image"),
    **dict.fromkeys(("mp3", "wav", "m4a", "aac"), "audio"),
    # scripts and subtitles for voiceovers, dubbing and avatars (the avatar seed lists TXT, DOCX, PDF;
    # the embedded backend reads PDF/DOCX when their parsers are installed)
    **dict.fromkeys(("txt", "md", "srt", "pdf", "docx"), "document"),
}
ACCEPTED_TEXT = ("video mp4, mov, avi, webm, mkv; image jpg, png, gif, webp; audio mp3, wav, m4a, aac; "
                 "scripts and subtitles txt, md, srt, pdf, docx")
MAX_UPLOAD_BYTES = 500 * 1024 * 1024


def extension(name: str) -> str:
    """The lower-case extension of a file name, without the dot ('' when none)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rpartition(".")[2].lower() if "." in base else ""


def media_kind(name: str) -> str | None:
    """'video', 'image', 'audio' or 'document' for an accepted file name, else None."""
    return ACCEPTED.get(extension(name))
