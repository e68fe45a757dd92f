"""Hostile input against the embedded backend, over real HTTP on loopback.

Every bad request must get a clear error (HTTP status, envelope ``code`` and a helpful ``message``)
and leave nothing broken: the server answers normally afterwards and a failed upload leaves no file
under ``<data>/media``. No test here connects to a non-loopback address: private and local URLs must
be refused before any connection is made, and the one test that needs a "public" first hop sends it
through a loopback HTTP proxy (and skips unless the proxy is certain to be used).
"""
from __future__ import annotations

import http.server
import logging
import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from loopback import LoopbackHttp
from rawapi import RawApi

from nemo_nb.local.server import LocalBackend

# the one optional dependency these tests may lack (uploads are probed and drafts rendered with it)
pytest.importorskip("imageio_ffmpeg", reason="needs the local extra: pip install -e '.[local]'")
BOUNDARY = "hostile-boundary-7d1f"
SAFE_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
SHOWN_NAME = re.compile(r"^[^\s./\\\-][^/\\\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]*$")  # no path, control or bidi


# -- helpers ---------------------------------------------------------------------------------------
def envelope(r: httpx.Response, status: int, code: int, *words: str) -> dict[str, Any]:
    """Assert an error answer: HTTP status, JSON envelope code, a real message (with ``words`` in it)."""
    assert r.status_code == status, (r.status_code, r.text[:500])
    assert r.headers["content-type"].startswith("application/json"), r.headers["content-type"]
    body = r.json()
    assert body["code"] == code, body
    message = body.get("message")
    assert isinstance(message, str) and len(message) >= 10, body
    for word in words:
        assert word.lower() in message.lower(), (word, message)
    return body


def files_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def media_files(backend: LocalBackend) -> set[Path]:
    return files_under(backend.data_dir / "media")


def assert_healthy(api: RawApi, sid: str | None = None) -> None:
    """The server still answers normally: an authenticated read (of the session, when given) works."""
    if sid is not None:
        assert api.state(sid)["session_id"] == sid
        return
    r = api.call("GET", "/api/credits/balance/simple")
    assert r.status_code == 200 and r.json()["data"]["total"] >= 0, r.text


def multipart(parts: list[tuple[bytes, bytes | None, bytes]], boundary: str = BOUNDARY) -> bytes:
    """A multipart body from raw (field name, file name, content) parts, bytes exactly as given."""
    out = bytearray()
    for name, filename, content in parts:
        out += b"--" + boundary.encode() + b"\r\n"
        disposition = b'Content-Disposition: form-data; name="' + name + b'"'
        if filename is not None:
            disposition += b'; filename="' + filename + b'"'
        out += disposition + b"\r\nContent-Type: application/octet-stream\r\n\r\n" + content + b"\r\n"
    out += b"--" + boundary.encode() + b"--\r\n"
    return bytes(out)


def post_multipart(api: RawApi, sid: str, body: bytes, content_type: str | None = None) -> httpx.Response:
    return api.call("POST", f"/api/upload-video/nemo_agent/me/{sid}", content=body,
                    headers={"Content-Type": content_type or f"multipart/form-data; boundary={BOUNDARY}"})


def upload_urls(api: RawApi, sid: str, *urls: str) -> httpx.Response:
    return api.call("POST", f"/api/upload-video/nemo_agent/me/{sid}",
                    json={"urls": list(urls), "source_type": "url"})


def login(url: str, client_id: str | None = None) -> RawApi:
    raw = RawApi(url)
    if client_id:
        raw.client_id = client_id
    raw.login()
    return raw


def renderable_draft(media: dict[str, Any], seconds: float = 1.0) -> dict[str, Any]:
    """A one-segment draft over an uploaded file (fields as the embedded agent writes them)."""
    return {"t": [{"tt": 0, "n": "Video", "sg": [
        {"id": "seg_h1", "k": "video", "st": 0, "d": int(seconds * 1000), "src": media["media_id"],
         "url": media.get("cdn_url", ""), "ss": 0, "n": media.get("filename", "x.mp4"), "v": 100}]}],
        "m": {}}


def wait_render_result(api: RawApi, render_id: str) -> dict[str, Any]:
    """The finished render's data. A render that failed because the renderer cannot be imported failed
    for the wrong reason: that is an error here, never a skip (ffmpeg's package is checked up front)."""
    body = api.wait_render(render_id, timeout=120)
    data = body.get("data", body)
    assert "No module named" not in str(data.get("error", "")), f"the renderer is broken: {data['error']}"
    return data


class _ErrorLog(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def no_server_errors() -> Iterator[None]:
    """No hostile input may reach an unhandled exception: nothing logged at ERROR by the server."""
    seen = _ErrorLog()
    loggers = [logging.getLogger(name) for name in ("uvicorn.error", "nemo_nb.local")]
    for logger in loggers:
        logger.addHandler(seen)
    yield
    for logger in loggers:
        logger.removeHandler(seen)
    assert not seen.records, [r.getMessage() for r in seen.records]


@pytest.fixture(scope="module")
def user(backend) -> Iterator[RawApi]:
    """One user and session for the many read-only hostile requests; it never gets a good upload."""
    raw = login(backend.url)
    raw.sid = raw.session()
    yield raw
    raw.close()


@pytest.fixture(scope="module")
def uploader(backend) -> Iterator[RawApi]:
    """One user and session for the many good uploads."""
    raw = login(backend.url)
    raw.sid = raw.session()
    yield raw
    raw.close()


@pytest.fixture
def other(backend) -> Iterator[RawApi]:
    """A second user with its own token."""
    raw = login(backend.url)
    yield raw
    raw.close()


@pytest.fixture
def uploaded(api: RawApi, sid: str, clip: Path) -> dict[str, Any]:
    r = api.upload(sid, clip)
    assert r.status_code == 200, r.text
    return r.json()["data"]["files"][0]


# -- bad JSON, wrong types, missing fields ---------------------------------------------------------
JSON_ENDPOINTS = [
    ("/api/tasks/me/with-session/nemo_agent", "session"),
    ("/run_sse", "sse"),
    ("/api/render/proxy/lambda", "render"),
    ("/api/auth/claim-token", "claim"),
    ("upload", "upload"),
]
BAD_BODIES = [b"{bad", b'{"a": 1', b"[1, 2]", b'"a string"', b"42", b"null", b"\xff\xfe\x00{}",
              b"[" * 100_000, b'{"a":' * 50_000]


@pytest.mark.parametrize("path,kind", JSON_ENDPOINTS, ids=[k for _, k in JSON_ENDPOINTS])
@pytest.mark.parametrize("payload", BAD_BODIES, ids=["bad", "cut", "array", "string", "number", "null",
                                                     "not-utf8", "deep-array", "deep-object"])
def test_bad_json_is_4000(user: RawApi, path: str, kind: str, payload: bytes) -> None:
    api, sid = user, user.sid
    if path == "upload":
        path = f"/api/upload-video/nemo_agent/me/{sid}"
    r = api.call("POST", path, content=payload, headers={"Content-Type": "application/json"})
    body = envelope(r, 400, 4000)
    assert any(w in body["message"] for w in ("JSON", "json")), body
    if kind == "render":
        assert body["success"] is False
    assert_healthy(api, sid)


def sse_body(sid: Any, message: Any = None, **extra: Any) -> dict[str, Any]:
    body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
            "new_message": {"parts": [{"text": "hello"}]} if message is None else message}
    body.update(extra)
    return {k: v for k, v in body.items() if v is not ...}


