"""The backend's data directory and the client's config directory under attack or after a crash: leftovers
swept, permissions private, no lockout of local clients, render ids per user. Raw HTTP on loopback."""
from __future__ import annotations

import socket
import stat
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from rawapi import RawApi

from nemo_nb.local.server import LocalBackend
from nemo_nb.local.store import Store


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files(root: Path) -> set[str]:
    """The files under ``media/`` and ``renders/``, relative to the data directory."""
    return {str(p.relative_to(root)) for top in ("media", "renders") for p in (root / top).rglob("*") if p.is_file()}


def login(b: LocalBackend) -> tuple[RawApi, str]:
    api = RawApi(b.url)
    api.login()
    return api, api.session()


def one_second_of(media: dict[str, object]) -> dict[str, object]:
    """A draft of the first second of an upload."""
    return {"t": [{"tt": 0, "sg": [{"id": "s", "k": "video", "st": 0, "d": 1000, "src": media["media_id"], "ss": 0,
                                    "v": 100}]}], "m": {}}


def upload_and_render(api: RawApi, sid: str, clip: Path, render_id: str) -> dict[str, object]:
    """Upload ``clip`` and render a second of it; the upload's description."""
    media: dict[str, object] = api.upload(sid, clip).json()["data"]["files"][0]
    assert api.render(sid, render_id, one_second_of(media)).status_code == 200
    assert api.wait_render(render_id)["data"]["status"] == "completed"
    return media


def owned(data: Path) -> set[str]:
    store = Store(data / "nemo.sqlite3")
    try:
        return store.media_paths() | store.render_paths()
    finally:
        store.close()


# -- crash leftovers ---------------------------------------------------------------------------------------
@pytest.mark.slow
def test_start_sweeps_what_the_database_does_not_own(tmp_path: Path, clip: Path) -> None:
    data = tmp_path / "data"
    with LocalBackend(data) as b:
        api, sid = login(b)
        kept = upload_and_render(api, sid, clip, "r_kept")
        api.close()
    before = files(data)
    # what killed uploads, turns and renders leave behind (and a stray file an older version left)
    (data / "media" / "med_0123456789abcdef01234567").mkdir()
    (data / "media" / "med_0123456789abcdef01234567" / "clip.mp4").write_bytes(b"\x00" * 10_000_000)
    for i in range(26):
        wav = data / "media" / f"med_{i:024x}"
        wav.mkdir()
        (wav / f"voiceover-en-{i:02d}.wav").write_bytes(b"RIFF")
    (data / "media" / "stray.tmp").write_bytes(b"x")
    (data / "renders" / "rnd_dead" / "work").mkdir(parents=True)
    (data / "renders" / "rnd_dead" / "r_dead.mp4.part").write_bytes(b"half")
    (data / "renders" / "r_kept.mp4").write_bytes(b"an orphan of an older layout")
    keep_folder = next((data / "media").glob("med_*/clip.mp4")).parent
    (keep_folder / "clip.mp4.part").write_bytes(b"a partial file next to an owned one")
    with LocalBackend(data) as b:
        assert files(data) == before == owned(data)
        assert not [p for p in (data / "media").iterdir() if p.is_dir() and not any(p.iterdir())]
        # what the database owns is still served
        assert httpx.get(kept["cdn_url"].replace(urlsplit(kept["cdn_url"]).netloc, urlsplit(b.url).netloc)).content \
            == clip.read_bytes()


