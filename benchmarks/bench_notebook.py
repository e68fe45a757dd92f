"""Notebook numbers (issue 5), medians of several runs.

1. Live reply, 10,000 text chunks: display messages per second (the most in any 1-second window, and
   the average over the stream; target ≤ 10) and whether the final text is exact —
   a. synthetic: events fed straight into ``LiveReply`` as fast as possible, and paced over ~2 s;
   b. a real turn: ``%%nemo`` in an IPython shell, the embedded backend's agent patched (in this
      process) to stream 10,000 chunks over HTTP/SSE through the client.
2. ``%%nemo compare`` of 4 variants (new session, upload, "add my clip to the timeline", export each)
   vs the slowest of the same variant run alone; target wall ≤ 1.5 × slowest alone. Run twice: with
   the agent thinking 1 s per turn (the backend's ``heartbeats_only`` fault: a real agent's latency,
   no CPU), and with the instant embedded agent, where a variant is ~0.2 s of pure CPU work (client,
   server, ffprobe, ffmpeg) — 4 of them on 2 cores cannot take less than ~2× one.

Usage: python benchmarks/bench_notebook.py [--runs 5] [--chunks 10000] [--variants 4]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any


class Recorder:
    """A stand-in for ``display``: records (time, bundle) of the first display and every update."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.last: Any = None

    def __call__(self, obj: Any, **kw: Any) -> Recorder:
        self._record(obj)
        return self

    def update(self, obj: Any, **kw: Any) -> None:
        self._record(obj)

    def _record(self, obj: Any) -> None:
        self.times.append(time.monotonic())
        self.last = obj


def max_per_second(times: list[float]) -> int:
    """The most messages in any half-open 1-second window."""
    best, j = 0, 0
    for i in range(len(times)):
        while times[i] - times[j] >= 1.0:
            j += 1
        best = max(best, i - j + 1)
    return best


def synthetic(chunks: int, pace_s: float) -> dict[str, Any]:
    from nemo_nb.api.events import Heartbeat, TextEvent, ToolCall, ToolResult
    from nemo_nb.notebook.live import LiveReply

    parts = [f"w{i} " for i in range(chunks)]
    events: list[Any] = [TextEvent(p) for p in parts]
    for k in range(0, chunks, 1000):  # a few tool calls and heartbeats among the text
        events.insert(k, ToolCall(f"c{k}", "add_voiceover"))
        events.insert(k + 1, ToolResult(f"c{k}", "add_voiceover", {}))
        events.insert(k + 2, Heartbeat())
    rec = Recorder()
    live = LiveReply("bench", display=rec).start()
    t0 = time.monotonic()
    step = pace_s / len(events) if pace_s else 0.0
    for n, event in enumerate(events):
        if step:
            target = t0 + n * step
            while time.monotonic() < target:
                pass
        live.on_event(event)
    stream_s = time.monotonic() - t0
    exact = live.text == "".join(parts)

    final = SimpleNamespace(text="".join(parts), tool_calls=[], credits_used=0, changes=[], silent=False,
                            actions=())  # what finish() reads from a Reply
    live.finish(final)
    exact = exact and "".join(parts) in rec.last["text/plain"]
    span = max(rec.times[-1] - rec.times[0], stream_s, 1e-9)
    return {"messages": len(rec.times), "max_per_s": max_per_second(rec.times),
            "avg_per_s": (len(rec.times) - 1) / max(span, 1.0),  # n messages = n - 1 intervals
            "stream_s": stream_s, "exact": exact}


class TimedPublisher:
    """Wraps the shell's display publisher and records when each message of a display id is sent."""

    def __init__(self, shell: Any) -> None:
        from IPython.core.displaypub import CapturingDisplayPublisher

        self.inner = CapturingDisplayPublisher()
        self.times: dict[str, list[float]] = {}
        self.shell = shell

    def __enter__(self) -> TimedPublisher:  # noqa: PYI034
        self.saved = self.shell.display_pub
        outer = self

        class Pub(type(self.inner)):
            def publish(self, data, metadata=None, source=None, *, transient=None, update=False):
                display_id = (transient or {}).get("display_id", "")
                outer.times.setdefault(display_id, []).append(time.monotonic())
                super().publish(data, metadata, source, transient=transient, update=update)

        self.shell.display_pub = Pub()
        self.pub = self.shell.display_pub
        return self

    def __exit__(self, *exc: object) -> None:
        self.shell.display_pub = self.saved


def patch_agent(chunks: int) -> None:
    """``BENCH`` messages stream ``chunks`` text events (this process's embedded backend only)."""
    from nemo_nb.local import agent as agent_module

    original = agent_module.Agent.plan
    Plan = agent_module.Plan

    def plan(self: Any, text: str, ctx: Any) -> Any:
        if not text.startswith("BENCH"):
            return original(self, text, ctx)

        async def run(_ctx: Any):
            for i in range(chunks):
                yield {"type": "text", "content": f"w{i} "}

        return Plan("help", 0, run)

    agent_module.Agent.plan = plan


def real_turn(shell: Any, chunks: int) -> dict[str, Any]:
    with TimedPublisher(shell) as pub:
        t0 = time.monotonic()
        result = shell.run_cell("%%nemo --out bench_reply\nBENCH stream")
        took = time.monotonic() - t0
    if not result.success:
        raise RuntimeError(f"the turn failed: {result.error_in_exec}")
    times = max(pub.times.values(), key=len)
    expected = "".join(f"w{i} " for i in range(chunks)).strip()
    final = pub.pub.outputs[-1]["data"]["text/plain"]
    reply = shell.user_ns["bench_reply"]
    return {"messages": len(times), "max_per_s": max_per_second(times), "avg_per_s": (len(times) - 1) / max(took, 1.0),
            "turn_s": took, "exact": reply.text == expected and expected in final}


