"""Scripts from PDF and DOCX uploads (read when pypdf / python-docx are installed), and hostile documents."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from nemo_nb.local.documents import DocumentError, read_text

SCRIPT = "Big news from Atlas. Our dashboard now updates live. Reports take one click."


def make_pdf(path: Path, text: str) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.5, 11))
    figure.text(0.1, 0.9, text, fontsize=10)
    figure.savefig(path, format="pdf")
    return path


def make_docx(path: Path, text: str) -> Path:
    docx = pytest.importorskip("docx")
    document = docx.Document()
    for sentence in text.split(". "):
        document.add_paragraph(sentence.rstrip(".") + ".")
    document.save(str(path))
    return path


@pytest.mark.slow
def test_pdf_and_docx_text(tmp_path: Path):
    pytest.importorskip("pypdf")
    assert "dashboard now updates live" in read_text(make_pdf(tmp_path / "script.pdf", SCRIPT))
    assert read_text(make_docx(tmp_path / "script.docx", SCRIPT)).splitlines()[1] == "Our dashboard now updates live."


@pytest.mark.parametrize("name,content", [("fake.pdf", b"%PDF-1.4 not really"), ("fake.docx", b"PK\x03\x04 junk"),
                                          ("binary.txt", b"\xff\xfe\x00\x00"), ("empty.md", b"   \n")])
@pytest.mark.slow
def test_unreadable_documents_are_refused(tmp_path: Path, name: str, content: bytes):
    pytest.importorskip("pypdf")
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError):
        read_text(path)


def test_docx_zip_bomb_is_refused(tmp_path: Path):
    pytest.importorskip("docx")
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"<w/>" + b" " * (60 * 1024 * 1024))
    with pytest.raises(DocumentError, match="unpacks to more than"):
        read_text(bomb)


@pytest.mark.slow
def test_avatar_from_an_uploaded_docx_and_voiceover_from_a_pdf(api, tmp_path: Path, silent_clip: Path):
    pytest.importorskip("pypdf")
    sid = api.session()
    api.upload(sid, make_docx(tmp_path / "announcement.docx", SCRIPT))
    events = api.sse(sid, "create a talking avatar video from my script with a professional presenter")
    text = "".join(e["content"] for e in events if e and e.get("type") == "text")
    assert "from announcement.docx" in text and "presenter video" in text
    other = api.session()
    api.upload(other, silent_clip, make_pdf(tmp_path / "voice.pdf", "Hello there. This is short."))
    events = api.sse(other, "add a voiceover from my script")
    text = "".join(e["content"] for e in events if e and e.get("type") == "text")
    assert "from voice.pdf" in text and "Added an English voiceover" in text
