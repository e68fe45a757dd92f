"""A tiny loopback HTTP server for tests: fixed routes, or a proxy that redirects; it records what it got."""
from __future__ import annotations

import http.server
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit


class LoopbackHttp:
    """A tiny HTTP server on 127.0.0.1 in a thread: ``routes`` maps a path to (status, headers, body).

    Every request line is recorded in ``seen`` (full URL when it is used as a proxy), and the headers
    of every request, as received, in ``headers``."""

    def __init__(self, routes: dict[str, tuple[int, dict[str, str], bytes]] | None = None,
                 proxy_redirects: bool = False):
        self.routes = routes or {}
        self.seen: list[str] = []
        self.headers: list[dict[str, str]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append(self.path)
                outer.headers.append(dict(self.headers.items()))
                if proxy_redirects:  # an HTTP proxy that answers every request with a redirect
                    target = parse_qs(urlsplit(self.path).query).get("to", [""])[0]
                    status, headers, body = 302, {"Location": target}, b""
                else:
                    status, headers, body = outer.routes.get(urlsplit(self.path).path,
                                                             (404, {}, b"not here"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackHttp:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
