"""URL uploads as an attacker uses them: DNS rebinding, IPv4 hidden in IPv6, redirects, TLS names.

The backend runs in this process, so a resolver we control replaces ``socket.getaddrinfo`` for names
under ``.nemo-test`` (that is DNS, not HTTP: every request here is real HTTP on loopback). The one
"public" address a rebinding name answers first is never served by anything of ours: whatever happens
to that connection, the loopback server behind the second answer must see nothing.
"""
from __future__ import annotations

import http.server
import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from rawapi import RawApi

from nemo_nb import samples
from nemo_nb.local.server import LocalBackend

PUBLIC = "192.31.196.19"  # a global address (the AS112 prefix: DNS service only); nothing of ours serves it
IPV6_FORMS = {  # IPv6 spellings of loopback, private and metadata addresses
    "nat64-loopback": "64:ff9b::7f00:1",
    "nat64-private": "64:ff9b::a00:1",
    "nat64-metadata": "64:ff9b::a9fe:a9fe",
    "nat64-local-use": "64:ff9b:1::7f00:1",
    "6to4-loopback": "2002:7f00:1::1",
    "6to4-metadata": "2002:a9fe:a9fe::1",
    "mapped": "::ffff:127.0.0.1",
    "mapped-hex": "::ffff:7f00:1",
    "compatible": "::127.0.0.1",
    "translated": "::ffff:0:7f00:1",
    "teredo": "2001:0:4136:e378:8000:63bf:80ff:fffe",
    "link-local": "fe80::1",
    "unique-local": "fd12:3456::1",
    "multicast": "ff0e::1",
}


class Site:
    """An HTTP(S) server on one loopback address that records every request's path, headers and TLS name."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]], host: str = "127.0.0.1",
                 port: int = 0, tls: ssl.SSLContext | None = None):
        self.routes = routes
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.sni: list[str | None] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
                status, headers, body = outer.routes.get(urlsplit(self.path).path, (404, {}, b"not here"))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((host, port), Handler)
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: outer.sni.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Site:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


class Resolver:
    """``socket.getaddrinfo`` for ``*.nemo-test``: each name answers its list of addresses in turn (the last
    one from then on); every other name goes to the real resolver. ``asked`` counts the look-ups."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch):
        self.answers: dict[str, list[str]] = {}
        self.asked: dict[str, int] = {}
        real = socket.getaddrinfo

        def getaddrinfo(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
            name = host.decode() if isinstance(host, bytes) else str(host)
            if not name.endswith(".nemo-test"):
                return real(host, port, *args, **kw)
            turn = self.asked.get(name, 0)
            self.asked[name] = turn + 1
            answers = self.answers.get(name)
            if not answers:
                raise socket.gaierror(socket.EAI_NONAME, "unknown test name")
            address = answers[min(turn, len(answers) - 1)]
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            sockaddr = (address, int(port or 0), 0, 0) if family == socket.AF_INET6 else (address, int(port or 0))
            return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", sockaddr)]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    return Resolver(monkeypatch)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = samples.make_clip(tmp_path_factory.mktemp("tiny") / "tiny.mp4", seconds=1, width=160, height=120,
                             audio=False)
    return path.read_bytes()


def upload_urls(api: RawApi, sid: str, *urls: str) -> Any:
    return api.call("POST", f"/api/upload-video/nemo_agent/me/{sid}", json={"urls": list(urls), "source_type": "url"})


def user(b: LocalBackend) -> tuple[RawApi, str]:
    api = RawApi(b.url)
    api.login()
    return api, api.session()


def refused(r: Any, *words: str) -> None:
    assert r.status_code == 400 and r.json()["code"] == 4000, r.text
    for word in words:
        assert word in r.json()["message"], r.json()["message"]


def media_files(b: LocalBackend) -> list[Path]:
    return [p for p in (b.data_dir / "media").rglob("*") if p.is_file()]


@pytest.fixture(scope="module")
def backend_(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBackend]:
    with LocalBackend(tmp_path_factory.mktemp("ssrf"), url_timeout_s=3) as b:
        yield b


@pytest.mark.slow
def test_dns_rebinding_cannot_reach_loopback(backend_: LocalBackend, resolver: Resolver, tiny: bytes) -> None:
    """A name that answers a public address to the check and 127.0.0.1 afterwards: the upload connects to the
    checked public address (or fails), never to the loopback server, and the name is looked up once."""
    with Site({"/secret.mp4": (200, {}, tiny)}) as site:
        resolver.answers["rebind.nemo-test"] = [PUBLIC, "127.0.0.1"]
        api, sid = user(backend_)
        r = upload_urls(api, sid, f"http://rebind.nemo-test:{site.port}/secret.mp4")
        assert r.status_code != 200, r.text
        assert site.requests == []
        assert resolver.asked["rebind.nemo-test"] == 1
        assert media_files(backend_) == []
        api.close()


