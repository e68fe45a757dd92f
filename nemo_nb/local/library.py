"""The user's files — uploads and generated media — registered in the store and served by URL."""
from __future__ import annotations

import dataclasses
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nemo_nb.formats import media_kind
from nemo_nb.local import uploads
from nemo_nb.local.datadir import private_folder, tighten
from nemo_nb.local.records import Media
from nemo_nb.local.store import Store

DOCUMENT_INFO = {"kind": "document", "duration_s": 0.0, "width": 0, "height": 0, "fps": 0.0, "has_audio": False,
                 "has_video": False, "video_codec": "", "audio_codec": "", "pix_fmt": ""}


def check_document(path: Path) -> dict[str, Any]:
    """A script or subtitle file whose text can be read, else ``ProbeError``."""
    from nemo_nb.local.documents import DocumentError, read_text
    from nemo_nb.local.media.probe import ProbeError

    try:
        read_text(path)
    except DocumentError as exc:
        raise ProbeError(str(exc)) from None
    return dict(DOCUMENT_INFO)


def inspect(path: Path) -> dict[str, Any]:
    """What a received file is (probe for media, text check for documents); ``ProbeError`` if unusable."""
    from nemo_nb.local.media.probe import probe

    if media_kind(path.name) == "document":
        return check_document(path)
    return dataclasses.asdict(probe(path))


class Library:
    """Registers files under ``<data>/media`` for a user and describes them as the protocol does."""

    def __init__(self, store: Store, data_dir: Path, public_url: Callable[[], str]):
        self.store = store
        self.data_dir = data_dir
        self.folder = uploads.MediaFolder(private_folder(data_dir / "media"))
        self.public_url = public_url

    def new_file(self, name: str) -> uploads.Received:
        """A fresh folder and path for a file we are about to write."""
        return self.folder.new_file(name)

    def path(self, media: Media) -> Path:
        return self.data_dir / media.relpath

    def record(self, item: uploads.Received, info: dict[str, Any], user_id: str, session_id: str,
               origin: str) -> Media:
        """The store record for a received or generated file (not saved yet)."""
        if not item.sha256:
            from nemo_nb.local.media.probe import sha256_file

            item.sha256 = sha256_file(item.path)
            item.size = item.path.stat().st_size
        tighten(item.path, 0o600)  # a generated file was written by another program, with its own mode
        return Media(id=item.media_id, user_id=user_id, session_id=session_id, origin=origin, filename=item.filename,
                     relpath=str(item.path.relative_to(self.data_dir)), file_type=info["kind"], size=item.size,
                     sha256=item.sha256, url_key=secrets.token_urlsafe(18), created_at=time.time(), info=info)

    def describe(self, media: Media) -> dict[str, Any]:
        """A file as ``files[]`` / ``video_infos`` / ``generated_media`` entries show it."""
        info = media.info
        return {"media_id": media.id, "filename": media.filename, "file_type": media.file_type,
                "cdn_url": f"{self.public_url()}/files/{media.url_key}/{quote(media.filename)}",
                "duration": round(info["duration_s"], 3), "width": info["width"], "height": info["height"],
                "fps": info["fps"], "has_audio": info["has_audio"], "size": media.size, "hash": media.sha256}

    def add_generated(self, item: uploads.Received, info: dict[str, Any], user_id: str, session_id: str,
                      **extra: Any) -> dict[str, Any]:
        """Register a file the agent made; its description (plus ``extra``) for ``generated_media``."""
        media = self.record(item, info, user_id, session_id, "generated")
        self.store.add_media(media)
        return {**self.describe(media), **extra}

    def text(self, media_id: str, user_id: str) -> str | None:
        """The text of one of the user's documents."""
        media = self.store.media(media_id, user_id)
        if not media or media.file_type != "document":
            return None
        from nemo_nb.local.documents import read_text

        return read_text(self.path(media))
