"""50 sessions streaming /run_sse at once against `nemo-nb serve` (heartbeats on).

Checks: no error, no lost turn (every session ends with its edit in the draft and one finished turn),
and reports the server's peak RSS. Usage: python benchmarks/bench_sse.py [--sessions 50] [--runs 3]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from _server import embedded_server

from nemo_nb import samples
from nemo_nb.config import skill_profile


def rss_kib(pid: int) -> tuple[int, int]:
    """(current, peak) resident set size of a process, KiB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


async def one_session(http: httpx.AsyncClient, headers: dict, clip: Path) -> dict:
    sid = (await http.post("/api/tasks/me/with-session/nemo_agent", headers=headers,
                           json={"task_name": "project", "language": "en"})).json()["data"]["session_id"]
    with clip.open("rb") as f:
        r = await http.post(f"/api/upload-video/nemo_agent/me/{sid}", headers=headers,
                            files=[("files", (clip.name, f, "video/mp4"))])
    r.raise_for_status()
    body = {"app_name": "nemo_agent", "user_id": "me", "session_id": sid,
            "new_message": {"parts": [{"text": "add my clip to the timeline"}]}}
    counts = {"heartbeat": 0, "blank": 0, "text": 0, "tool_call": 0, "tool_result": 0}
    t0 = time.perf_counter()
    first_text = None
    async with http.stream("POST", "/run_sse", json=body, headers=headers, timeout=None) as resp:
        resp.raise_for_status()
        async for line in resp.aiter_lines():
            if not line.startswith("data:"):
                continue
            payload = line[5:].strip()
            kind = json.loads(payload)["type"] if payload else "blank"
            counts[kind] = counts.get(kind, 0) + 1
            if kind == "text" and first_text is None:
                first_text = time.perf_counter() - t0
    state = (await http.get(f"/api/state/nemo_agent/me/{sid}/latest", headers=headers)).json()["data"]
    segments = sum(len(t["sg"]) for t in state["state"]["draft"]["t"])
    return {"sid": sid, "counts": counts, "segments": segments, "first_text": first_text}


async def run(url: str, sessions: int, clip: Path) -> dict:
    limits = httpx.Limits(max_connections=sessions * 2, max_keepalive_connections=sessions * 2)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        token = (await http.post("/api/auth/anonymous-token",
                                 headers={"X-Client-Id": str(uuid.uuid4())})).json()["data"]["token"]
        headers = {"Authorization": f"Bearer {token}", **skill_profile().headers()}
        t0 = time.perf_counter()
        results = await asyncio.gather(*(one_session(http, headers, clip) for _ in range(sessions)),
                                       return_exceptions=True)
        wall = time.perf_counter() - t0
    errors = [r for r in results if isinstance(r, BaseException)]
    ok = [r for r in results if not isinstance(r, BaseException)]
    lost = [r for r in ok if r["segments"] != 1 or not r["counts"]["text"]]
    return {"wall": wall, "errors": errors, "lost": lost, "ok": ok}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--heartbeats-only", type=float, default=2.0, help="seconds of heartbeats per turn")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        clip = samples.make_clip(Path(tmp) / "clip.mp4", seconds=2)
        with embedded_server(f"{tmp}/data", "--heartbeat", "0.25",
                             "--fault", f"heartbeats_only={args.heartbeats_only}") as (url, proc):
            idle = rss_kib(proc.pid)[0]
            walls, failures = [], 0
            for i in range(args.runs):
                res = asyncio.run(run(url, args.sessions, clip))
                beats = sum(r["counts"]["heartbeat"] + r["counts"]["blank"] for r in res["ok"])
                walls.append(res["wall"])
                failures += len(res["errors"]) + len(res["lost"])
                print(f"run {i + 1}: {args.sessions} sessions in {res['wall']:.2f} s, errors {len(res['errors'])}, "
                      f"lost turns {len(res['lost'])}, heartbeat frames {beats}")
                for err in res["errors"][:3]:
                    print("   error:", repr(err))
            now, peak = rss_kib(proc.pid)
            print(f"median wall {statistics.median(walls):.2f} s; server RSS idle {idle / 1024:.0f} MiB, "
                  f"after {now / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
