"""Settings of the embedded backend, including its fault-injection switches (off by default)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

SSE_DIALECTS = ("canonical", "adk")
RENDER_SHAPES = ("wrapped", "toplevel")
DAY = 86400
# Browser pages on this machine (a notebook frontend on localhost:8888) may call the backend.
LOOPBACK_ORIGINS = tuple(f"{scheme}://{host}:*" for scheme in ("http", "https")
                         for host in ("localhost", "127.0.0.1", "[::1]"))


def default_render_workers() -> int:
    """Renders at once: half the cores (x264 already spreads one encode over several), and at least two,
    so one long render never holds every slot (renders.py gives each user at most half of them)."""
    return max(2, min(8, (os.cpu_count() or 2) // 2))


@dataclass
class Faults:
    """Failures the backend can inject so the client's recovery paths meet a real server.

    Every field is off by default. ``nemo-nb serve --fault drop_sse_after=3 --fault silent``.
    """

    rate_limit_once: bool = False       # the first request answers HTTP 429 with Retry-After: 1
    expire_token_after: int = 0         # a token dies (1001) after this many authenticated requests
    drop_sse_after: int = 0             # cut the /run_sse body after N events; the turn still lands
    silent: bool = False                # turns send tool events but no text
    heartbeats_only: float = 0.0        # seconds of heartbeats only at the start of every turn
    render_fail_once: bool = False      # the first render job fails
    session_lost_once: bool = False     # the first session-scoped request loses that session (1002)

    @classmethod
    def parse(cls, specs: list[str] | None) -> Faults:
        """Parse ``name`` / ``name=value`` items, e.g. ``["silent", "drop_sse_after=3"]``."""
        faults = cls()
        known = {f.name: f for f in fields(cls)}
        for spec in specs or []:
            name, _, value = spec.partition("=")
            name = name.strip().replace("-", "_")
            if name not in known:
                raise ValueError(f"unknown fault {name!r}; known: {', '.join(known)}")
            kind = type(getattr(faults, name))
            if kind is bool:
                setattr(faults, name, value.strip().lower() not in ("0", "false", "no", "off"))
            else:
                setattr(faults, name, kind(value or 1))
        return faults


@dataclass
class BackendSettings:
    """Everything the embedded backend can be told; defaults suit a notebook on a laptop."""

    data_dir: Path | None = None             # None: the platform's user data dir
    host: str = "127.0.0.1"                  # loopback only; see server.py
    port: int = 0                            # 0: a free port
    credits: int = 100                       # credits of a new anonymous user
    top_up: bool = False                     # on start, raise every existing user's available credits to `credits`
    token_ttl_s: int = 7 * DAY
    token_window_s: int = 7 * DAY            # the window of the per-client / per-address token limits
    tokens_per_client: int = 1
    tokens_per_ip: int = 0                   # new client ids per address per window; 0: no limit. Off by default:
                                             # every local client is 127.0.0.1 (the cloud's rule is 10)
    max_upload_bytes: int = 500 * 1024 * 1024
    max_json_bytes: int = 4 * 1024 * 1024     # a JSON body; its shape is bounded too (limits.py)
    allow_private_urls: bool = False         # URL uploads from loopback/private addresses
    url_allow_hosts: tuple[str, ...] = ()    # "host:port" URL uploads may fetch although local or private
    url_timeout_s: float = 30.0
    sse_dialect: str = "canonical"
    render_shape: str = "wrapped"
    heartbeat_s: float = 2.0                 # heartbeat period while a tool works
    render_workers: int = field(default_factory=default_render_workers)  # renders at once, over all sessions
    # Budgets (nemo_nb.local.budget): a turn or render over one is stopped, fails with a clear message and is
    # not charged. A turn: at most the client's 15-minute hard cap; a render: an hour of 1080p takes ~20 min.
    turn_wall_s: float = 900.0
    turn_cpu_s: float = 1200.0               # CPU seconds of its child processes (speech worker, ffmpeg)
    render_wall_s: float = 3600.0
    render_cpu_s: float = 7200.0
    # Largest render accepted at submit (nemo_nb.local.render_limits): an hour of output, 4K at most, and at
    # most an hour's worth of 1080p pixels (so 15 minutes of 4K).
    max_render_s: float = 3600.0
    max_render_pixels: int = 3840 * 2160
    max_render_pixel_seconds: float = 3600.0 * 1920 * 1080
    web_url: str = ""                        # claim / registration links; "" → this server
    allowed_origins: tuple[str, ...] = LOOPBACK_ORIGINS  # web pages that may call the API (":*": any port; "*": all)
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        if self.sse_dialect not in SSE_DIALECTS:
            raise ValueError(f"sse_dialect must be one of {SSE_DIALECTS}")
        if self.render_shape not in RENDER_SHAPES:
            raise ValueError(f"render_shape must be one of {RENDER_SHAPES}")
        if self.credits < 0:
            raise ValueError("credits must be 0 or more")
        if self.host not in ("127.0.0.1", "::1", "localhost"):
            raise ValueError("the embedded backend binds to loopback only (127.0.0.1 or ::1)")
        if self.data_dir is not None:
            self.data_dir = Path(self.data_dir)
        self.url_allow_hosts = tuple(h.strip().lower() for h in self.url_allow_hosts if h.strip())
        self.allowed_origins = tuple(o.strip() for o in self.allowed_origins if o.strip())
