"""Soak: mixed load on the embedded backend for N minutes, with a kill -9 and a restart in the middle.

    python benchmarks/soak.py --minutes 5 --clients 4

Each client (its own user, a few sessions) loops over uploads, turns, renders, cancels, state and credits
requests, SSE streams dropped after the first event and uploads cut off mid-body. Half-way through, the
backend is killed with SIGKILL and started again on the same port and data directory; clients ride it out.

Afterwards (from the database and the process table):
- no lost turn: every turn a client saw start is finished (done / failed / refused / interrupted), none stuck;
- the credits ledger balanced to the credit: each turn's charge is its ledger entry, nothing frozen, each
  user's balance is their starting credits plus their ledger (credits given on a restart with --credits
  are the only rows without a turn);
- no orphan process: every ffmpeg / speech worker of a backend is gone within 2 s of its end;
- no file in the data directory that the database does not own (counted; the startup sweep removes them);
- no 5xx answer.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _procs import (  # a sibling: the script's folder is on sys.path
    descendants,
    has_proc,
    wait_gone,
)

from nemo_nb import samples
from nemo_nb.config import skill_profile

MESSAGES = ["add my clip", "add a title 'Soak test' at the top", "make it 9:16", "add calm background music",
            "add a voiceover in Spanish: Hola a todos. Bienvenidos.", "trim the first second", "undo",
            "make it look better", "mute the original sound", "burn in captions"]
FINISHED = {"done", "failed", "refused", "interrupted"}
SETTLE_S = 90.0


@dataclass
class Figures:
    requests: Counter = field(default_factory=Counter)     # action → count
    statuses: Counter = field(default_factory=Counter)     # HTTP status → count
    turns_started: list[tuple[str, str]] = field(default_factory=list)  # (session, idempotency key)
    renders: list[str] = field(default_factory=list)
    connection_errors: int = 0
    kills: int = 0
    orphans: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, action: str, status: int | None) -> None:
        with self.lock:
            self.requests[action] += 1
            if status is not None:
                self.statuses[status] += 1


class Backend:
    """``nemo-nb serve`` as a child process on a fixed port, so it can be killed and started again."""

    def __init__(self, data_dir: Path, port: int):
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen | None = None
        self.seen: set[int] = set()  # every descendant ever seen (ffmpeg, speech worker)

    def start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "nemo_nb.cli", "serve", "--port", str(self.port),
                                      "--data-dir", str(self.data_dir), "--credits", "100000", "--heartbeat", "0.5"],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.proc.stdout.readline()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the backend did not start")

    def watch(self) -> None:
        if self.proc is not None and has_proc():
            self.seen.update(descendants(self.proc.pid))

    def end(self, how: int) -> list[int]:
        """Kill (SIGKILL) or stop (SIGTERM) the backend; the children still alive 2 s later."""
        assert self.proc is not None
        self.watch()
        below = list(self.seen)
        self.proc.send_signal(how)
        self.proc.wait(timeout=60)
        self.seen.clear()
        return wait_gone(below, timeout=2.0) if has_proc() else []


class Client(threading.Thread):
    """One user's mixed requests until ``deadline``."""

    def __init__(self, url: str, clip: Path, figures: Figures, deadline: float, seed: int):
        super().__init__(daemon=True)
        self.http = httpx.Client(base_url=url, timeout=httpx.Timeout(30, read=120))
        self.clip, self.figures, self.deadline = clip, figures, deadline
        self.random = random.Random(seed)
        self.headers: dict[str, str] = {}
        self.sessions: list[str] = []

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            try:
                if not self.headers:
                    self.login()
                if len(self.sessions) < 3:
                    self.new_session()
                action = self.random.choices(
                    ["upload", "turn", "drop_stream", "render", "cancel", "abort_upload", "look"],
                    [20, 30, 10, 12, 8, 5, 15])[0]
                getattr(self, action)(self.random.choice(self.sessions))
            except (httpx.TransportError, ConnectionError):
                with self.figures.lock:
                    self.figures.connection_errors += 1
                time.sleep(0.3)  # the backend is restarting
        self.http.close()

    def call(self, action: str, method: str, path: str, **kw: Any) -> httpx.Response:
        r = self.http.request(method, path, headers={**self.headers, **kw.pop("headers", {})}, **kw)
        self.figures.count(action, r.status_code)
        return r

    def login(self) -> None:
        r = self.http.post("/api/auth/anonymous-token", headers={"X-Client-Id": str(uuid.uuid4())})
        self.figures.count("login", r.status_code)
        r.raise_for_status()
        self.headers = {"Authorization": f"Bearer {r.json()['data']['token']}",
                        **skill_profile("ai-voiceover-for").headers()}

    def new_session(self) -> None:
        r = self.call("session", "POST", "/api/tasks/me/with-session/nemo_agent", json={"task_name": "soak"})
        if r.status_code == 200:
            self.sessions.append(r.json()["data"]["session_id"])

    def upload(self, sid: str) -> None:
        with self.clip.open("rb") as f:
            self.call("upload", "POST", f"/api/upload-video/nemo_agent/me/{sid}", files=[("files", ("clip.mp4", f))])

    def abort_upload(self, sid: str) -> None:
        """A multipart body that stops half-way: the client hangs up mid-upload."""
        boundary = "soakboundary"

        def body():
            yield (f"--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"cut.mp4\"\r\n"
                   "Content-Type: video/mp4\r\n\r\n").encode()
            yield self.clip.read_bytes()[:20_000]
            raise ConnectionAbortedError("soak: upload cut off")

        self.figures.count("abort_upload", None)
        try:
            self.http.post(f"/api/upload-video/nemo_agent/me/{sid}", content=body(),
                           headers={**self.headers, "Content-Type": f"multipart/form-data; boundary={boundary}"})
        except (httpx.HTTPError, ConnectionAbortedError):
            pass

    def _message(self, sid: str, drop: bool) -> None:
        key = uuid.uuid4().hex
        body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
                "new_message": {"parts": [{"text": self.random.choice(MESSAGES)}]}}
        action = "drop_stream" if drop else "turn"
        with self.http.stream("POST", "/run_sse", json=body, headers={**self.headers, "Idempotency-Key": key},
                              timeout=httpx.Timeout(30, read=None)) as r:
            self.figures.count(action, r.status_code)
            if r.status_code != 200:
                return
            with self.figures.lock:
                self.figures.turns_started.append((sid, key))
            for _ in r.iter_lines():
                if drop:
                    return  # hang up after the first event; the turn must still finish

    def turn(self, sid: str) -> None:
        self._message(sid, drop=False)

    def drop_stream(self, sid: str) -> None:
        self._message(sid, drop=True)

    def _submit(self, sid: str) -> str | None:
        state = self.call("look", "GET", f"/api/state/nemo_agent/me/{sid}/latest")
        if state.status_code != 200:
            return None
        render_id = f"soak_{uuid.uuid4().hex[:12]}"
        r = self.call("render", "POST", "/api/render/proxy/lambda",
                      json={"id": render_id, "sessionId": sid, "draft": state.json()["data"]["state"]["draft"]})
        if r.status_code != 200:
            return None
        with self.figures.lock:
            self.figures.renders.append(render_id)
        return render_id

    def render(self, sid: str) -> None:
        render_id = self._submit(sid)
        until = time.monotonic() + 20
        while render_id and time.monotonic() < min(until, self.deadline):
            r = self.call("render_status", "GET", f"/api/render/proxy/lambda/{render_id}")
            if r.status_code != 200 or r.json()["data"]["status"] in ("completed", "failed"):
                return
            time.sleep(0.3)

    def cancel(self, sid: str) -> None:
        if render_id := self._submit(sid):
            self.call("cancel", "POST", f"/api/render/proxy/lambda/{render_id}/cancel")

    def look(self, sid: str) -> None:
        self.call("look", "GET", f"/api/state/nemo_agent/me/{sid}/latest")
        self.call("credits", "GET", "/api/credits/balance/simple")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def settle(db: Path) -> list[str]:
    """Wait until no turn runs and no render waits; the ids of those still unfinished after SETTLE_S."""
    deadline = time.monotonic() + SETTLE_S
    while True:
        with sqlite3.connect(db) as con:
            busy = [r[0] for r in con.execute("SELECT id FROM turns WHERE status='running' UNION ALL "
                                              "SELECT id FROM renders WHERE status IN ('pending','processing')")]
        if not busy or time.monotonic() > deadline:
            return busy
        time.sleep(0.5)


