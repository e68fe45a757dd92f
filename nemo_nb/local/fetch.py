"""URL uploads: every hop's host resolved once, checked, and connected to at exactly the checked address.

A name that answers a public address to the check and 127.0.0.1 to the connection (DNS rebinding) cannot
reach loopback: the connection never resolves the name again. The request still carries the URL's own
host in its ``Host`` header and, over TLS, as the SNI name the certificate is checked against. Proxy
variables are not used (a proxy would resolve the name itself, after our check).
"""
from __future__ import annotations

import socket
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import anyio
import httpcore

from nemo_nb.formats import ACCEPTED, extension
from nemo_nb.local import addresses, errors
from nemo_nb.local.names import safe_filename
from nemo_nb.local.uploads import MediaFolder, Received, too_large, unsupported

DEFAULT_PORTS = {"http": 80, "https": 443}
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass(frozen=True)
class Hop:
    """One request of a URL upload: where it goes and the addresses its host may be reached at."""

    scheme: str
    host: str            # as in the URL, lower case, IDNA-encoded, no brackets
    port: int
    target: str          # path and query, percent-encoded
    addresses: tuple[str, ...]

    @property
    def authority(self) -> str:
        """``host[:port]`` as the ``Host`` header says it."""
        return self.origin if self.port != DEFAULT_PORTS[self.scheme] else self.origin.rsplit(":", 1)[0]

    @property
    def origin(self) -> str:
        """``host:port``, IPv6 in brackets: how ``url_allow_hosts`` names it."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


class PinnedNetwork(httpcore.AsyncNetworkBackend):
    """A network backend that connects to the checked addresses of one host, and nowhere else."""

    def __init__(self, hop: Hop):
        self.hop = hop
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        if host.strip("[]").lower() != self.hop.host or port != self.hop.port:
            raise httpcore.ConnectError(f"{host}:{port} is not the checked host")
        failure: Exception = httpcore.ConnectError("no address")
        for address in self.hop.addresses:  # each checked address in turn, as a resolver-driven connect would
            try:
                return await self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("URL uploads use TCP only")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def resolve(host: str, port: int, *, check: bool) -> tuple[str, ...]:
    """The host's addresses, resolved once; with ``check``, 4000 if any of them is not a public address."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise errors.bad_request(f"cannot resolve host {host!r}") from None
    found: list[str] = []
    for info in infos:
        text = str(info[4][0])
        address = addresses.parse(text)
        reason = addresses.refusal(address) if check else None
        if reason:
            raise errors.bad_request(f"URL host {host!r} is a local or private address ({address}: {reason}); "
                                     "refused")
        if text not in found:
            found.append(text)
    if not found:
        raise errors.bad_request(f"cannot resolve host {host!r}")
    return tuple(found)


def plan_hop(url: str, *, allow_private: bool, allow: frozenset[str]) -> tuple[Hop, str]:
    """The checked hop for ``url`` and the name of the file it should give."""
    parts = urlsplit(url)
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
        raise errors.bad_request("only http and https URLs can be uploaded")
    try:
        host = parts.hostname if parts.hostname.isascii() else parts.hostname.encode("idna").decode("ascii")
        port = parts.port or DEFAULT_PORTS[parts.scheme]
    except (UnicodeError, ValueError):
        raise errors.bad_request("the URL's host or port is not valid") from None
    target = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~") + (
        "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?") if parts.query else "")
    hop = Hop(parts.scheme, host.lower(), port, target, ())
    checked = not (allow_private or hop.origin in allow)
    hop = Hop(hop.scheme, hop.host, port, target, resolve(hop.host, port, check=checked))
    name = safe_filename(unquote(parts.path.rsplit("/", 1)[-1]))
    if extension(name) not in ACCEPTED:
        raise unsupported(name)
    return hop, name


async def _download(hop: Hop, folder: MediaFolder, name: str, max_bytes: int, timeout_s: float,
                    ssl_context: ssl.SSLContext) -> Received | str:
    """The hop's file on disk, or the URL a redirect points at."""
    url = httpcore.URL(scheme=hop.scheme.encode(), host=hop.host.encode(), port=hop.port, target=hop.target.encode())
    timeouts = {"connect": timeout_s, "read": timeout_s, "write": timeout_s, "pool": timeout_s}
    async with httpcore.AsyncConnectionPool(ssl_context=ssl_context, network_backend=PinnedNetwork(hop),
                                            max_connections=1) as pool, \
            pool.stream("GET", url, headers=[(b"Host", hop.authority.encode()), (b"Accept", b"*/*")],
                        extensions={"timeout": timeouts}) as response:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in response.headers}
        if response.status in REDIRECTS and headers.get("location"):
            return headers["location"]
        if response.status != 200:
            raise errors.bad_request(f"the URL answered HTTP {response.status}")
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise too_large(max_bytes)
        received = folder.new_file(name)
        try:
            with received.open() as out:
                async for chunk in response.aiter_stream():
                    received.add(chunk, out, max_bytes)
        except BaseException:
            folder.discard([received])
            raise
        received.finish()
        return received


async def fetch_url(url: str, folder: MediaFolder, max_bytes: int, *, allow_private: bool, timeout_s: float,
                    allow_hosts: Iterable[str] = (), max_redirects: int = 3) -> Received:
    """Download an http(s) URL to disk: every hop checked and pinned, the size capped."""
    import httpx

    ssl_context = httpx.create_ssl_context(verify=True, trust_env=True)  # SSL_CERT_FILE / _DIR are honoured
    allow = frozenset(entry.strip().lower() for entry in allow_hosts)
    for _ in range(max_redirects + 1):
        hop, name = await anyio.to_thread.run_sync(partial(plan_hop, url, allow_private=allow_private, allow=allow))
        try:
            result = await _download(hop, folder, name, max_bytes, timeout_s, ssl_context)
        except httpcore.TimeoutException:
            raise errors.bad_request("could not download the URL: it timed out") from None
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol, ssl.SSLError) as exc:
            raise errors.bad_request(f"could not download the URL: {type(exc).__name__}") from None
        if isinstance(result, Received):
            return result
        url = urljoin(url, result)
    raise errors.bad_request("too many redirects")