def render_body(sid: Any, render_id: Any = None, draft: Any = None, **extra: Any) -> dict[str, Any]:
    body = {"id": render_id or f"render_{uuid.uuid4().hex[:12]}", "sessionId": sid,
            "draft": {"t": [], "m": {}} if draft is None else draft, "output": {"format": "mp4", "quality": "high"}}
    body.update(extra)
    return {k: v for k, v in body.items() if v is not ...}


ONE_SEGMENT = {"t": [{"tt": 0, "sg": [{"id": "s", "src": "med_x", "st": 0, "d": 1000}]}]}
WRONG_TYPES = [
    # (name, endpoint, body builder, expected code, words in the message)
    ("sse-session-list", "/run_sse", lambda s: sse_body([s]), 4000, ["session id"]),
    ("sse-session-object", "/run_sse", lambda s: sse_body({"id": s}), 4000, ["session id"]),
    ("sse-session-bool", "/run_sse", lambda s: sse_body(True), 4000, ["session id"]),
    ("sse-session-missing", "/run_sse", lambda s: sse_body(...), 4000, ["session"]),
    ("sse-message-string", "/run_sse", lambda s: sse_body(s, "add my clip"), 4000, ["parts"]),
    ("sse-message-list", "/run_sse", lambda s: sse_body(s, [{"text": "x"}]), 4000, ["parts"]),
    ("sse-message-missing", "/run_sse", lambda s: sse_body(s, ...), 4000, ["parts"]),
    ("sse-parts-empty", "/run_sse", lambda s: sse_body(s, {"parts": []}), 4000, ["parts"]),
    ("sse-parts-no-text", "/run_sse", lambda s: sse_body(s, {"parts": [{"text": 5}, "x"]}), 4000, ["text"]),
    ("sse-blank-text", "/run_sse", lambda s: sse_body(s, {"parts": [{"text": "   "}]}), 4000, ["text"]),
    ("sse-huge-text", "/run_sse", lambda s: sse_body(s, {"parts": [{"text": "a" * 20001}]}), 4000, ["longer"]),
    ("sse-wrong-app", "/run_sse", lambda s: sse_body(s, app_name="other"), 4000, ["app_name"]),
    ("render-draft-string", "/api/render/proxy/lambda", lambda s: render_body(s, draft="{}"), 4000, ["draft"]),
    ("render-draft-list", "/api/render/proxy/lambda", lambda s: render_body(s, draft=[]), 4000, ["draft"]),
    ("render-draft-missing", "/api/render/proxy/lambda", lambda s: render_body(s, draft=...), 4000, ["draft"]),
    ("render-id-slash", "/api/render/proxy/lambda", lambda s: render_body(s, "a/b"), 4000, ["render id"]),
    ("render-id-dotdot", "/api/render/proxy/lambda", lambda s: render_body(s, ".."), 4000, ["render id"]),
    ("render-id-dot", "/api/render/proxy/lambda", lambda s: render_body(s, "."), 4000, ["render id"]),
    ("render-id-traversal", "/api/render/proxy/lambda", lambda s: render_body(s, "../../x"), 4000, ["render id"]),
    ("render-id-500", "/api/render/proxy/lambda", lambda s: render_body(s, "r" * 500), 4000, ["80"]),
    ("render-id-space", "/api/render/proxy/lambda", lambda s: render_body(s, "a b"), 4000, ["render id"]),
    ("render-id-list", "/api/render/proxy/lambda", lambda s: render_body(s, ["r1"]), 4000, ["'id'"]),
    ("render-id-missing", "/api/render/proxy/lambda", lambda s: render_body(s, ...), 4000, ["'id'"]),
    ("render-session-missing", "/api/render/proxy/lambda", lambda s: render_body(...), 4000, ["session"]),
    ("render-session-list", "/api/render/proxy/lambda", lambda s: render_body([s]), 4000, ["session id"]),
    ("render-output-avi", "/api/render/proxy/lambda",
     lambda s: render_body(s, draft=ONE_SEGMENT, output={"format": "avi"}), 4000, ["mp4"]),
    ("render-output-string", "/api/render/proxy/lambda", lambda s: render_body(s, draft=ONE_SEGMENT, output="mp4"),
     4000, ["mp4"]),
    ("session-task-list", "/api/tasks/me/with-session/nemo_agent", lambda s: {"task_name": ["x"]}, 4000,
     ["task_name"]),
    ("session-language-path", "/api/tasks/me/with-session/nemo_agent", lambda s: {"language": "../../x"}, 4000,
     ["language"]),
    ("session-task-long", "/api/tasks/me/with-session/nemo_agent", lambda s: {"task_name": "x" * 5000}, 4000,
     ["longer"]),
    ("claim-session-missing", "/api/auth/claim-token", lambda s: {"task_id": "task_x"}, 4000, ["session"]),
    ("claim-session-list", "/api/auth/claim-token", lambda s: {"session_id": [s]}, 4000, ["session id"]),
    ("upload-urls-string", "upload", lambda s: {"urls": "http://x/a.mp4"}, 4000, ["urls"]),
    ("upload-urls-empty", "upload", lambda s: {"urls": []}, 4000, ["urls"]),
    ("upload-urls-numbers", "upload", lambda s: {"urls": [1, 2]}, 4000, ["urls"]),
    ("upload-urls-too-many", "upload", lambda s: {"urls": [f"http://10.0.0.1/{i}.mp4" for i in range(11)]},
     4000, ["at most"]),
    ("upload-urls-huge", "upload", lambda s: {"urls": ["http://x/" + "a" * 5000 + ".mp4"]}, 4000, ["urls"]),
    ("upload-empty-object", "upload", lambda s: {}, 4000, ["multipart"]),
]


