"""Running the embedded backend: uvicorn on 127.0.0.1, in a background thread or in the foreground."""
from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import uvicorn

from nemo_nb.config import default_data_dir
from nemo_nb.local.app import create_app
from nemo_nb.local.settings import BackendSettings, Faults


def bind_loopback(host: str, port: int) -> socket.socket:
    """A listening socket on loopback (``port`` 0: a free one)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # IPPROTO_TCP: asyncio sets TCP_NODELAY
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1" if host == "localhost" else host, port))
    sock.listen(128)
    return sock


def make_server(settings: BackendSettings) -> tuple[uvicorn.Server, socket.socket, str]:
    data_dir = Path(settings.data_dir) if settings.data_dir else default_data_dir()
    sock = bind_loopback(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    settings.port = port
    app = create_app(settings, data_dir)
    url = f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"
    app.state.backend.public_url = url
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on",
                            timeout_graceful_shutdown=5, h11_max_incomplete_event_size=64 * 1024)
    return uvicorn.Server(config), sock, url


class LocalBackend:
    """The embedded backend in a background thread::

        with LocalBackend() as b:
            print(b.url)

    Keyword arguments are ``BackendSettings`` fields; ``faults`` takes a ``Faults`` or a list of
    ``"name[=value]"`` strings. ``credits=N`` also tops up existing users to N (unless ``top_up=False``).
    """

    def __init__(self, data_dir: str | Path | None = None, **options: Any):
        options.setdefault("top_up", "credits" in options)
        faults = options.pop("faults", None)
        if not isinstance(faults, Faults):
            faults = Faults.parse(faults)
        self.settings = BackendSettings(data_dir=None if data_dir is None else Path(data_dir), faults=faults, **options)
        self.url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.data_dir) if self.settings.data_dir else default_data_dir()

    def start(self, timeout: float = 20.0) -> LocalBackend:
        if self._thread is not None:
            return self
        server, sock, self.url = make_server(self.settings)
        self._server = server
        self._thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]},
                                        name="nemo-nb-backend", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not server.started and self._thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        if not server.started:
            self.stop()
            raise RuntimeError("the embedded backend did not start")
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._server = self._thread = None

    def __enter__(self) -> LocalBackend:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"LocalBackend({self.url or 'not started'})"


def serve(settings: BackendSettings) -> None:
    """Run in the foreground until Ctrl-C, printing the URL."""
    server, sock, url = make_server(settings)
    print(f"nemo-nb embedded backend on {url}  (data: {settings.data_dir or default_data_dir()})", flush=True)
    server.run(sockets=[sock])