def audit(data_dir: Path, figures: Figures) -> dict[str, Any]:
    """What the database says once everything stopped."""
    con = sqlite3.connect(data_dir / "nemo.sqlite3")
    con.row_factory = sqlite3.Row
    turns = {r["idempotency_key"]: dict(r) for r in con.execute("SELECT * FROM turns")}
    all_turns = list(turns.values())
    never_recorded = [key for _, key in figures.turns_started if key not in turns]
    lost = never_recorded + [t["id"] for t in all_turns if t["status"] not in FINISHED]
    rows = con.execute("SELECT ref, delta, reason FROM ledger").fetchall()
    charged = {r["ref"]: -r["delta"] for r in rows if r["ref"] is not None}
    ledger_errors = [t["id"] for t in all_turns if charged.get(t["id"], 0) != t["cost"]]
    ledger_errors += [ref for ref in charged if ref not in {t["id"] for t in all_turns}]
    # the only rows without a turn: credits given (a restart with --credits tops users up; topup.py)
    ledger_errors += [dict(r) for r in rows if r["ref"] is None and not (r["delta"] > 0 and r["reason"] in
                                                                           ("top-up", "added"))]
    frozen = con.execute("SELECT COALESCE(SUM(amount),0) FROM holds").fetchone()[0]
    owned = {Path(r[0]).as_posix() for r in con.execute("SELECT relpath FROM media UNION ALL "
                                                         "SELECT relpath FROM renders WHERE relpath IS NOT NULL")}
    for (extra,) in con.execute("SELECT extra_outputs FROM renders WHERE extra_outputs IS NOT NULL"):
        owned |= {e["relpath"] for e in json.loads(extra).values()}
    files = [p.relative_to(data_dir).as_posix() for top in ("media", "renders") if (data_dir / top).exists()
             for p in (data_dir / top).rglob("*") if p.is_file()]
    leftovers = sorted(f for f in files if f not in owned)
    renders = Counter(r[0] for r in con.execute("SELECT status FROM renders"))
    render_errors = Counter(r[0][:80] for r in con.execute("SELECT error FROM renders WHERE status='failed'"))
    statuses = Counter(t["status"] for t in all_turns)
    con.close()
    return {"turns": len(all_turns), "turn_statuses": dict(statuses), "lost_turns": lost,
            "ledger_errors": ledger_errors, "frozen_credits": frozen, "renders": dict(renders),
            "render_errors": dict(render_errors), "leftover_files": leftovers}