@pytest.mark.parametrize("name,path,build,code,words", WRONG_TYPES, ids=[w[0] for w in WRONG_TYPES])
def test_wrong_types_and_missing_fields(user: RawApi, backend, name: str, path: str, build: Any,
                                        code: int, words: list[str]) -> None:
    api, sid = user, user.sid
    before = media_files(backend)
    if path == "upload":
        path = f"/api/upload-video/nemo_agent/me/{sid}"
    r = api.call("POST", path, json=build(sid))
    body = envelope(r, 400, code, *words)
    if path.startswith("/api/render/"):
        assert body["success"] is False
    assert media_files(backend) == before
    assert_healthy(api, sid)
    # nothing half-done: no render recorded, no turn left running
    assert api.state(sid)["state"]["draft"] == {"t": [], "m": {}}


def test_long_idempotency_key_is_4000(user: RawApi) -> None:
    api, sid = user, user.sid
    r = api.call("POST", "/run_sse", json=sse_body(sid), headers={"Idempotency-Key": "k" * 201})
    envelope(r, 400, 4000, "Idempotency-Key")
    assert_healthy(api, sid)


def test_unknown_paths_and_methods_answer_in_the_envelope(api: RawApi) -> None:
    envelope(api.call("GET", "/api/does/not/exist"), 404, 404, "no such endpoint")
    envelope(api.call("GET", "/run_sse"), 405, 405, "not allowed")
    envelope(api.call("DELETE", "/api/credits/balance/simple"), 405, 405, "not allowed")
    envelope(api.call("GET", "/files/nokey/x.mp4"), 404, 404)
    assert_healthy(api)


def test_json_body_over_the_cap_is_4000(tmp_path: Path) -> None:
    with LocalBackend(tmp_path / "data", max_json_bytes=4096) as b:
        raw = login(b.url)
        try:
            sid = raw.session()
            r = raw.call("POST", "/run_sse", json=sse_body(sid, {"parts": [{"text": "x" * 10_000}]}))
            envelope(r, 400, 4000, "larger than 4096")
            assert_healthy(raw, sid)
        finally:
            raw.close()


# -- huge headers ----------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [40_000, 100_000])
def test_huge_header_is_refused(user: RawApi, size: int) -> None:
    api, sid = user, user.sid
    try:
        r = api.call("GET", "/api/credits/balance/simple", headers={"X-Big": "a" * size})
    except httpx.TransportError:  # the HTTP layer may also just hang up: acceptable, as long as it survives
        r = None
    if r is not None:
        assert 400 <= r.status_code < 500, r.status_code
        if r.headers.get("content-type", "").startswith("application/json"):
            envelope(r, r.status_code, 4000, "headers")
    assert_healthy(api, sid)


def test_many_headers_are_refused(api: RawApi, sid: str) -> None:
    headers = {f"X-H{i}": "v" * 100 for i in range(400)}  # 40 KB in many small headers
    r = api.call("GET", "/api/credits/balance/simple", headers=headers)
    envelope(r, 400, 4000, "headers")
    assert_healthy(api, sid)


# -- multipart file names --------------------------------------------------------------------------
HOSTILE_NAMES = [
    (b"../../etc/passwd.mp4", "passwd.mp4"),
    (b"..\\..\\x.mp4", "x.mp4"),
    (b"/etc/nemo_nb_hostile_abs.mp4", "nemo_nb_hostile_abs.mp4"),
    (b"C:\\Windows\\System32\\evil.mp4", "evil.mp4"),
    (b"....//....//up.mp4", "up.mp4"),
    (b"%2e%2e%2f%2e%2e%2fenc.mp4", None),
    ("..\u2215..\u2215slash.mp4".encode(), None),      # unicode division slash
    ("ｆｕｌｌ.ｍｐ４".encode(), "full.mp4"),                # full-width letters
    ("..／..／fw.mp4".encode(), "fw.mp4"),                # full-width solidus (NFKD: "/")
    (b'q\\"uote.mp4', None),                             # an escaped quote
    ("vidéo 日本語 🎬.mp4".encode(), None),
    (b"a\x00b.mp4", None),                               # a raw NUL byte
    (b"a\x01\x1f\x7fb.mp4", None),                       # control bytes
    (b"a" * 1000 + b".mp4", None),                       # very long
    (b"..mp4..mp4", None),
    (b" .mp4", None),
    (b"con.mp4", "con.mp4"),
    (b"-rf.mp4", None),
    (b"x.MP4", "x.mp4"),
]


@pytest.mark.parametrize("raw_name,expected", HOSTILE_NAMES, ids=[f"name{i}" for i in range(len(HOSTILE_NAMES))])
def test_traversal_file_names_stay_inside_media(uploader: RawApi, backend, clip: Path, tmp_path: Path,
                                                raw_name: bytes, expected: str | None) -> None:
    api, sid = uploader, uploader.sid
    data_dir = backend.data_dir.resolve()
    media_root = data_dir / "media"
    outside_before = files_under(data_dir) - files_under(media_root)
    before = media_files(backend)
    content = clip.read_bytes()
    r = post_multipart(api, sid, multipart([(b"files", raw_name, content)]))
    if r.status_code != 200:  # a name made of nothing usable may be refused, clearly, leaving nothing
        envelope(r, 415, 4001, "accepted")
        assert media_files(backend) == before
        return
    info = r.json()["data"]["files"][0]
    name = info["filename"]  # the name shown may be in any script, but is never a path nor hides characters
    assert SHOWN_NAME.match(name) and len(name) <= 100, name
    assert name.endswith(".mp4"), name
    if expected:
        assert name == expected
    new = media_files(backend) - before
    assert len(new) == 1, new
    stored = new.pop().resolve()
    assert SAFE_NAME.match(stored.name) and stored.suffix == ".mp4", stored.name  # on disk: plain ASCII
    assert media_root.resolve() in stored.parents
    assert stored.read_bytes() == content
    assert files_under(data_dir) - files_under(media_root) == outside_before  # nothing written elsewhere
    assert not Path("/etc/nemo_nb_hostile_abs.mp4").exists()
    assert not (data_dir.parent / "etc").exists()
    # the file is served back from its cdn_url, byte for byte
    r = httpx.get(info["cdn_url"], timeout=30)
    assert r.status_code == 200 and r.content == content
    assert info["media_id"] in {v["media_id"] for v in api.state(sid)["state"]["video_infos"]}


def test_overlong_part_header_is_4000(api: RawApi, sid: str, backend, clip: Path) -> None:
    before = media_files(backend)
    r = post_multipart(api, sid, multipart([(b"files", b"a" * 20_000 + b".mp4", clip.read_bytes())]))
    envelope(r, 400, 4000, "multipart")
    assert media_files(backend) == before
    assert_healthy(api, sid)


