"""How fast the embedded backend refuses or answers abusive requests, and how ``GET /`` fares meanwhile.

    python benchmarks/bench_refusals.py [--runs 7]

The backend runs in its own process (``nemo-nb serve``). For each request: the median and the worst of
``--runs`` runs of the whole request as the client sees it (sending included), and the slowest ``GET /``
answered while those runs went on (a probe asks every 10 ms on its own connection).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _server import embedded_server


def render_body(sid: str, tracks: bytes) -> bytes:
    return b'{"id":"r_big","sessionId":"%s","draft":{"t":[%s],"m":{}}}' % (sid.encode(), tracks)


def sse_body(sid: str, text: str) -> dict[str, object]:
    return {"app_name": "nemo_agent", "user_id": "me", "session_id": sid, "new_message": {"parts": [{"text": text}]}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data, embedded_server(data) as (url, _), \
            httpx.Client(base_url=url, timeout=120) as http:
        token = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "bench-refusals"}).json()["data"]
        auth = {"Authorization": f"Bearer {token['token']}", "X-Skill-Source": "bench", "X-Skill-Version": "1",
                "X-Skill-Platform": "bench"}
        sid = http.post("/api/tasks/me/with-session/nemo_agent", json={}, headers=auth).json()["data"]["session_id"]
        huge = render_body(sid, b",".join([b'{"tt":0,"sg":[]}'] * 900_000))
        wide = render_body(sid, b",".join([b"{}"] * 1_000_000)[:3_900_000].rsplit(b",", 1)[0])
        json_headers = {**auth, "Content-Type": "application/json"}
        cases: dict[str, Callable[[], httpx.Response]] = {
            f"{len(huge) / 1e6:.1f} MB draft, 900,000 tracks (Content-Length)":
                lambda: http.post("/api/render/proxy/lambda", content=huge, headers=json_headers),
            f"{len(huge) / 1e6:.1f} MB draft, 900,000 tracks (chunked)":
                lambda: http.post("/api/render/proxy/lambda", headers=json_headers,
                                  content=iter([huge[i:i + 65536] for i in range(0, len(huge), 65536)])),
            f"{len(wide) / 1e6:.1f} MB draft of empty tracks (under the byte cap)":
                lambda: http.post("/api/render/proxy/lambda", content=wide, headers=json_headers),
            '"cut " x 5,000 message (a whole turn)':
                lambda: http.post("/run_sse", json=sse_body(sid, "cut " * 5000), headers=auth),
        }
        print(f"{'request':58} {'median':>9} {'worst':>9} {'GET / worst':>12}")
        for name, send in cases.items():
            probe: list[float] = []
            stop = threading.Event()

            def health(probe: list[float] = probe, stop: threading.Event = stop) -> None:
                with httpx.Client(base_url=url, timeout=120) as side:
                    while not stop.is_set():
                        start = time.perf_counter()
                        side.get("/")
                        probe.append(time.perf_counter() - start)
                        stop.wait(0.01)

            thread = threading.Thread(target=health)
            thread.start()
            took = []
            for _ in range(args.runs):
                start = time.perf_counter()
                status = send().status_code
                took.append(time.perf_counter() - start)
            stop.set()
            thread.join()
            print(f"{name:58} {statistics.median(took) * 1000:7.0f}ms {max(took) * 1000:7.0f}ms "
                  f"{max(probe) * 1000:10.0f}ms  (HTTP {status})")


if __name__ == "__main__":
    main()
