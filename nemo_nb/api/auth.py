"""Identity: the persisted client id, the cached anonymous token, and its refresh.

The token lives in memory and in a 0600 cache file (so a kernel restart does not spend the
one-token-per-7-days allowance); it is never printed, logged, or shown in a repr. The client id is as
private (it is enough to get a token for its user): the config directory is 0700 and its identity
files 0600, and looser ones are tightened when a client starts.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
import uuid
from calendar import timegm
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from nemo_nb.api.answers import decode
from nemo_nb.api.errors import AuthError, ServerError
from nemo_nb.config import config_dir, read_json_object

# sends one unauthenticated request (method, path, headers) with the transport's 429 policy
Send = Callable[[str, str, dict[str, str]], Awaitable[httpx.Response]]


PRIVATE_FILES = ("client_id", "tokens.json", "pending_renders.json")


def _tighten(path: Path, mode: int) -> None:
    """Take away the permissions ``path`` has beyond ``mode`` (quietly, when it is not ours to change)."""
    try:
        if path.stat().st_mode & 0o777 & ~mode:
            os.chmod(path, mode)
    except OSError:
        pass


def secure_config(directory: Path) -> None:
    """Make the config directory 0700 and its identity files 0600 (where they are looser)."""
    if directory.is_dir():
        _tighten(directory, 0o700)
        for name in PRIVATE_FILES:
            if (directory / name).is_file():
                _tighten(directory / name, 0o600)


def client_id(directory: Path | None = None) -> str:
    """``NEMO_CLIENT_ID``, else the UUID kept in ``<config>/client_id`` (made on first use, 0600)."""
    directory = directory or config_dir()
    secure_config(directory)
    env = os.environ.get("NEMO_CLIENT_ID", "").strip()
    if env:
        return env
    path = directory / "client_id"
    try:
        value = path.read_text().strip()
        if value:
            return value
    except OSError:
        pass
    value = str(uuid.uuid4())
    write_private(path, value)
    return value


def write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read (0600), atomically, in a directory only its owner can open."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _tighten(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


class TokenCache:
    """Anonymous tokens by (scope, client id), with their expiry, in ``<config>/tokens.json``.

    The scope is the API URL, or ``local:<data dir>`` for the embedded backend, whose port changes."""

    def __init__(self, directory: Path | None = None):
        self.path = (directory or config_dir()) / "tokens.json"

    @staticmethod
    def _key(scope: str, cid: str) -> str:
        return hashlib.sha256(f"{scope.rstrip('/')}|{cid}".encode()).hexdigest()[:32]

    def _load(self) -> dict[str, Any]:
        return read_json_object(self.path)

    def get(self, scope: str, cid: str) -> dict[str, Any] | None:
        entry = self._load().get(self._key(scope, cid))
        if isinstance(entry, dict) and entry.get("expires_at", 0) > time.time() + 60:
            return entry
        return None

    def put(self, scope: str, cid: str, entry: dict[str, Any]) -> None:
        data = {k: v for k, v in self._load().items() if v.get("expires_at", 0) > time.time()}
        data[self._key(scope, cid)] = entry
        write_private(self.path, json.dumps(data))

    def drop(self, scope: str, cid: str) -> None:
        data = self._load()
        if data.pop(self._key(scope, cid), None) is not None:
            write_private(self.path, json.dumps(data))


def _expiry(value: Any) -> float:
    """Seconds since the epoch from an ISO-8601 UTC string (7 days from now when unreadable)."""
    if isinstance(value, str):
        try:
            return float(timegm(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S")))
        except ValueError:
            pass
    return time.time() + 7 * 86400


class Identity:
    """Gives a valid token: ``NEMO_TOKEN`` when set, else a cached or new anonymous one."""

    def __init__(self, api_url: str, *, token: str | None = None, cid: str | None = None,
                 directory: Path | None = None, scope: str | None = None):
        self.api_url = api_url.rstrip("/")
        self.scope = scope or self.api_url  # whose tokens these are: the API URL, or a local data dir
        self._fixed = token or os.environ.get("NEMO_TOKEN") or None
        self.directory = directory
        self.client_id = cid or client_id(directory)
        self.cache = TokenCache(directory)
        self.user_id: str | None = None
        self._token: str | None = self._fixed
        self._lock = asyncio.Lock()

    @property
    def uses_fixed_token(self) -> bool:
        return self._fixed is not None

    async def token(self, send: Send) -> str:
        async with self._lock:  # uncontended once a token is known: nothing inside awaits then
            if self._token:
                return self._token
            cached = self.cache.get(self.scope, self.client_id)
            if cached and isinstance(cached.get("token"), str) and cached["token"]:
                token: str = cached["token"]
                self._token, self.user_id = token, cached.get("user_id")
                return token
            return await self._fetch(send)

    async def refresh(self, send: Send, refused: str) -> str:
        """After a 1001: a new anonymous token for the same client id (once per refused token)."""
        if self._fixed:
            raise AuthError("NEMO_TOKEN was refused (expired or invalid); set a fresh one or unset it "
                            "to use an anonymous token", code=1001)
        async with self._lock:
            if self._token == refused or not self._token:
                self.cache.drop(self.scope, self.client_id)
                self._token = None
                return await self._fetch(send)
            return self._token

    async def _fetch(self, send: Send) -> str:
        data = decode(await send("POST", "/api/auth/anonymous-token", {"X-Client-Id": self.client_id})).get("data")
        if not isinstance(data, dict) or not isinstance(data.get("token"), str) or not data["token"]:
            raise ServerError("the anonymous-token answer holds no token")
        token: str = data["token"]
        self._token, self.user_id = token, data.get("user_id")
        self.cache.put(self.scope, self.client_id,
                       {"token": token, "user_id": self.user_id, "expires_at": _expiry(data.get("expires_at"))})
        return token

    def __repr__(self) -> str:
        source = "NEMO_TOKEN" if self._fixed else "anonymous"
        return f"Identity({self.api_url}, {source}, user={self.user_id})"