def run(minutes: float, clients: int = 4, seed: int = 1, data_dir: Path | None = None) -> dict[str, Any]:
    """Run the soak; its figures (``*_errors``, ``lost_turns``, ``orphans``, ``leftover_files`` lists)."""
    data_dir = data_dir or Path(tempfile.mkdtemp(prefix="nemo-soak-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    clip = samples.make_clip(data_dir / "clip.mp4", seconds=2)
    backend = Backend(data_dir / "data", free_port())
    backend.start()
    figures = Figures()
    started = time.monotonic()
    deadline = started + minutes * 60
    workers = [Client(backend.url, clip, figures, deadline, seed * 100 + i) for i in range(clients)]
    for worker in workers:
        worker.start()
    kill_at = started + minutes * 30
    while time.monotonic() < deadline:
        backend.watch()
        if kill_at and time.monotonic() >= kill_at:
            figures.orphans += [f"after kill -9: {p}" for p in backend.end(signal.SIGKILL)]
            figures.kills += 1
            kill_at = 0
            backend.start()
        time.sleep(0.2)
    for worker in workers:
        worker.join(timeout=180)
    stuck = settle(data_dir / "data" / "nemo.sqlite3")
    figures.orphans += [f"after stop: {p}" for p in backend.end(signal.SIGTERM)]
    report = audit(data_dir / "data", figures)
    server_errors = sum(n for status, n in figures.statuses.items() if status >= 500)
    return {"seconds": round(time.monotonic() - started, 1), "clients": clients,
            "requests": sum(figures.requests.values()), "by_action": dict(figures.requests),
            "turns_started": len(figures.turns_started), "renders_submitted": len(figures.renders),
            "kills": figures.kills, "connection_errors": figures.connection_errors, "server_errors": server_errors,
            "stuck": stuck, "orphans": figures.orphans, **report}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the data directory (its path is printed)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="nemo-soak-"))
    try:
        figures = run(args.minutes, args.clients, args.seed, data_dir=folder / "run")
    finally:
        if args.keep:
            print(f"data: {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        shown = len(value) if isinstance(value, list) else value
        print(f"{key:<{width}}  {shown}")
    if figures["leftover_files"]:
        print("leftover files (first 10):", *figures["leftover_files"][:10], sep="\n  ")
    print(f"(machine shared; {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