@pytest.mark.slow
def test_a_second_backend_on_the_same_directory_sweeps_nothing(tmp_path: Path, clip: Path) -> None:
    """Two notebooks may start a backend on the default data directory: the second must not remove the
    first one's upload in progress, nor fail its renders."""
    data = tmp_path / "data"
    with LocalBackend(data) as first:
        api, sid = login(first)
        where = urlsplit(first.url)
        body = (b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"slow.mp4\"\r\n\r\n"
                + clip.read_bytes() + b"\r\n--b--\r\n")
        with socket.create_connection((where.hostname, where.port), timeout=60) as sock:
            sock.sendall((f"POST /api/upload-video/nemo_agent/me/{sid} HTTP/1.1\r\nHost: {where.netloc}\r\n"
                          f"Authorization: Bearer {api.token}\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                          f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body[:len(body) // 2])
            for _ in range(200):
                partial = [p for p in (data / "media").rglob("*") if p.is_file()]
                if partial:
                    break
                time.sleep(0.05)
            assert partial, "the partial upload never reached the disk"
            with LocalBackend(data) as second:
                assert all(p.exists() for p in partial)
                other, _ = login(second)
                other.close()
            sock.sendall(body[len(body) // 2:])
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
        assert answer.startswith(b"HTTP/1.1 200"), answer[:300]
        assert all(p.exists() for p in partial)
        api.close()


# -- permissions ---------------------------------------------------------------------------------------------
@pytest.mark.slow
def test_backend_files_are_private(tmp_path: Path, clip: Path) -> None:
    data = tmp_path / "new" / "data"
    with LocalBackend(data) as b:
        api, sid = login(b)
        upload_and_render(api, sid, clip, "r_private")
        assert mode(data) == 0o700
        for name in ("nemo.sqlite3", "nemo.sqlite3-wal", "nemo.sqlite3-shm"):
            assert mode(data / name) == 0o600, name
        for path in [*(data / "media").rglob("*"), *(data / "renders").rglob("*")]:
            assert mode(path) == (0o700 if path.is_dir() else 0o600), (path, oct(mode(path)))
        assert mode(data / "media") == mode(data / "renders") == 0o700
        api.close()


@pytest.mark.slow
def test_looser_backend_files_are_tightened_on_start(tmp_path: Path, clip: Path) -> None:
    data = tmp_path / "data"
    with LocalBackend(data) as b:
        api, sid = login(b)
        api.upload(sid, clip)
        api.close()
    loose = [data, data / "nemo.sqlite3", data / "media", *(data / "media").rglob("*")]
    for path in loose:
        path.chmod(0o777 if path.is_dir() else 0o666)
    with LocalBackend(data):
        for path in loose:
            assert mode(path) == (0o700 if path.is_dir() else 0o600), (path, oct(mode(path)))


def test_client_config_is_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nemo_nb.api.auth import client_id
    from nemo_nb.api.client import PendingRenders

    config = tmp_path / "config" / "nemovideo"
    monkeypatch.setenv("NEMO_CONFIG_DIR", str(config))
    with LocalBackend(tmp_path / "data") as b:
        from nemo_nb import Nemo

        nemo = Nemo(b.url)
        nemo.credits()  # gets and caches a token
        PendingRenders(config).put("1", "r_x", tmp_path / "x.mp4")
        nemo.close()
    assert mode(config) == 0o700
    for name in ("client_id", "tokens.json", "pending_renders.json"):
        assert mode(config / name) == 0o600, name
        (config / name).chmod(0o644)
    config.chmod(0o755)
    assert client_id(config)  # a client starting up tightens them again
    assert mode(config) == 0o700
    for name in ("client_id", "tokens.json", "pending_renders.json"):
        assert mode(config / name) == 0o600, name


# -- no lockout of local clients -------------------------------------------------------------------------------
def test_many_local_clients_each_get_a_token(tmp_path: Path) -> None:
    for _ in range(2):  # and after a restart
        with LocalBackend(tmp_path / "data") as b, httpx.Client(base_url=b.url) as http:
            for _ in range(15):
                r = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
                assert r.status_code == 200, r.text


# -- render ids are per user ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_render_ids_are_per_user(tmp_path: Path, clip: Path, silent_clip: Path) -> None:
    with LocalBackend(tmp_path / "data") as b:
        alice, alice_sid = login(b)
        bob, bob_sid = login(b)
        drafts = {api.client_id: one_second_of(api.upload(sid, source).json()["data"]["files"][0])
                  for api, sid, source in ((alice, alice_sid, clip), (bob, bob_sid, silent_clip))}
        assert alice.render(alice_sid, "r_same", drafts[alice.client_id]).status_code == 200
        assert bob.call("GET", "/api/render/proxy/lambda/r_same").json()["code"] == 4004  # not Alice's, no 4009
        r = bob.render(bob_sid, "r_same", drafts[bob.client_id])
        assert r.status_code == 200, r.text
        a, c = alice.wait_render("r_same")["data"], bob.wait_render("r_same")["data"]
        assert a["status"] == c["status"] == "completed" and a["outputUrl"] != c["outputUrl"]
        mine = alice.call("GET", "/api/render/proxy/r_same/download").content
        theirs = bob.call("GET", "/api/render/proxy/r_same/download").content
        assert mine != theirs
        assert bob.call("POST", "/api/render/proxy/lambda/r_same/cancel").json()["code"] == 4031
        assert alice.call("GET", "/api/render/proxy/lambda/r_same").json()["data"]["status"] == "completed"
        assert alice.render(alice_sid, "r_same", drafts[alice.client_id]).json()["code"] == 4009
        alice.close()
        bob.close()