def compare(shell: Any, variants: int, prompt: str) -> dict[str, float]:
    alone = []
    for _ in range(variants):
        assert shell.run_cell(f"%%nemo compare --quiet --out one\n{prompt}").success
        one = shell.user_ns["one"]
        assert not one.failed, one.failed
        alone.append(one.wall_seconds)
    cell = "%%nemo compare --out many\n" + "\n".join([prompt] * variants)
    with TimedPublisher(shell):
        assert shell.run_cell(cell).success
    many = shell.user_ns["many"]
    assert not many.failed and all(v.export is not None for v in many.variants)
    used = [v.credits_used for v in many.variants]
    assert len(set(used)) == 1 and sum(used) == many.credits_total, (used, many.credits_total)  # exact per variant
    slowest = max(alone)
    return {"slowest_alone": slowest, "together": many.wall_seconds, "ratio": many.wall_seconds / slowest,
            "variant_median": statistics.median(v.seconds for v in many.variants)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chunks", type=int, default=10_000)
    parser.add_argument("--variants", type=int, default=4)
    parser.add_argument("--prompt", default="add my clip to the timeline", help="the compare variants' prompt")
    parser.add_argument("--render-workers", type=int, default=0,
                        help="renders at once in the embedded backend (default: what %%nemo connect --local picks)")
    parser.add_argument("--think", type=float, nargs="+", default=[1.0, 0.0],
                        help="agent think time per turn in the compare runs (0: the instant embedded agent)")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every compare run")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-notebook-"))
    os.environ["NEMO_CONFIG_DIR"] = str(tmp / "config")
    os.chdir(tmp)

    for label, pace in (("synthetic burst", 0.0), ("synthetic paced 2 s", 2.0)):
        runs = [synthetic(args.chunks, pace) for _ in range(args.runs)]
        print(f"{label}: {args.chunks} chunks; display messages median "
              f"{statistics.median(r['messages'] for r in runs)}, "
              f"most in any second median {statistics.median(r['max_per_s'] for r in runs)} (target <= 10), "
              f"average {statistics.median(r['avg_per_s'] for r in runs):.1f}/s; stream "
              f"{statistics.median(r['stream_s'] for r in runs) * 1000:.0f} ms; final text exact: "
              f"{all(r['exact'] for r in runs)}")

    from IPython.core.interactiveshell import InteractiveShell

    from nemo_nb import samples

    patch_agent(args.chunks)
    samples.make_clip(tmp / "clip.mp4", seconds=3)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "nemo_nb")
    options = {"credits": 10000, "tokens_per_ip": 1000}
    if args.render_workers:
        options["render_workers"] = args.render_workers
    shell.run_line_magic("config", f"NemoMagics.backend_options = {options!r}")
    shell.run_line_magic("config", "NemoMagics.claim_link = False")
    with TimedPublisher(shell):
        assert shell.run_cell(f"%nemo connect --local --data-dir {tmp / 'backend'}").success
        assert shell.run_cell("%nemo upload clip.mp4").success
    turns = [real_turn(shell, args.chunks) for _ in range(args.runs)]
    print(f"real turn over HTTP/SSE: {args.chunks} chunks in {statistics.median(r['turn_s'] for r in turns):.2f} s "
          f"(median); display messages median {statistics.median(r['messages'] for r in turns)}, most in any second "
          f"median {statistics.median(r['max_per_s'] for r in turns)} (target <= 10), average "
          f"{statistics.median(r['avg_per_s'] for r in turns):.1f}/s; final text exact: "
          f"{all(r['exact'] for r in turns)}")

    shell.run_line_magic("nemo", "disconnect")

    ratio = 0.0
    for think in args.think:
        # heartbeats_only=S: every turn first "thinks" S seconds (heartbeats only), like a real agent does;
        # 0 is the embedded agent as it is: instant, so a variant is pure CPU work on this machine.
        faults = [f"heartbeats_only={think}"] if think else []
        shell.run_line_magic("config", f"NemoMagics.backend_options = {dict(options, faults=faults)!r}")
        with TimedPublisher(shell):
            assert shell.run_cell(f"%nemo connect --local --data-dir {tmp / f'backend-{think}'}").success
            assert shell.run_cell("%nemo upload clip.mp4").success
        results = []
        for _ in range(args.runs):
            results.append(compare(shell, args.variants, args.prompt))
            if args.verbose:
                print("  compare run:", {k: round(v, 3) for k, v in results[-1].items()})
        shell.run_line_magic("nemo", "disconnect")
        median = statistics.median(r["ratio"] for r in results)
        ratio = max(ratio, median) if think else ratio
        label = f"agent thinks {think:g} s" if think else "instant agent (CPU-bound)"
        print(f"compare {args.variants} variants, {label}: together "
              f"{statistics.median(r['together'] for r in results):.2f} s, slowest alone "
              f"{statistics.median(r['slowest_alone'] for r in results):.2f} s (medians); ratio median {median:.2f} "
              f"(target <= 1.5), worst {max(r['ratio'] for r in results):.2f}; one variant inside the compare "
              f"{statistics.median(r['variant_median'] for r in results):.2f} s")
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    sys.exit(main())