@pytest.mark.parametrize("form", list(IPV6_FORMS), ids=list(IPV6_FORMS))
def test_ipv6_spellings_of_local_addresses_are_refused(backend_: LocalBackend, resolver: Resolver,
                                                       form: str) -> None:
    address = IPV6_FORMS[form]
    resolver.answers["v6.nemo-test"] = [address]
    api, sid = user(backend_)
    refused(upload_urls(api, sid, f"http://[{address}]/x.mp4"), "private")
    refused(upload_urls(api, sid, f"http://[{address}]:8080/x.mp4"), "private")
    refused(upload_urls(api, sid, "http://v6.nemo-test/x.mp4"), "private")  # a name that resolves to it
    api.close()


def test_a_name_with_any_local_address_is_refused(backend_: LocalBackend, monkeypatch: pytest.MonkeyPatch) -> None:
    """A name answering a public and a loopback address at once is refused (the connection could pick either)."""
    real = socket.getaddrinfo

    def both(host: Any, port: Any, *args: Any, **kw: Any) -> Any:
        if host != "both.nemo-test":
            return real(host, port, *args, **kw)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (PUBLIC, port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", both)
    api, sid = user(backend_)
    refused(upload_urls(api, sid, "http://both.nemo-test/x.mp4"), "private", "127.0.0.1")
    api.close()


@pytest.mark.slow
def test_redirects_to_ipv6_spellings_of_local_addresses_are_refused(tmp_path: Path) -> None:
    forms = list(IPV6_FORMS.values())
    routes = {f"/hop{i}.mp4": (302, {"Location": f"http://[{a}]/x.mp4"}, b"") for i, a in enumerate(forms)}
    with Site(routes) as site, LocalBackend(tmp_path / "data", url_allow_hosts=[f"127.0.0.1:{site.port}"]) as b:
        api, sid = user(b)
        for i in range(len(forms)):
            refused(upload_urls(api, sid, f"http://127.0.0.1:{site.port}/hop{i}.mp4"), "private")
        assert [path for path, _ in site.requests] == [f"/hop{i}.mp4" for i in range(len(forms))]
        assert media_files(b) == []
        api.close()


def free_port_on_both(first: str, second: str) -> tuple[Site, Site]:
    """Two sites on the same port of two loopback addresses (Linux routes all of 127/8 to loopback)."""
    for _ in range(20):
        other = Site({"/clip.mp4": (200, {}, b"the wrong server")}, host=second)
        try:
            return Site({}, host=first, port=other.port), other
        except OSError:
            other.server.server_close()
    pytest.fail("no port free on both loopback addresses")


@pytest.mark.slow
def test_the_connection_goes_to_the_checked_address(tmp_path: Path, resolver: Resolver, tiny: bytes) -> None:
    """An allowed name that answers 127.0.0.1 first and 127.0.0.2 later: the file comes from 127.0.0.1, with the
    URL's host in the Host header."""
    try:
        right, wrong = free_port_on_both("127.0.0.1", "127.0.0.2")
    except OSError:
        pytest.skip("127.0.0.2 is not a loopback address here")
    right.routes["/clip.mp4"] = (200, {}, tiny)
    resolver.answers["pin.nemo-test"] = ["127.0.0.1", "127.0.0.2"]
    with right, wrong, LocalBackend(tmp_path / "data", url_allow_hosts=[f"pin.nemo-test:{right.port}"]) as b:
        api, sid = user(b)
        r = upload_urls(api, sid, f"http://pin.nemo-test:{right.port}/clip.mp4")
        assert r.status_code == 200, r.text
        assert [f.read_bytes() for f in media_files(b)] == [tiny]
        assert wrong.requests == []
        assert right.requests[0][1]["host"] == f"pin.nemo-test:{right.port}"
        assert resolver.asked["pin.nemo-test"] == 1
        # allowed means that name and port only: another port of the same name is checked, and refused
        refused(upload_urls(api, sid, f"http://pin.nemo-test:{right.port + 1}/clip.mp4"), "private")
        api.close()


@pytest.mark.slow
def test_https_keeps_the_url_host_for_sni_and_the_certificate(tmp_path: Path, resolver: Resolver, tiny: bytes,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Connecting to the checked address does not change the TLS name: the server sees the URL's host as SNI,
    and its certificate is checked against that name (a certificate for another name is refused)."""
    trustme = pytest.importorskip("trustme")
    ca = trustme.CA()
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))

    def tls_for(name: str) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ca.issue_cert(name).configure_cert(context)
        return context

    resolver.answers["media.nemo-test"] = ["127.0.0.1"]
    with Site({"/clip.mp4": (200, {}, tiny)}, tls=tls_for("media.nemo-test")) as good, \
            Site({"/clip.mp4": (200, {}, tiny)}, tls=tls_for("other.nemo-test")) as bad, \
            LocalBackend(tmp_path / "data", url_allow_hosts=[f"media.nemo-test:{good.port}",
                                                             f"media.nemo-test:{bad.port}"]) as b:
        api, sid = user(b)
        r = upload_urls(api, sid, f"https://media.nemo-test:{good.port}/clip.mp4")
        assert r.status_code == 200, r.text
        assert good.sni == ["media.nemo-test"]
        assert good.requests[0][1]["host"] == f"media.nemo-test:{good.port}"
        refused(upload_urls(api, sid, f"https://media.nemo-test:{bad.port}/clip.mp4"), "download")
        assert bad.requests == []
        assert len(media_files(b)) == 1
        api.close()
