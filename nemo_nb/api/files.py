"""Uploads from disk: refusals before any byte is sent, and a file that reports its progress."""
from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from nemo_nb.api import errors
from nemo_nb.formats import MAX_UPLOAD_BYTES, media_kind

Progress = Callable[[int, int], None]  # (bytes sent, bytes in total)


def checked_uploads(paths: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The files to upload, refused here when missing, of an unaccepted type or too large."""
    files = [Path(p).expanduser() for p in paths]
    if not files:
        raise errors.BadRequest("name at least one file to upload")
    for f in files:
        if not f.is_file():
            raise errors.BadRequest(f"no such file: {f}")
        if media_kind(f.name) is None:
            raise errors.UnsupportedFile(f"{f.name} is not a supported type")
        if f.stat().st_size > MAX_UPLOAD_BYTES:
            raise errors.FileTooLarge(f"{f.name} is {f.stat().st_size / 1e6:.0f} MB")
    return files


class ProgressFile:
    """A file opened for upload that reports bytes read; httpx streams it chunk by chunk.

    Reads are at least ``MIN_READ`` bytes: httpx asks for 64 KiB at a time, and fewer, larger
    writes keep a large upload as fast as a bare streamed one while memory stays flat.
    """

    MIN_READ = 1 << 20

    def __init__(self, path: Path, report: Callable[[int], None]):
        self._f = path.open("rb")
        self._report = report
        self._sent = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._f.read(size if size < 0 else max(size, self.MIN_READ))
        self._sent += len(chunk)
        self._report(len(chunk))
        return chunk

    def seek(self, offset: int, whence: int = 0) -> int:
        position = self._f.seek(offset, whence)
        if whence == 0 and offset == 0 and self._sent:
            self._report(-self._sent)
            self._sent = 0
        return position

    def tell(self) -> int:
        return self._f.tell()

    def fileno(self) -> int:
        return self._f.fileno()

    def close(self) -> None:
        self._f.close()