# -- content that is not what it says ----------------------------------------------------------------
NOT_MEDIA = [
    ("random.mp4", os.urandom(64 * 1024)),
    ("empty.mp4", b""),
    ("text.mov", b"just some text, not a movie\n" * 100),
    ("playlist.mp4", b"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nhttp://10.0.0.1/seg.ts\n"
                     b"#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"),
    ("concat.mkv", b"ffconcat version 1.0\nfile '/etc/passwd'\n"),
    ("html.webm", b"<html><body>not a video</body></html>"),
    ("script.png", b"#!/bin/sh\necho pwned\n"),
    ("fake.wav", b"RIFF\x00\x00\x00\x00WAVEfmt " + os.urandom(200)),
]


@pytest.mark.parametrize("name,content", NOT_MEDIA, ids=[n for n, _ in NOT_MEDIA])
def test_accepted_extension_but_not_media_is_4001(user: RawApi, backend, name: str,
                                                  content: bytes) -> None:
    api, sid = user, user.sid
    before, infos = media_files(backend), api.state(sid)["state"]["video_infos"]
    r = post_multipart(api, sid, multipart([(b"files", name.encode(), content)]))
    envelope(r, 415, 4001, name, "mp4", "wav")
    assert media_files(backend) == before
    assert api.state(sid)["state"]["video_infos"] == infos
    assert_healthy(api, sid)


def _unaccepted(names: list[str]) -> list[str]:
    """The names whose (sanitized) extension the backend does not accept (the list of types may grow)."""
    from nemo_nb.local.uploads import ACCEPTED, extension, safe_filename

    return [n for n in names if extension(safe_filename(n)) not in ACCEPTED]


@pytest.mark.parametrize("name", _unaccepted(["x.exe", "notes.txt", "x.mp4.exe", "x.sh", "noextension", "x.",
                                              ".mp4", "x.m3u8", "x.svg", "x.html", "x.pdf", "x.py"]))
def test_unaccepted_extension_is_4001_listing_types(user: RawApi, backend, clip: Path,
                                                    name: str) -> None:
    from nemo_nb.local.uploads import ACCEPTED

    api, sid = user, user.sid
    before = media_files(backend)
    r = post_multipart(api, sid, multipart([(b"files", name.encode(), clip.read_bytes())]))
    body = envelope(r, 415, 4001, "accepted")
    for kind in [k for k in ACCEPTED if k != "jpeg"]:  # every accepted type is listed
        assert kind in body["message"], (kind, body["message"])
    assert media_files(backend) == before
    assert_healthy(api, sid)


def test_one_bad_file_fails_the_whole_upload_and_leaves_nothing(api: RawApi, sid: str, backend,
                                                                clip: Path) -> None:
    before = media_files(backend)
    content = clip.read_bytes()
    for parts in ([(b"files", b"good.mp4", content), (b"files", b"bad.exe", content)],
                  [(b"files", b"good.mp4", content), (b"files", b"bad.mp4", os.urandom(4096))]):
        r = post_multipart(api, sid, multipart(parts))
        envelope(r, 415, 4001, "bad.")
        assert media_files(backend) == before
    assert api.state(sid)["state"]["video_infos"] == []
    assert_healthy(api, sid)


def test_other_fields_are_ignored_and_no_file_is_4000(api: RawApi, sid: str, backend, clip: Path) -> None:
    before = media_files(backend)
    r = post_multipart(api, sid, multipart([(b"file", b"x.mp4", clip.read_bytes()),
                                            (b"files", None, b"not a file part")]))
    envelope(r, 400, 4000, "files")
    assert media_files(backend) == before


def test_too_many_files_is_4000(api: RawApi, sid: str, backend) -> None:
    before = media_files(backend)
    r = post_multipart(api, sid, multipart([(b"files", f"f{i}.mp4".encode(), b"x") for i in range(21)]))
    envelope(r, 400, 4000, "at most")
    assert media_files(backend) == before


# -- size limits -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    """A backend with a 100 KB upload limit that also accepts loopback URLs."""
    with LocalBackend(tmp_path_factory.mktemp("small"), max_upload_bytes=100_000, allow_private_urls=True,
                      tokens_per_ip=1000) as b:
        yield b


def test_file_over_the_limit_is_4002_and_removed(small: LocalBackend, clip: Path) -> None:
    content = clip.read_bytes()
    assert len(content) > 100_000, "the sample clip must be larger than the test limit"
    raw = login(small.url)
    try:
        sid = raw.session()
        before = media_files(small)
        r = raw.upload(sid, clip)
        body = envelope(r, 413, 4002, "compress", "97.7 KB")
        assert "0 MB" not in body["message"]
        assert media_files(small) == before
        assert not list((small.data_dir / "media").iterdir())  # not even an empty per-file folder
        # a file just under the limit is not refused for its size
        r = post_multipart(raw, sid, multipart([(b"files", b"x.mp4", content[:99_000])]))
        assert r.status_code in (200, 415), r.text  # a cut MP4 may not probe; either way no 4002
        assert_healthy(raw, sid)
    finally:
        raw.close()


@pytest.mark.slow
def test_url_over_the_limit_is_4002_and_removed(small: LocalBackend, clip: Path) -> None:
    content = clip.read_bytes()
    routes = {"/big.mp4": (200, {}, content)}
    raw = login(small.url)
    try:
        sid = raw.session()
        with LoopbackHttp(routes) as site:
            before = media_files(small)
            envelope(upload_urls(raw, sid, f"{site.url}/big.mp4"), 413, 4002, "compress")
            assert media_files(small) == before
        assert_healthy(raw, sid)
    finally:
        raw.close()


@pytest.mark.slow
def test_url_over_the_limit_without_content_length_is_4002(small: LocalBackend, clip: Path) -> None:
    """No Content-Length: the cap is enforced while streaming, and the partial file is removed."""
    content = clip.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.0"

        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            try:
                for i in range(0, len(content), 8192):
                    self.wfile.write(content[i:i + 8192])
            except OSError:
                pass

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    raw = login(small.url)
    try:
        sid = raw.session()
        before = media_files(small)
        r = upload_urls(raw, sid, f"http://127.0.0.1:{server.server_address[1]}/stream.mp4")
        envelope(r, 413, 4002)
        assert media_files(small) == before
        assert_healthy(raw, sid)
    finally:
        raw.close()
        server.shutdown()
        server.server_close()


