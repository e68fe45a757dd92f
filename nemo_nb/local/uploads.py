"""Receiving files: multipart streamed straight to disk with a size cap.

Nothing is ever held whole in memory; every path is made by us (media id + an ASCII name, ``names.py``)
under the data directory, files are written 0600, and a failed upload leaves no file behind. URL uploads
are in ``fetch.py``.
"""
from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from starlette.requests import Request

from nemo_nb.formats import ACCEPTED, ACCEPTED_TEXT, extension
from nemo_nb.local import errors
from nemo_nb.local.names import disk_name, safe_filename, too_long
from nemo_nb.local.store import new_id

MAX_FILES = 20
MAX_HEADER_BYTES = 16 * 1024  # one multipart part header
PARSER_HEADER_BYTES = 1024 * 1024  # python-multipart's own limit: well above ours (and above a read's size), so
                                   # ours, which knows a file name from other headers, is the one that answers


def unsupported(name: str) -> errors.ApiError:
    return errors.ApiError(errors.BAD_TYPE, f"unsupported file type for {name!r}; accepted: {ACCEPTED_TEXT}")


def too_large(limit: int) -> errors.ApiError:
    size = f"{limit / (1024 * 1024):.3g} MB" if limit >= 1024 * 1024 else f"{limit / 1024:.3g} KB"
    return errors.ApiError(errors.TOO_LARGE, f"file too large: the limit is {size}; "
                           "compress or trim the video and upload it again")


@dataclass
class Received:
    """A file written under the data directory, not yet probed."""

    media_id: str
    filename: str
    path: Path
    size: int = 0
    sha256: str = ""
    _hash: Any = field(default_factory=hashlib.sha256, repr=False)

    def open(self) -> IO[bytes]:
        """The new file, for writing, readable by its owner only."""
        return os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")

    def add(self, chunk: bytes, out: IO[bytes], max_bytes: int) -> None:
        """Write one chunk, counting and hashing it; 4002 past ``max_bytes``."""
        self.size += len(chunk)
        if self.size > max_bytes:
            raise too_large(max_bytes)
        self._hash.update(chunk)
        out.write(chunk)

    def finish(self) -> None:
        self.sha256 = self._hash.hexdigest()


class MediaFolder:
    """Makes the per-file folders under ``<data>/media`` and removes them on failure."""

    def __init__(self, root: Path):
        self.root = root.resolve()

    def new_file(self, original_name: str) -> Received:
        """A new folder for a file the client named ``original_name`` (shown as given, stored as ASCII)."""
        name = safe_filename(original_name)
        media_id = new_id("med_")
        folder = self.root / media_id
        path = (folder / disk_name(name)).resolve()
        if self.root not in path.parents:  # belt and braces: disk_name already forbids this
            raise errors.bad_request("bad file name")
        folder.mkdir(mode=0o700)
        return Received(media_id, name, path)

    def discard(self, files: list[Received]) -> None:
        for f in files:
            shutil.rmtree(f.path.parent, ignore_errors=True)


class MultipartReceiver:
    """Callbacks for ``python_multipart.MultipartParser``: each ``files`` part goes to its own file."""

    def __init__(self, folder: MediaFolder, max_bytes: int):
        self.folder = folder
        self.max_bytes = max_bytes
        self.files: list[Received] = []
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._field = b""
        self._value = b""
        self._current: Received | None = None
        self._out: IO[bytes] | None = None

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self._part_begin, "on_header_field": self._header_field,
            "on_header_value": self._header_value, "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished, "on_part_data": self._part_data,
            "on_part_end": self._part_end, "on_end": self._end,
        }

    def _part_begin(self) -> None:
        self._headers, self._current = {}, None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._field += data[start:end]
        if len(self._field) > MAX_HEADER_BYTES:
            raise errors.bad_request("multipart part header too large")

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._value += data[start:end]
        if len(self._value) > MAX_HEADER_BYTES:
            if self._field.lower() == b"content-disposition":
                raise too_long()
            raise errors.bad_request("multipart part header too large")

    def _header_end(self) -> None:
        self._headers[self._field.lower()] = self._value
        self._field = self._value = b""

    def _headers_finished(self) -> None:
        from python_multipart.multipart import parse_options_header

        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        if options.get(b"name") != b"files" or b"filename" not in options:
            return  # other fields are ignored (their data is dropped)
        filename = options[b"filename"].decode("utf-8", "replace")
        if extension(safe_filename(filename)) not in ACCEPTED:
            raise unsupported(filename)
        if len(self.files) >= MAX_FILES:
            raise errors.bad_request(f"at most {MAX_FILES} files per upload")
        self._current = self.folder.new_file(filename)
        self.files.append(self._current)
        self._out = self._current.open()

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._current is not None and self._out is not None:
            self._current.add(data[start:end], self._out, self.max_bytes)

    def _part_end(self) -> None:
        if self._current is not None and self._out is not None:
            self._out.close()
            self._out = None
            self._current.finish()
            self._current = None

    def _end(self) -> None:
        self.ended = True

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


async def receive_multipart(request: Request, folder: MediaFolder, max_bytes: int) -> list[Received]:
    """Stream the request's ``files`` parts to disk; on any error remove what was written."""
    from python_multipart.exceptions import FormParserError
    from python_multipart.multipart import MultipartParser, parse_options_header

    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise errors.bad_request("multipart upload without a boundary")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes * MAX_FILES + 1024 * 1024:
        raise too_large(max_bytes)
    sink = MultipartReceiver(folder, max_bytes)
    parser = MultipartParser(boundary, sink.callbacks(), max_header_size=PARSER_HEADER_BYTES)  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
        if not sink.ended:
            raise errors.bad_request("the multipart body was cut short; upload again")
        if not sink.files:
            raise errors.bad_request("no file in the upload: send them in the multipart field 'files'")
        return sink.files
    except FormParserError:
        sink.close()
        folder.discard(sink.files)
        raise errors.bad_request("malformed multipart body") from None
    except BaseException:
        sink.close()
        folder.discard(sink.files)
        raise
