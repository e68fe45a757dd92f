"""Files sent from the browser to the kernel in chunks (the studio's upload button and drag-and-drop).

The browser sends ``upload_begin`` (name, size), then chunks as binary buffers, one at a time: each
is acknowledged (``upload_ack``) before the next goes, so the progress bar shows bytes really
received. The file is written under ``nemo_uploads/`` next to the notebook with a sanitized name, and
then uploaded to the session by the controller like any local file.
"""
from __future__ import annotations

import re
from pathlib import Path

from nemo_nb.formats import MAX_UPLOAD_BYTES, media_kind

CHUNK_BYTES = 1 << 20


def safe_name(name: str) -> str:
    """A file name with no folders, no leading dots and only ordinary characters."""
    base = re.sub(r"[^\w.\- ]+", "_", Path(str(name).replace("\\", "/")).name).strip(" .") or "upload"
    return base[:120]


class Incoming:
    """One file arriving from the browser."""

    def __init__(self, folder: Path, name: str, size: int):
        cleaned = safe_name(name)
        if media_kind(cleaned) is None:
            from nemo_nb.api.errors import UnsupportedFile

            raise UnsupportedFile(f"{cleaned} is not a supported type")
        if not 0 <= size <= MAX_UPLOAD_BYTES:
            from nemo_nb.api.errors import FileTooLarge

            raise FileTooLarge(f"{cleaned} is {size / 1e6:.0f} MB")
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / cleaned
        self.size = size
        self.received = 0
        self._part = self.path.with_name(self.path.name + ".part")
        self._file = self._part.open("wb")

    def write(self, data: bytes) -> int:
        if self.received + len(data) > self.size:
            self.abort()
            raise ValueError(f"{self.path.name}: more bytes arrived than announced")
        self._file.write(data)
        self.received += len(data)
        return self.received

    @property
    def complete(self) -> bool:
        return self.received == self.size

    def finish(self) -> Path:
        self._file.close()
        self._part.replace(self.path)
        return self.path

    def abort(self) -> None:
        self._file.close()
        self._part.unlink(missing_ok=True)
