"""Client numbers (issue 3), ratios measured in one run, medians of several runs.

1. event handling vs bare ``httpx-sse`` iteration over the same 100k-event stream (target ≥ 0.7×);
2. a 500 MB upload: the client's peak RSS growth (≤ 64 MB) and throughput vs a bare streamed httpx
   upload to the same embedded backend (≥ 0.8×).

Usage: python benchmarks/bench_client.py [--runs 5] [--events 100000] [--upload-mb 500]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import httpx
from _server import embedded_server


def event_stream(n: int) -> bytes:
    """A mixed canonical stream: mostly text deltas, some tool calls/results and heartbeats."""
    frames = []
    for i in range(n):
        if i % 50 == 10:
            obj = {"type": "tool_call", "id": f"fc_{i}", "name": "add_voiceover", "args": {"lang": "en"}}
        elif i % 50 == 11:
            obj = {"type": "tool_result", "id": f"fc_{i - 1}", "name": "add_voiceover", "result": {"ok": True}}
        elif i % 25 == 0:
            frames.append(b"data:\n\n")
            continue
        else:
            obj = {"type": "text", "content": f"word{i} "}
        frames.append(b"data: " + json.dumps(obj).encode() + b"\n\n")
    return b"".join(frames)


def serve_stream(payload: bytes) -> tuple[str, object]:
    """A loopback server answering every POST with ``payload`` as text/event-stream."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import StreamingResponse
    from starlette.routing import Route

    async def sse(request):
        async def body():
            for i in range(0, len(payload), 64 * 1024):
                yield payload[i:i + 64 * 1024]
        return StreamingResponse(body(), media_type="text/event-stream")

    from nemo_nb.local.server import bind_loopback

    sock = bind_loopback("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn.Config(Starlette(routes=[Route("/run_sse", sse, methods=["POST"])]),
                                           log_level="warning"))
    threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    return f"http://127.0.0.1:{sock.getsockname()[1]}", server


async def bare(url: str) -> tuple[float, int]:
    from httpx_sse import EventSource

    async with httpx.AsyncClient(timeout=None) as http:
        t0 = time.perf_counter()
        n = 0
        async with http.stream("POST", url + "/run_sse") as response:
            async for _ in EventSource(response).aiter_sse():
                n += 1
        return time.perf_counter() - t0, n


async def ours(url: str) -> tuple[float, int]:
    """What ``AsyncSession._events`` does per event: SSE decoding plus typed events."""
    from nemo_nb.api.events import EventParser, iter_events

    async with httpx.AsyncClient(timeout=None) as http:
        parser = EventParser()
        t0 = time.perf_counter()
        n = 0
        async with http.stream("POST", url + "/run_sse") as response:
            async for _ in iter_events(response.aiter_text(), parser):
                n += 1
        assert parser.text.startswith("word1 ")
        return time.perf_counter() - t0, n


def bench_events(n: int, runs: int) -> None:
    url, server = serve_stream(event_stream(n))
    ratios, bare_t, ours_t = [], [], []
    for _ in range(runs):
        b, nb = asyncio.run(bare(url))
        o, no = asyncio.run(ours(url))
        assert nb == no == n, (nb, no)
        bare_t.append(b)
        ours_t.append(o)
        ratios.append(b / o)
    server.should_exit = True
    print(f"events: {n} events; bare httpx-sse {statistics.median(bare_t):.3f} s, nemo_nb "
          f"{statistics.median(ours_t):.3f} s; speed ratio median {statistics.median(ratios):.2f} (target >= 0.7)")


UPLOADER = textwrap.dedent("""
    import sys, time, json, httpx
    from pathlib import Path
    def rss():
        f = dict(l.split(":", 1) for l in Path("/proc/self/status").read_text().splitlines())
        return int(f["VmRSS"].split()[0]), int(f["VmHWM"].split()[0])
    mode, url, path, config = sys.argv[1:5]
    if mode == "ours":
        from nemo_nb import Nemo
        nemo = Nemo(url, config_directory=config)
        s = nemo.session()
        base = rss()[0]
        t0 = time.perf_counter()
        s.upload(path)
        took = time.perf_counter() - t0
    else:
        from nemo_nb.config import skill_profile
        http = httpx.Client(base_url=url, timeout=None)
        token = json.loads(Path(config, "bare_token").read_text())
        headers = {"Authorization": "Bearer " + token["token"], **skill_profile().headers()}
        base = rss()[0]
        t0 = time.perf_counter()
        with open(path, "rb") as f:
            r = http.post(f"/api/upload-video/nemo_agent/me/{token['sid']}", headers=headers,
                          files=[("files", (Path(path).name, f, "video/mp4"))])
        r.raise_for_status()
        took = time.perf_counter() - t0
    print(json.dumps({"seconds": took, "rss_growth_kib": rss()[1] - base}))
""")


def bench_upload(mb: int, runs: int) -> None:
    from nemo_nb import samples
    from nemo_nb.config import skill_profile

    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "big.mp4"
        samples.make_clip(big, seconds=2)
        with big.open("ab") as f:  # a real MP4 padded to size: the backend still probes it
            f.truncate(mb * 1024 * 1024)
        with embedded_server(f"{tmp}/data", "--max-upload-mb", str(mb + 10)) as (url, _):
            http = httpx.Client(base_url=url)
            token = http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "bench-bare"}).json()["data"]
            headers = {"Authorization": "Bearer " + token["token"], **skill_profile().headers()}
            sid = http.post("/api/tasks/me/with-session/nemo_agent", headers=headers, json={}).json()["data"]
            config = Path(tmp) / "config"
            config.mkdir()
            (config / "bare_token").write_text(json.dumps({"token": token["token"], "sid": sid["session_id"]}))
            ratios, growth, ours_t, bare_t = [], [], [], []
            for _ in range(runs):
                res = {}
                for mode in ("bare", "ours"):
                    out = subprocess.run([sys.executable, "-c", UPLOADER, mode, url, str(big), str(config)],
                                         capture_output=True, text=True, check=True)
                    res[mode] = json.loads(out.stdout.strip().splitlines()[-1])
                    for leftover in Path(tmp, "data", "media").glob("*"):  # keep the disk free
                        subprocess.run(["rm", "-rf", str(leftover)])
                bare_t.append(res["bare"]["seconds"])
                ours_t.append(res["ours"]["seconds"])
                ratios.append(res["bare"]["seconds"] / res["ours"]["seconds"])
                growth.append(res["ours"]["rss_growth_kib"] / 1024)
            print(f"upload {mb} MB: bare {statistics.median(bare_t):.2f} s, nemo_nb {statistics.median(ours_t):.2f} s; "
                  f"throughput ratio median {statistics.median(ratios):.2f} (target >= 0.8); "
                  f"peak RSS growth median {statistics.median(growth):.1f} MB (target <= 64)")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--upload-mb", type=int, default=500)
    args = parser.parse_args()
    bench_events(args.events, args.runs)
    bench_upload(args.upload_mb, max(1, args.runs // 2 + 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
