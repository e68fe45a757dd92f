"""What a web page in the user's browser could try against the loopback backend: DNS rebinding (a Host
that is not ours), cross-origin requests, content sniffing of served files. Raw HTTP on loopback."""
from __future__ import annotations

import socket
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from rawapi import RawApi

from nemo_nb.local.server import LocalBackend


def port_of(b: LocalBackend) -> int:
    port = urlsplit(b.url).port
    assert port
    return port


def refused(r: httpx.Response, *words: str) -> None:
    assert r.status_code == 403, (r.status_code, r.text[:300])
    body = r.json()
    assert body["code"] == 4003 and len(body["message"]) > 20, body
    for word in words:
        assert word in body["message"], body["message"]


def raw_request(b: LocalBackend, head: str) -> bytes:
    """Bytes exactly as given (no client fixing up the Host header); the whole answer."""
    with socket.create_connection(("127.0.0.1", port_of(b)), timeout=10) as sock:
        sock.sendall(head.encode("latin-1"))
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize("host", ["evil.example", "evil.example:{port}", "127.0.0.1.nip.io:{port}",
                                  "localhost.evil.example:{port}", "127.0.0.1:{other}", "localhost:{other}",
                                  "10.0.0.1:{port}", "0.0.0.0:{port}", "[::ffff:127.0.0.1]:{port}x", "",
                                  "127.0.0.1:{port}@evil.example", "127.0.0.1"])
def test_a_host_that_is_not_ours_is_refused(backend: LocalBackend, api: RawApi, sid: str, host: str) -> None:
    port = port_of(backend)
    host = host.format(port=port, other=port + 1)
    for method, path in (("GET", "/"), ("GET", "/api/credits/balance/simple"),
                         ("GET", f"/api/state/nemo_agent/me/{sid}/latest"), ("POST", "/run_sse")):
        r = api.call(method, path, headers={"Host": host}, json={})
        refused(r, "Host")
    assert api.call("GET", "/api/credits/balance/simple").status_code == 200


def test_a_request_without_host_is_refused(backend: LocalBackend) -> None:
    answer = raw_request(backend, "GET / HTTP/1.0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 403"), answer[:200]
    assert b'"code":4003' in answer and b"nosniff" in answer.lower()


@pytest.mark.parametrize("host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST:{port}"])
def test_our_own_names_are_served(backend: LocalBackend, host: str) -> None:
    answer = raw_request(backend, f"GET / HTTP/1.1\r\nHost: {host.format(port=port_of(backend))}\r\n"
                                 "Connection: close\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


@pytest.mark.parametrize("origin", ["http://evil.example", "https://evil.example", "null", "http://127.0.0.1.nip.io",
                                    "http://localhost.evil.example:8888", "file://", "http://10.0.0.5:8888"])
def test_cross_origin_browser_requests_are_refused(api: RawApi, sid: str, origin: str) -> None:
    for method, path in (("POST", "/api/auth/anonymous-token"), ("POST", "/api/tasks/me/with-session/nemo_agent"),
                         ("GET", "/api/credits/balance/simple"), ("OPTIONS", "/run_sse"), ("GET", "/")):
        r = api.call(method, path, headers={"Origin": origin, "X-Client-Id": "from-a-web-page",
                                             "Access-Control-Request-Method": "POST"}, json={})
        refused(r, "origin")
        assert "access-control-allow-origin" not in r.headers


def test_cross_site_requests_without_origin_reach_only_pages_and_files(api: RawApi, sid: str) -> None:
    for site in ("cross-site", "same-site"):
        refused(api.call("GET", "/api/credits/balance/simple", headers={"Sec-Fetch-Site": site}), "cross-site")
        refused(api.call("POST", "/api/tasks/me/with-session/nemo_agent", json={},
                          headers={"Sec-Fetch-Site": site}), "cross-site")
        assert api.call("GET", "/register", headers={"Sec-Fetch-Site": site}).status_code == 200  # a link
    assert api.call("GET", "/api/credits/balance/simple", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
    assert api.call("GET", "/api/credits/balance/simple", headers={"Sec-Fetch-Site": "none"}).status_code == 200


@pytest.mark.parametrize("origin", ["http://localhost:8888", "http://127.0.0.1:8888", "http://[::1]:8888",
                                    "https://localhost"])
def test_notebook_pages_on_this_machine_may_call_the_api(api: RawApi, sid: str, origin: str) -> None:
    r = api.call("GET", "/api/credits/balance/simple", headers={"Origin": origin})
    assert r.status_code == 200 and r.headers["access-control-allow-origin"] == origin
    preflight = api.call("OPTIONS", "/api/render/proxy/lambda", headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type,x-skill-source"})
    assert preflight.status_code == 200 and preflight.headers["access-control-allow-origin"] == origin


def test_allowed_origins_can_be_configured(tmp_path: Path) -> None:
    site = "https://notebooks.example.org"
    with LocalBackend(tmp_path / "data", allowed_origins=[site]) as b:
        api = RawApi(b.url)
        api.login()
        assert api.call("GET", "/api/credits/balance/simple", headers={"Origin": site}).status_code == 200
        refused(api.call("GET", "/api/credits/balance/simple", headers={"Origin": "http://localhost:8888"}), "origin")
        api.close()


def test_every_answer_says_nosniff(backend: LocalBackend, api: RawApi, sid: str, tmp_path: Path) -> None:
    note = tmp_path / "notes.md"
    note.write_text("<script>alert(1)</script>\n# hello\n")
    up = api.upload(sid, note)
    assert up.status_code == 200, up.text
    served = httpx.get(up.json()["data"]["files"][0]["cdn_url"])
    answers = [api.call("GET", "/"), api.call("GET", "/nope"), api.call("POST", "/run_sse", content=b"{"), up,
               api.call("GET", "/api/credits/balance/simple", headers={"Host": "evil.example"}),
               api.call("GET", "/api/credits/balance/simple", headers={"Authorization": "Bearer x"}),
               httpx.get(f"{backend.url}/register"), httpx.get(f"{backend.url}/workspace/claim?ct=x"), served]
    for r in answers:
        assert r.headers.get("x-content-type-options") == "nosniff", (r.request.url, r.status_code)
    assert served.headers["content-type"].startswith("text/plain")
    assert served.text.startswith("<script>")


def test_documents_are_never_served_as_pages(api: RawApi, sid: str, tmp_path: Path) -> None:
    pytest.importorskip("docx")
    import docx

    for name, text in (("script.txt", "<html><script>alert(1)</script></html>"), ("subs.srt", "1\n00:00:00,000 --> "
                       "00:00:01,000\n<b>hi</b>\n"), ("page.md", "<iframe src=x></iframe>")):
        path = tmp_path / name
        path.write_text(text)
        r = api.upload(sid, path)
        served = httpx.get(r.json()["data"]["files"][0]["cdn_url"])
        assert served.headers["content-type"] == "text/plain; charset=utf-8", name
        assert served.text == text
    document = docx.Document()
    document.add_paragraph("Welcome to the launch.")
    document.save(tmp_path / "script.docx")
    r = api.upload(sid, tmp_path / "script.docx")
    served = httpx.get(r.json()["data"]["files"][0]["cdn_url"])
    assert served.headers["content-disposition"].startswith("attachment"), served.headers
