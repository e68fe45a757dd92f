"""The text of uploaded scripts: TXT, MD and SRT always; PDF and DOCX when a well-kept parser is
installed (``pip install 'nemo-nb[documents]'``: pypdf, python-docx). Every file is hostile input:
sizes, pages and unpacked bytes are capped."""
from __future__ import annotations

import importlib.util
import zipfile
from pathlib import Path

MAX_TEXT_FILE = 2 * 1024 * 1024
MAX_OFFICE_FILE = 20 * 1024 * 1024
MAX_PAGES = 100
MAX_UNPACKED = 50 * 1024 * 1024  # a DOCX is a zip: refuse zip bombs before parsing
MAX_CHARS = 200_000
PARSERS = {"pdf": "pypdf", "docx": "docx"}


class DocumentError(ValueError):
    """The file cannot be read as a script; the message says why and what to do."""


def parser_installed(extension: str) -> bool:
    module = PARSERS.get(extension)
    return module is None or importlib.util.find_spec(module) is not None


def read_text(path: Path) -> str:
    """The document's text (``DocumentError`` when it is unusable)."""
    extension = path.suffix.lower().lstrip(".")
    size = path.stat().st_size
    if extension in PARSERS:
        if not parser_installed(extension):
            raise DocumentError(f"{path.name}: reading .{extension} scripts needs the '{PARSERS[extension]}' "
                                "package (pip install 'nemo-nb[documents]'); or upload the script as .txt")
        if size > MAX_OFFICE_FILE:
            raise DocumentError(f"{path.name}: documents are limited to {MAX_OFFICE_FILE // 2**20} MB")
        text = _pdf(path) if extension == "pdf" else _docx(path)
    else:
        if size > MAX_TEXT_FILE:
            raise DocumentError(f"{path.name}: text files are limited to {MAX_TEXT_FILE // 2**20} MB")
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DocumentError(f"{path.name}: not UTF-8 text") from None
    if "\x00" in text or not text.strip():
        raise DocumentError(f"{path.name}: empty or not text")
    return text[:MAX_CHARS]


def _pdf(path: Path) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            raise DocumentError(f"{path.name}: the PDF is encrypted")
        return "\n".join(page.extract_text() or "" for page in reader.pages[:MAX_PAGES])
    except (PyPdfError, ValueError, KeyError, TypeError) as exc:
        if isinstance(exc, DocumentError):
            raise
        raise DocumentError(f"{path.name}: not a readable PDF") from None


def _docx(path: Path) -> str:
    import docx

    try:
        with zipfile.ZipFile(path) as archive:
            if sum(item.file_size for item in archive.infolist()) > MAX_UNPACKED:
                raise DocumentError(f"{path.name}: the document unpacks to more than {MAX_UNPACKED // 2**20} MB")
        return "\n".join(paragraph.text for paragraph in docx.Document(str(path)).paragraphs)
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        if isinstance(exc, DocumentError):
            raise
        raise DocumentError(f"{path.name}: not a readable DOCX") from None
