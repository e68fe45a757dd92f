"""Uploads and render submits as a careless or hostile client sends them: names in any script, names of
thousands of characters, the same ``Idempotency-Key`` several times at once. Raw HTTP on loopback."""
from __future__ import annotations

import json
import socket
import struct
import threading
import time
import uuid
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
import pytest
from rawapi import RawApi

from nemo_nb.local.server import LocalBackend

BOUNDARY = "upload-attack-boundary"


def png(width: int = 4, height: int = 2) -> bytes:
    """A small valid RGB PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x80\x20\x20" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def multipart(name: bytes, content: bytes) -> bytes:
    return (b"--" + BOUNDARY.encode() + b'\r\nContent-Disposition: form-data; name="files"; filename="' + name
            + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content + b"\r\n--" + BOUNDARY.encode()
            + b"--\r\n")


def post_file(api: RawApi, sid: str, name: bytes, content: bytes, **headers: str) -> httpx.Response:
    return api.call("POST", f"/api/upload-video/nemo_agent/me/{sid}", content=multipart(name, content),
                    headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", **headers})


def media_folders(b: LocalBackend) -> set[Path]:
    return set((b.data_dir / "media").iterdir())


# -- names -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["视频.mp4", "видео.mp4", "日本語.png", "vidéo été.mov", "ملف.mp4",
                                  "फ़ाइल.mp4", "فایل\u200cها.mp4", "🎬 launch.mp4"])
def test_names_in_any_script_are_kept(backend: LocalBackend, api: RawApi, sid: str, clip: Path, name: str) -> None:
    content = png() if name.endswith(".png") else clip.read_bytes()
    before = media_folders(backend)
    r = post_file(api, sid, name.encode(), content)
    assert r.status_code == 200, r.text
    shown = r.json()["data"]["files"][0]
    assert shown["filename"] == name
    assert urlsplit(shown["cdn_url"]).path.endswith("/" + quote(name))
    assert httpx.get(shown["cdn_url"]).content == content
    assert [v["filename"] for v in api.state(sid)["state"]["video_infos"]] == [name]
    (folder,) = media_folders(backend) - before
    (stored,) = folder.iterdir()
    assert stored.name.isascii() and stored.suffix == Path(name).suffix and stored.read_bytes() == content


def test_hidden_characters_and_paths_are_still_neutralised(api: RawApi, sid: str, clip: Path) -> None:
    r = post_file(api, sid, "../../视频\u202egnp.mp4".encode(), clip.read_bytes())
    assert r.status_code == 200, r.text
    assert r.json()["data"]["files"][0]["filename"] == "视频gnp.mp4"
    r = post_file(api, sid, "..／..／видео\x00\x1b[31m.mp4".encode(), clip.read_bytes())
    assert r.json()["data"]["files"][0]["filename"] == "видео__[31m.mp4"


@pytest.mark.slow
def test_a_url_upload_keeps_its_unicode_name(tmp_path: Path, clip: Path) -> None:
    from test_ssrf import Site

    content = clip.read_bytes()
    with Site({f"/media/{quote('视频.mp4')}": (200, {}, content)}) as site, \
            LocalBackend(tmp_path / "data", url_allow_hosts=[f"127.0.0.1:{site.port}"]) as b:
        api = RawApi(b.url)
        api.login()
        r = api.call("POST", f"/api/upload-video/nemo_agent/me/{api.session()}",
                     json={"urls": [f"http://127.0.0.1:{site.port}/media/{quote('视频.mp4')}"]})
        api.close()
    assert r.status_code == 200, r.text
    assert r.json()["data"]["files"][0]["filename"] == "视频.mp4"


@pytest.mark.parametrize("length", [1_025, 5_000, 12_000, 20_000, 60_000])
def test_very_long_names_get_a_name_error(backend: LocalBackend, api: RawApi, sid: str, clip: Path,
                                          length: int) -> None:
    before = media_folders(backend)
    for name in ("a" * length + ".mp4", "视" * length + ".mp4"):
        r = post_file(api, sid, name.encode(), clip.read_bytes())
        assert r.status_code == 400, r.text[:300]
        body = r.json()
        assert body["code"] == 4000 and "file name" in body["message"] and "1,024" in body["message"], body
    assert media_folders(backend) == before
    assert api.state(sid)["state"]["video_infos"] == []


def test_a_long_name_below_the_limit_is_shortened(api: RawApi, sid: str, clip: Path) -> None:
    r = post_file(api, sid, ("名" * 1000 + ".mp4").encode(), clip.read_bytes())
    assert r.status_code == 200, r.text
    name = r.json()["data"]["files"][0]["filename"]
    assert name == "名" * 96 + ".mp4"


# -- Idempotency-Key under concurrency -------------------------------------------------------------------
class SlowRequest:
    """One POST on a raw socket whose body is held back half-way until ``finish()``."""

    def __init__(self, url: str, path: str, headers: dict[str, str], body: bytes):
        where = urlsplit(url)
        self.sock = socket.create_connection((where.hostname, where.port), timeout=60)
        head = f"POST {path} HTTP/1.1\r\nHost: {where.netloc}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        self.rest = body[len(body) // 2:]
        self.sock.sendall(head.encode() + body[:len(body) // 2])

    def finish(self) -> tuple[int, Any]:
        self.sock.sendall(self.rest)
        answer = b""
        while chunk := self.sock.recv(65536):
            answer += chunk
        self.sock.close()
        head, _, body = answer.partition(b"\r\n\r\n")
        return int(head.split()[1]), json.loads(body)


def race(first: SlowRequest, others: list[Any]) -> tuple[tuple[int, Any], list[httpx.Response]]:
    """Start ``others`` while ``first`` is held half-way; they must wait for it. Its answer and theirs."""
    time.sleep(0.3)  # the first request reaches its handler (and waits for the rest of its body)
    with ThreadPoolExecutor(len(others)) as pool:
        pending = [pool.submit(send) for send in others]
        time.sleep(0.5)
        assert not any(p.done() for p in pending), "a duplicate did not wait for the first request"
        answer = first.finish()
        return answer, [p.result(timeout=60) for p in pending]


@pytest.mark.slow
def test_concurrent_uploads_with_one_key_make_one_file(backend: LocalBackend, api: RawApi, sid: str,
                                                       clip: Path) -> None:
    key = f"upload-{uuid.uuid4()}"
    before = media_folders(backend)
    headers = {**api.headers(), "Idempotency-Key": key,
               "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    path = f"/api/upload-video/nemo_agent/me/{sid}"
    first = SlowRequest(backend.url, path, headers, multipart(b"clip.mp4", clip.read_bytes()))
    (status, body), others = race(first, [
        lambda: post_file(api, sid, b"clip.mp4", clip.read_bytes(), **{"Idempotency-Key": key})
        for _ in range(3)])
    assert status == 200, body
    assert [(r.status_code, r.json()) for r in others] == [(200, body)] * 3
    assert len(media_folders(backend) - before) == 1
    assert len(api.state(sid)["state"]["video_infos"]) == 1
    again = post_file(api, sid, b"clip.mp4", clip.read_bytes(), **{"Idempotency-Key": key})
    assert again.json() == body  # and later too


@pytest.mark.slow
def test_duplicates_of_a_failed_upload_get_its_error(backend: LocalBackend, api: RawApi, sid: str) -> None:
    key = f"upload-{uuid.uuid4()}"
    headers = {**api.headers(), "Idempotency-Key": key,
               "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    path = f"/api/upload-video/nemo_agent/me/{sid}"
    first = SlowRequest(backend.url, path, headers, multipart(b"noise.mp4", b"\x00" * 200_000))
    (status, body), others = race(first, [
        lambda: post_file(api, sid, b"noise.mp4", b"\x00" * 10, **{"Idempotency-Key": key}) for _ in range(2)])
    assert status == 415 and body["code"] == 4001
    assert [(r.status_code, r.json()) for r in others] == [(415, body)] * 2
    assert api.state(sid)["state"]["video_infos"] == []


@pytest.mark.slow
def test_concurrent_render_submits_with_one_key_start_one_render(backend: LocalBackend, api: RawApi, sid: str,
                                                                 clip: Path) -> None:
    media = api.upload(sid, clip).json()["data"]["files"][0]
    draft = {"t": [{"tt": 0, "sg": [{"id": "s1", "k": "video", "st": 0, "d": 1000, "src": media["media_id"],
                                     "ss": 0, "v": 100}]}], "m": {}}
    key = f"render-{uuid.uuid4()}"

    def body(rid: str) -> bytes:
        return json.dumps({"id": rid, "sessionId": sid, "draft": draft}).encode()

    headers = {**api.headers(), "Idempotency-Key": key, "Content-Type": "application/json"}
    first = SlowRequest(backend.url, "/api/render/proxy/lambda", headers, body("r_first") + b" " * 100_000)
    (status, answer), others = race(first, [
        lambda rid=rid: api.call("POST", "/api/render/proxy/lambda", content=body(rid), headers=headers)
        for rid in ("r_second", "r_third", "r_fourth")])
    assert status == 200 and answer["data"]["id"] == "r_first", answer
    assert [(r.status_code, r.json()) for r in others] == [(200, answer)] * 3
    for rid in ("r_second", "r_third", "r_fourth"):
        assert api.call("GET", f"/api/render/proxy/lambda/{rid}").status_code == 404
    assert api.wait_render("r_first")["data"]["status"] == "completed"


def test_a_key_is_per_user(backend: LocalBackend, api: RawApi, sid: str, clip: Path) -> None:
    other = RawApi(backend.url)
    other.login()
    other_sid = other.session()
    key = f"shared-{uuid.uuid4()}"
    mine = post_file(api, sid, b"mine.mp4", clip.read_bytes(), **{"Idempotency-Key": key})
    theirs = post_file(other, other_sid, b"theirs.mp4", clip.read_bytes(), **{"Idempotency-Key": key})
    assert mine.status_code == theirs.status_code == 200
    assert mine.json()["data"]["files"][0]["filename"] == "mine.mp4"
    assert theirs.json()["data"]["files"][0]["filename"] == "theirs.mp4"
    other.close()


@pytest.mark.slow
def test_a_duplicate_whose_first_request_hung_up_runs_in_its_place(backend: LocalBackend, api: RawApi, sid: str,
                                                                   clip: Path) -> None:
    key = f"upload-{uuid.uuid4()}"
    headers = {**api.headers(), "Idempotency-Key": key,
               "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}
    first = SlowRequest(backend.url, f"/api/upload-video/nemo_agent/me/{sid}", headers,
                        multipart(b"gone.mp4", clip.read_bytes()))
    result: list[httpx.Response] = []
    waiting = threading.Thread(target=lambda: result.append(
        post_file(api, sid, b"kept.mp4", clip.read_bytes(), **{"Idempotency-Key": key})))
    waiting.start()
    time.sleep(0.5)
    first.sock.close()  # the first client hangs up half-way
    waiting.join(60)
    assert result and result[0].status_code == 200, result
    assert result[0].json()["data"]["files"][0]["filename"] == "kept.mp4"
