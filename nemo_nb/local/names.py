"""File names of uploads: the one shown (any script: ``视频.mp4`` stays ``视频.mp4``) and the one on disk.

The name shown is the last path component of what the client sent, NFKC-normalised (full-width ``／`` is a
slash, full-width letters are letters), with control, invisible and bidirectional-override characters and
the characters no file system accepts (``<>:"|?*``) replaced, no leading dot or dash, at most
``SHOWN_CHARS`` characters with its extension kept. It is never a path: on disk a file lives in its media
folder under an ASCII name (``disk_name``).
"""
from __future__ import annotations

import re
import unicodedata

from nemo_nb.local import errors

MAX_CHARS = 1024      # longer names are refused (4000)
SHOWN_CHARS = 100     # the name shown is cut to this
SEPARATORS = re.compile("[\\\\/\u2044\u2215\u29f8\u29f9]")  # slashes, also the fraction and division ones
REPLACED = re.compile(r'[<>:"|?*]+')
KEEP_FORMAT = {"\u200c", "\u200d"}  # zero-width (non-)joiners: needed by Persian, Indic scripts and emoji
DROPPED = {"Cf", "Cs", "Co", "Cn"}   # format (bidi overrides, zero-width space), surrogates, private, unassigned


def too_long() -> errors.ApiError:
    return errors.bad_request(f"the file name in the multipart upload is longer than {MAX_CHARS:,} characters; "
                              "rename the file and upload it again")


def _clean(name: str) -> str:
    out = []
    for char in name:
        kind = unicodedata.category(char)
        if kind in DROPPED and char not in KEEP_FORMAT:
            continue
        out.append("_" if kind in ("Cc", "Zl", "Zp") else char)
    return REPLACED.sub("_", "".join(out))


def safe_filename(name: str, default: str = "upload") -> str:
    """The name to show for a file the client named ``name`` (see the module's docstring)."""
    if len(name) > MAX_CHARS:
        raise too_long()
    name = SEPARATORS.split(unicodedata.normalize("NFKC", name or ""))[-1]
    name = re.sub(r"\s+", " ", _clean(name)).strip(" ._-") or default
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext) > 8 or not ext.isalnum():
        return name[:SHOWN_CHARS].rstrip(" .")
    stem = stem.rstrip(" .")[:SHOWN_CHARS - len(ext) - 1].rstrip(" .") or default
    return f"{stem}.{ext.lower()}"


def disk_name(shown: str) -> str:
    """An ASCII name for the file on disk (letters, digits, ``._-``), keeping the extension."""
    ascii_name = unicodedata.normalize("NFKD", shown).encode("ascii", "ignore").decode()
    stem, dot, ext = ascii_name.rpartition(".")
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", stem if dot else ascii_name).strip("._-")[:80] or "file"
    ext = re.sub(r"[^A-Za-z0-9]+", "", ext)[:8].lower() if dot else ""
    return f"{stem}.{ext}" if ext else stem