# -- truncated and malformed multipart -------------------------------------------------------------
def test_truncated_multipart_is_4000_and_leaves_no_file(api: RawApi, sid: str, backend, clip: Path) -> None:
    body = multipart([(b"files", b"cut.mp4", clip.read_bytes())])
    before = media_files(backend)
    for cut in (len(body) // 2, len(body) - 10, 60):
        r = post_multipart(api, sid, body[:cut])
        envelope(r, 400, 4000)
        assert media_files(backend) == before
    assert api.state(sid)["state"]["video_infos"] == []
    assert_healthy(api, sid)


@pytest.mark.parametrize("content_type,words", [
    ("multipart/form-data", ["boundary"]),
    ("multipart/form-data; boundary=", ["boundary"]),
    ("multipart/form-data; charset=utf-8", ["boundary"]),
    ("multipart/form-data; boundary=some-other-boundary", []),
])
def test_multipart_with_a_wrong_or_missing_boundary_is_4000(user: RawApi, backend, clip: Path,
                                                           content_type: str, words: list[str]) -> None:
    api, sid = user, user.sid
    before = media_files(backend)
    r = post_multipart(api, sid, multipart([(b"files", b"x.mp4", clip.read_bytes())]), content_type)
    envelope(r, 400, 4000, *words)
    assert media_files(backend) == before
    assert_healthy(api, sid)


@pytest.mark.parametrize("payload", [b"garbage", b"--" + BOUNDARY.encode() + b"\r\nno headers end",
                                     b"--" + BOUNDARY.encode() + b"--\r\n", b""])
def test_garbage_multipart_is_4000(user: RawApi, backend, payload: bytes) -> None:
    api, sid = user, user.sid
    before = media_files(backend)
    envelope(post_multipart(api, sid, payload), 400, 4000)
    assert media_files(backend) == before


def test_client_hanging_up_mid_upload_leaves_no_file(api: RawApi, sid: str, backend, clip: Path) -> None:
    """A body cut by the client disconnecting (declared length never arrives): the partial file goes,
    and the server logs no traceback for it (see ``no_server_errors``)."""
    media_root = backend.data_dir / "media"

    def entries() -> set[Path]:
        """Files and per-file folders (read again if one vanishes while being listed)."""
        while True:
            try:
                return set(media_root.rglob("*"))
            except FileNotFoundError:
                time.sleep(0.01)

    before = entries()
    body = multipart([(b"files", b"hangup.mp4", clip.read_bytes() * 4)])
    host, port = urlsplit(backend.url).hostname, urlsplit(backend.url).port
    head = (f"POST /api/upload-video/nemo_agent/me/{sid} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Authorization: Bearer {api.token}\r\n"
            f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    with socket.create_connection((host, port), timeout=10) as sock:
        sock.sendall(head + body[: len(body) // 2])
        deadline = time.monotonic() + 10
        while not any(p.is_file() for p in entries() - before) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert any(p.is_file() for p in entries() - before), "the partial upload never reached the disk"
    deadline = time.monotonic() + 10
    while entries() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert entries() == before  # neither the partial file nor its folder is left
    assert api.state(sid)["state"]["video_infos"] == []
    assert_healthy(api, sid)


# -- URL uploads -----------------------------------------------------------------------------------
@pytest.fixture
def listener() -> Iterator[tuple[str, socket.socket]]:
    """A loopback port that records whether anything connected to it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.settimeout(0.3)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", sock
    sock.close()


def assert_no_connection(sock: socket.socket) -> None:
    try:
        conn, _ = sock.accept()
    except TimeoutError:
        return
    conn.close()
    raise AssertionError("the backend connected to a refused address")


REFUSED_URLS = [
    ("file:///etc/passwd", ["http"]),
    ("file:///etc/passwd.mp4", ["http"]),
    ("ftp://127.0.0.1/x.mp4", ["http"]),
    ("gopher://127.0.0.1:70/x.mp4", ["http"]),
    ("data:video/mp4;base64,AAAA", ["http"]),
    ("javascript:alert(1)", ["http"]),
    ("http:///x.mp4", ["http"]),
    ("//127.0.0.1/x.mp4", ["http"]),
    ("x.mp4", ["http"]),
    ("http://localhost/x.mp4", ["private"]),
    ("http://10.0.0.1/x.mp4", ["private"]),
    ("http://192.168.1.1/x.mp4", ["private"]),
    ("http://172.16.0.1/x.mp4", ["private"]),
    ("http://169.254.169.254/latest/meta-data/x.mp4", ["private"]),
    ("http://100.64.0.1/x.mp4", ["private"]),
    ("http://0.0.0.0/x.mp4", ["private"]),
    ("http://[::1]/", ["private"]),
    ("http://[::1]:8080/x.mp4", ["private"]),
    ("http://[::ffff:127.0.0.1]/x.mp4", ["private"]),
    ("http://[fe80::1]/x.mp4", ["private"]),
    ("http://[fd00::1]/x.mp4", ["private"]),
    ("http://2130706433/x.mp4", ["private"]),       # 127.0.0.1 as one number
    ("http://0x7f.0.0.1/x.mp4", ["private"]),
    ("http://127.1/x.mp4", ["private"]),
    ("http://user:pw@127.0.0.1/x.mp4", ["private"]),
]


@pytest.mark.parametrize("url,words", REFUSED_URLS, ids=[u for u, _ in REFUSED_URLS])
def test_url_uploads_to_forbidden_places_are_refused(user: RawApi, backend, url: str,
                                                     words: list[str]) -> None:
    api, sid = user, user.sid
    before, infos = media_files(backend), api.state(sid)["state"]["video_infos"]
    envelope(upload_urls(api, sid, url), 400, 4000, *words)
    assert media_files(backend) == before
    assert api.state(sid)["state"]["video_infos"] == infos


@pytest.mark.slow
def test_loopback_urls_are_refused_before_connecting(api: RawApi, sid: str, backend, listener) -> None:
    url, sock = listener
    port = url.rsplit(":", 1)[1]
    backend_port = urlsplit(backend.url).port
    for target in (f"{url}/x.mp4", f"http://localhost:{port}/x.mp4", f"http://127.0.0.1:{backend_port}/",
                   f"http://127.0.0.1:{backend_port}/api/credits/balance/simple.mp4",
                   f"http://[::1]:{port}/x.mp4"):
        envelope(upload_urls(api, sid, target), 400, 4000, "private")
    assert_no_connection(sock)
    # a good-looking URL first does not let a private second one through
    envelope(upload_urls(api, sid, f"{url}/a.mp4", "http://10.0.0.1/b.mp4"), 400, 4000, "private")
    assert_no_connection(sock)
    assert_healthy(api, sid)


@pytest.mark.slow
def test_url_upload_from_loopback_works_when_allowed(small: LocalBackend, tmp_path: Path) -> None:
    from nemo_nb import samples

    tiny = samples.make_clip(tmp_path / "tiny.mp4", seconds=1, width=160, height=120, audio=False)
    content = tiny.read_bytes()
    assert len(content) < 100_000
    routes = {
        "/media/tiny.mp4": (200, {"Content-Type": "video/mp4"}, content),
        "/redirect.mp4": (302, {"Location": "/media/tiny.mp4"}, b""),
        "/noise.mp4": (200, {}, os.urandom(5000)),
        "/missing.mp4": (404, {}, b"nope"),
        "/loop.mp4": (302, {"Location": "/loop.mp4"}, b""),
        "/to-file.mp4": (302, {"Location": "file:///etc/passwd"}, b""),
        "/to-ftp.mp4": (302, {"Location": "ftp://127.0.0.1/x.mp4"}, b""),
        "/to-exe.mp4": (302, {"Location": "/media/x.exe"}, b""),
    }
    raw = login(small.url)
    try:
        sid = raw.session()
        with LoopbackHttp(routes) as site:
            r = upload_urls(raw, sid, f"{site.url}/media/tiny.mp4", f"{site.url}/redirect.mp4")
            assert r.status_code == 200, r.text
            files = r.json()["data"]["files"]
            assert [f["filename"] for f in files] == ["tiny.mp4", "tiny.mp4"]
            for f in files:
                assert f["file_type"] == "video" and (f["width"], f["height"]) == (160, 120)
                assert abs(f["duration"] - 1.0) < 0.2 and f["has_audio"] is False
                assert httpx.get(f["cdn_url"]).content == content
            assert len(raw.state(sid)["state"]["video_infos"]) == 2
            before = media_files(small)
            envelope(upload_urls(raw, sid, f"{site.url}/noise.mp4"), 415, 4001, "accepted")
            envelope(upload_urls(raw, sid, f"{site.url}/missing.mp4"), 400, 4000, "404")
            envelope(upload_urls(raw, sid, f"{site.url}/loop.mp4"), 400, 4000, "redirect")
            envelope(upload_urls(raw, sid, f"{site.url}/to-file.mp4"), 400, 4000, "http")
            envelope(upload_urls(raw, sid, f"{site.url}/to-ftp.mp4"), 400, 4000, "http")
            envelope(upload_urls(raw, sid, f"{site.url}/to-exe.mp4"), 415, 4001, "x.exe")
            envelope(upload_urls(raw, sid, f"{site.url}/media/tiny.mp4", f"{site.url}/noise.mp4"), 415, 4001)
            assert media_files(small) == before  # the good first file of a failed batch went too
            assert len(raw.state(sid)["state"]["video_infos"]) == 2
        # a server that is gone: a clear 4000, not a 500
        envelope(upload_urls(raw, sid, f"{site.url}/media/tiny.mp4"), 400, 4000, "download")
        assert_healthy(raw, sid)
    finally:
        raw.close()


@pytest.mark.slow
def test_redirect_to_a_private_address_is_refused(listener, tmp_path: Path) -> None:
    """The first hop is a loopback site the backend is told it may fetch (``url_allow_hosts``); its redirects
    to private addresses must be refused before any connection is made to them."""
    url, sock = listener
    locations = ["http://10.0.0.1/x.mp4", f"{url}/x.mp4", "http://localhost/x.mp4", "http://[::1]/x.mp4",
                 "http://169.254.169.254/x.mp4"]
    routes = {f"/hop{i}.mp4": (302, {"Location": location}, b"") for i, location in enumerate(locations)}
    with LoopbackHttp(routes) as site, \
            LocalBackend(tmp_path / "data", url_allow_hosts=[site.url.split("//")[1]]) as b:
        raw = login(b.url)
        try:
            sid = raw.session()
            for i in range(len(locations)):
                envelope(upload_urls(raw, sid, f"{site.url}/hop{i}.mp4"), 400, 4000, "private")
            assert media_files(b) == set()
            assert site.seen == [f"/hop{i}.mp4" for i in range(len(locations))]  # only the allowed first hops
            assert_healthy(raw, sid)
        finally:
            raw.close()
    assert_no_connection(sock)


# -- renders: unknown ids, attribution, duplicates, empty drafts -----------------------------------
@pytest.mark.parametrize("rid", ["render_nope", "x" * 80, "r" * 500, "%2e%2e", "'; DROP TABLE renders; --"])
def test_unknown_render_ids_are_4004(user: RawApi, rid: str) -> None:
    api = user
    from urllib.parse import quote

    rid = quote(rid, safe="%")
    for method, path in (("GET", f"/api/render/proxy/lambda/{rid}"), ("GET", f"/api/render/proxy/{rid}/download"),
                         ("POST", f"/api/render/proxy/lambda/{rid}/cancel")):
        body = envelope(api.call(method, path), 404, 4004, "render")
        assert body["success"] is False
    assert_healthy(api)


def test_encoded_slashes_in_render_ids_are_404(api: RawApi) -> None:
    for path in ("/api/render/proxy/lambda/..%2f..%2fetc", "/api/render/proxy/..%2F..%2Fnemo.sqlite3/download"):
        r = api.call("GET", path)
        assert r.status_code == 404 and r.json()["code"] in (404, 4004), r.text
    assert_healthy(api)


def test_render_without_attribution_is_402(api: RawApi, sid: str) -> None:
    body = render_body(sid)
    r = api.http.post("/api/render/proxy/lambda", json=body, headers=api.headers(attribution=False))
    envelope(r, 402, 402, "attribution", "X-Skill-Source", "not a credits problem")
    for missing in ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform"):
        headers = {k: v for k, v in api.headers().items() if k != missing}
        envelope(api.http.post("/api/render/proxy/lambda", json=body, headers=headers), 402, 402, missing)
        envelope(api.http.post("/api/render/proxy/lambda", json=body, headers={**headers, missing: ""}),
                 402, 402, missing)
    assert_healthy(api, sid)


def test_empty_drafts_are_4005(api: RawApi, sid: str) -> None:
    for draft in ({}, {"t": []}, {"t": [{"tt": 0, "sg": []}]}, {"t": [{"tt": 0, "sg": []}, {"tt": 1, "sg": []}]},
                  {"m": {"x": 1}}):
        body = envelope(api.call("POST", "/api/render/proxy/lambda", json=render_body(sid, draft=draft)),
                        409, 4005, "nothing to render")
        assert body["success"] is False
    assert_healthy(api, sid)


@pytest.mark.slow
def test_malformed_drafts_never_crash(api: RawApi, sid: str) -> None:
    for draft in ({"t": "x"}, {"t": None}, {"t": {"a": 1}}, {"t": [1, "a", None]}, {"t": [{"sg": "x"}]}):
        envelope(api.call("POST", "/api/render/proxy/lambda", json=render_body(sid, draft=draft)), 409, 4005)
    for draft in ({"t": [{"sg": [1]}]}, {"t": [{"tt": "x", "sg": [{}]}]},
                  {"t": [{"tt": 0, "sg": [{"d": "x", "st": None, "src": None}]}]},
                  {"t": [{"tt": 0, "sg": [{"d": -5000, "st": -1, "src": "med_x", "ss": 1e12}]}]}):
        rid = f"render_bad_{uuid.uuid4().hex[:8]}"
        r = api.call("POST", "/api/render/proxy/lambda", json=render_body(sid, rid, draft))
        assert r.status_code == 200, r.text
        data = wait_render_result(api, rid)
        assert data["status"] == "failed" and data.get("error"), (draft, data)
    assert_healthy(api, sid)


def test_duplicate_render_id_is_4009(api: RawApi, sid: str, other: RawApi, uploaded: dict[str, Any]) -> None:
    rid = f"render_{uuid.uuid4().hex[:10]}"
    draft = renderable_draft(uploaded)
    r = api.call("POST", "/api/render/proxy/lambda", json=render_body(sid, rid, draft))
    assert r.status_code == 200, r.text
    assert r.json()["data"]["id"] == rid
    body = envelope(api.call("POST", "/api/render/proxy/lambda", json=render_body(sid, rid, draft)),
                    409, 4009, rid, "new one")
    assert body["success"] is False
    # render ids are per user: before another user uses the id, it is unknown to them (no leak) ...
    envelope(other.call("GET", f"/api/render/proxy/lambda/{rid}"), 404, 4004)
    # ... and their render with the same id is their own, independent of the first user's
    other_sid = other.session()
    r = other.call("POST", "/api/render/proxy/lambda", json=render_body(other_sid, rid, draft))
    assert r.status_code == 200 and r.json()["data"]["id"] == rid, r.text
    theirs = wait_render_result(other, rid)
    assert theirs["status"] == "failed" and "not found" in theirs["error"]  # the first user's media is not theirs
    mine = wait_render_result(api, rid)
    assert mine["status"] == "completed" and mine["outputUrl"], mine
    envelope(other.call("POST", "/api/render/proxy/lambda", json=render_body(other_sid, rid, draft)), 409, 4009)
    assert_healthy(api, sid)


@pytest.mark.slow
def test_render_of_someone_elses_media_fails_cleanly(api: RawApi, sid: str, other: RawApi,
                                                     uploaded: dict[str, Any], backend) -> None:
    other_sid = other.session()
    bad_drafts = {
        "theirs": renderable_draft(uploaded),
        "made-up": renderable_draft({"media_id": "med_000000000000000000000000", "cdn_url": ""}),
        "path": renderable_draft({"media_id": "../../../etc/passwd", "cdn_url": "file:///etc/passwd"}),
        "absolute": renderable_draft({"media_id": str(backend.data_dir / "nemo.sqlite3"), "cdn_url": ""}),
        "number": renderable_draft({"media_id": 12345, "cdn_url": ""}),
        "object": renderable_draft({"media_id": {"$ne": None}, "cdn_url": ""}),
    }
    for name, draft in bad_drafts.items():
        rid = f"render_{name}_{uuid.uuid4().hex[:8]}"
        r = other.call("POST", "/api/render/proxy/lambda", json=render_body(other_sid, rid, draft))
        assert r.status_code == 200, (name, r.text)
        data = wait_render_result(other, rid)
        assert data["status"] == "failed", (name, data)
        assert isinstance(data.get("error"), str) and len(data["error"]) >= 10, (name, data)
        if name != "absolute":  # no server paths in the message (unless the client sent one)
            assert str(backend.data_dir) not in data["error"], data["error"]
        envelope(other.call("GET", f"/api/render/proxy/{rid}/download"), 409, 4010, "failed")
        envelope(other.call("POST", f"/api/render/proxy/lambda/{rid}/cancel"), 409, 4031, "failed")
    assert_healthy(other, other_sid)


def test_render_that_points_at_a_url_does_not_fetch_it(api: RawApi, sid: str, listener) -> None:
    """A segment whose src is unknown but whose url points somewhere: the renderer must not go there."""
    url, sock = listener
    draft = renderable_draft({"media_id": "med_unknown", "cdn_url": f"{url}/x.mp4"})
    draft["t"][0]["sg"][0]["url"] = f"{url}/x.mp4"
    rid = f"render_url_{uuid.uuid4().hex[:8]}"
    assert api.call("POST", "/api/render/proxy/lambda", json=render_body(sid, rid, draft)).status_code == 200
    data = wait_render_result(api, rid)
    assert data["status"] == "failed", data
    assert_no_connection(sock)


# -- someone else's things -------------------------------------------------------------------------
def test_another_users_session_is_1002(api: RawApi, sid: str, other: RawApi, uploaded: dict[str, Any],
                                       clip: Path, backend) -> None:
    before = media_files(backend)
    task_id = api.state(sid)["task_id"]
    envelope(other.call("GET", f"/api/state/nemo_agent/me/{sid}/latest"), 404, 1002, "session")
    envelope(other.upload(sid, clip), 404, 1002)
    envelope(upload_urls(other, sid, "http://10.0.0.1/x.mp4"), 404, 1002)
    envelope(other.call("POST", "/run_sse", json=sse_body(sid, {"parts": [{"text": "add my clip"}]})), 404, 1002)
    envelope(other.call("POST", "/run_sse", json=sse_body(int(sid))), 404, 1002)
    envelope(other.call("POST", "/api/render/proxy/lambda",
                        json=render_body(sid, draft=renderable_draft(uploaded))), 404, 1002)
    envelope(other.call("POST", "/api/auth/claim-token", json={"task_id": task_id, "session_id": sid}), 404, 1002)
    assert media_files(backend) == before
    # and the owner's session is untouched
    state = api.state(sid)["state"]
    assert [v["media_id"] for v in state["video_infos"]] == [uploaded["media_id"]]
    assert state["draft"] == {"t": [], "m": {}}
    # claiming with a mismatched task id is no better
    other_sid = other.session()
    envelope(other.call("POST", "/api/auth/claim-token", json={"task_id": task_id, "session_id": other_sid}),
             404, 1002)


def test_user_path_segment_of_someone_else_is_1002(api: RawApi, sid: str, other: RawApi, clip: Path) -> None:
    me = api.call("POST", "/api/tasks/me/with-session/nemo_agent", json={}).json()["data"]["user_id"]
    them = other.call("POST", "/api/tasks/me/with-session/nemo_agent", json={}).json()["data"]["user_id"]
    assert me != them
    # naming yourself works, naming someone else does not
    assert api.call("GET", f"/api/state/nemo_agent/{me}/{sid}/latest").status_code == 200
    envelope(other.call("GET", f"/api/state/nemo_agent/{me}/{sid}/latest"), 404, 1002)
    envelope(api.call("GET", f"/api/state/nemo_agent/{them}/{sid}/latest"), 404, 1002)
    envelope(api.call("POST", f"/api/tasks/{them}/with-session/nemo_agent", json={}), 404, 1002)
    envelope(api.call("POST", f"/api/upload-video/nemo_agent/{them}/{sid}", json={"urls": ["http://x/a.mp4"]}),
             404, 1002)
    envelope(api.call("POST", "/run_sse", json=sse_body(sid, user_id=them)), 404, 1002)
    envelope(api.call("GET", f"/api/state/other_app/me/{sid}/latest"), 400, 4000, "app")
    envelope(api.call("GET", "/api/state/nemo_agent/me/not-a-number/latest"), 404, 1002)
    envelope(api.call("GET", "/api/state/nemo_agent/me/99999999999999999999/latest"), 404, 1002)


def test_another_users_render_is_4004(api: RawApi, sid: str, other: RawApi, uploaded: dict[str, Any]) -> None:
    rid = f"render_{uuid.uuid4().hex[:10]}"
    assert api.call("POST", "/api/render/proxy/lambda",
                    json=render_body(sid, rid, renderable_draft(uploaded))).status_code == 200
    envelope(other.call("GET", f"/api/render/proxy/lambda/{rid}"), 404, 4004)
    envelope(other.call("GET", f"/api/render/proxy/{rid}/download"), 404, 4004)
    envelope(other.call("POST", f"/api/render/proxy/lambda/{rid}/cancel"), 404, 4004)
    body = api.wait_render(rid)
    data = body["data"]
    assert data["status"] in ("completed", "failed")  # untouched by the other user's cancel
    assert data.get("error") != "cancelled"


# -- tokens ------------------------------------------------------------------------------------------
AUTHED = [("GET", "/api/credits/balance/simple"), ("GET", "/api/state/nemo_agent/me/1000000000000000/latest"),
          ("POST", "/api/tasks/me/with-session/nemo_agent"), ("POST", "/run_sse"),
          ("POST", "/api/render/proxy/lambda"), ("GET", "/api/render/proxy/lambda/render_x"),
          ("POST", "/api/upload-video/nemo_agent/me/1000000000000000"), ("POST", "/api/auth/claim-token")]
BAD_AUTH = {
    "missing": None,
    "empty": "",
    "bearer-only": "Bearer",
    "basic": "Basic dXNlcjpwdw==",
    "garbage": "Bearer garbage",
    "lookalike": "Bearer nmv_usr_" + "A" * 43,
    "long": "Bearer " + "x" * 4000,
    "two-tokens": "Bearer a b",
    "sql": "Bearer ' OR '1'='1",
}


@pytest.mark.parametrize("auth", list(BAD_AUTH), ids=list(BAD_AUTH))
def test_bad_tokens_are_401_1001(backend, auth: str) -> None:
    from nemo_nb.config import skill_profile

    headers = dict(skill_profile("ai-voiceover-for").headers())
    if BAD_AUTH[auth] is not None:
        headers["Authorization"] = BAD_AUTH[auth]
    with httpx.Client(base_url=backend.url, timeout=30) as http:
        for method, path in AUTHED:
            r = http.request(method, path, headers=headers, json={})
            envelope(r, 401, 1001, "token")


@pytest.mark.slow
def test_expired_token_is_401_1001(tmp_path: Path) -> None:
    with LocalBackend(tmp_path / "data", token_ttl_s=1) as b:
        raw = login(b.url)
        try:
            assert raw.call("GET", "/api/credits/balance/simple").status_code == 200
            time.sleep(1.2)
            envelope(raw.call("GET", "/api/credits/balance/simple"), 401, 1001, "expired", "anonymous token")
            envelope(raw.call("POST", "/api/tasks/me/with-session/nemo_agent", json={}), 401, 1001)
            # the protocol's recovery: ask again with the same client id (the old token has expired)
            again = raw.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": raw.client_id})
            assert again.status_code == 200, again.text
        finally:
            raw.close()


# -- anonymous tokens and rate limits --------------------------------------------------------------
def test_anonymous_token_needs_a_client_id(backend) -> None:
    with httpx.Client(base_url=backend.url, timeout=30) as http:
        for headers in ({}, {"X-Client-Id": ""}, {"X-Client-Id": "x" * 200},
                        {"X-Client-Id": "a\tb"}):
            envelope(http.post("/api/auth/anonymous-token", headers=headers), 400, 400, "X-Client-Id")
        assert http.get("/").status_code == 200


def test_second_token_for_a_client_is_429_with_retry_after(backend) -> None:
    client_id = str(uuid.uuid4())
    with httpx.Client(base_url=backend.url, timeout=30) as http:
        first = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": client_id})
        assert first.status_code == 200
        r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": client_id})
        envelope(r, 429, 429, "token")
        retry = int(r.headers["Retry-After"])
        assert 0 < retry <= 7 * 86400
        assert "nmv_usr_" not in r.text
        # the first token still works
        token = first.json()["data"]["token"]
        ok = http.get("/api/credits/balance/simple", headers={"Authorization": f"Bearer {token}"})
        assert ok.status_code == 200


def test_per_ip_token_limit_is_429(tmp_path: Path) -> None:
    with LocalBackend(tmp_path / "data", tokens_per_ip=2) as b, httpx.Client(base_url=b.url, timeout=30) as http:
        for _ in range(2):
            assert http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())}).status_code == 200
        r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
        envelope(r, 429, 429, "address")
        assert int(r.headers["Retry-After"]) > 0
        assert http.get("/").status_code == 200


# -- the end: the shared backend is still healthy and its media folder holds only good uploads --------
def test_backend_still_healthy_and_media_clean(backend, api: RawApi, sid: str, clip: Path) -> None:
    r = api.upload(sid, clip)
    assert r.status_code == 200, r.text
    events = api.sse(sid, "add my clip to the timeline")
    assert any(e and e.get("type") == "text" for e in events)
    assert api.state(sid)["state"]["draft"]["t"][0]["sg"]
    from nemo_nb.local.store import Store

    store = Store(backend.data_dir / "nemo.sqlite3")
    try:
        known = {m["relpath"] for m in map(dict, store._all("SELECT relpath FROM media"))}
    finally:
        store.close()
    on_disk = {str(p.relative_to(backend.data_dir)) for p in media_files(backend)}
    assert on_disk == known, on_disk ^ known
    assert not [p for p in (backend.data_dir / "media").iterdir() if p.is_dir() and not any(p.iterdir())]
