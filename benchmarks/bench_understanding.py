"""How well the embedded agent understands what people type (issue 11): the corpus of requests
(tests/corpus/corpus.yaml) through the HTTP API, each case in its own session.

Prints the understood rate overall and per kind, the number of cases that changed something not asked,
and the time taken; then how long understanding a message takes (no server: the pipeline alone): the
median over the corpus's messages and the slowest of a set of hostile 20 kB messages. Usage:

    python benchmarks/bench_understanding.py [--kind slot] [--id slot-012 …] [--failures] [--json out.json]
    python benchmarks/bench_understanding.py --timing   # only the understanding times
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

TESTS = Path(__file__).resolve().parent.parent / "tests"  # the corpus package and rawapi live there

Outcome = Any  # corpus.runner.Outcome (imported in main, once tests/ is on the path)


def report(outcomes: list[Outcome], seconds: float, kinds: tuple[str, ...]) -> str:
    by_kind: dict[str, list[Outcome]] = defaultdict(list)
    for outcome in outcomes:
        by_kind[outcome.case.kind].append(outcome)
    rows = [f"{'kind':<12} {'cases':>5} {'understood':>10} {'rate':>6} {'touched unasked':>15} {'setup broken':>12}"]
    for kind in [k for k in kinds if k in by_kind]:
        rows.append(_row(kind, by_kind[kind]))
    rows.append(_row("all", outcomes))
    unasked = sum(1 for o in outcomes if o.collateral)
    rows.append(f"\nunderstood {sum(o.understood for o in outcomes)}/{len(outcomes)} "
                f"({_rate(outcomes):.1%}); {unasked} changed something not asked; "
                f"{seconds:.0f} s ({seconds / max(1, len(outcomes)):.2f} s a case)")
    return "\n".join(rows)


def _rate(outcomes: list[Outcome]) -> float:
    return sum(o.understood for o in outcomes) / max(1, len(outcomes))


def _row(kind: str, outcomes: list[Outcome]) -> str:
    understood = sum(o.understood for o in outcomes)
    unasked = sum(1 for o in outcomes if o.collateral)
    broken = sum(1 for o in outcomes if o.setup_error)
    return f"{kind:<12} {len(outcomes):>5} {understood:>10} {_rate(outcomes):>6.1%} {unasked:>15} {broken:>12}"


HOSTILE = ("very " * 5000, "1" * 20_000, ":" * 20_000, "'" * 20_000, '"' * 20_000, "0:" * 10_000,
           '"unclosed ' * 2000, "add a voiceover: " + "la " * 6500, "9:16 " * 4000, "(((" * 6000,
           "the first " * 2000, "'a " * 6600, "a'b " * 5000, "剪掉前5秒" * 4000, "x" * 20_000,
           "a b c d e f g h " * 1250, "make it 9:16 and " * 1100, "https://" + "a" * 19_990)


def scene_for(setup: str) -> Any:
    """The ``Scene`` a starting state gives understanding (what the agent would see in that session)."""
    from nemo_nb.local.understanding import Scene

    if setup == "empty":
        return Scene()
    if setup == "uploaded":
        return Scene(pending=("clip.mp4",))
    on = {"music": ("music", "vo_music", "full", "bed"), "voiceover": ("vo", "vo_music", "captions", "full", "dubbed"),
          "captions": ("captions", "full")}
    return Scene(video=True, clips=("clip.mp4",), video_ms=80_000 if setup == "long" else 24_000,
                 music=setup in on["music"], voiceover=setup in on["voiceover"], captions=setup in on["captions"],
                 titles=1 if setup in ("title", "full") else 0,
                 audio=("song.mp3",) if setup in ("song", "music") else ())


def timings(cases: list[Any], rounds: int = 5) -> str:
    """Median ms to understand a corpus message, and the slowest hostile 20 kB message (median of 3 runs each)."""
    import statistics

    from nemo_nb.local.understanding import understand, words

    messages = [(message, scene_for(case.setup)) for case in cases for message in case.say]
    understand("warm up", scene_for("clip"))
    each = []
    for _ in range(rounds):  # each message as if never seen: the phrase cache is emptied every round
        words._lex_cached.cache_clear()
        for message, scene in messages:
            started = time.perf_counter()
            understand(message, scene)
            each.append(time.perf_counter() - started)
    worst = 0.0
    for message in HOSTILE:
        runs = []
        for _ in range(3):
            started = time.perf_counter()
            understand(message[:20_000], scene_for("full"))
            runs.append(time.perf_counter() - started)
        worst = max(worst, statistics.median(runs))
    return (f"understanding a message: median {statistics.median(each) * 1000:.2f} ms over {len(messages)} messages "
            f"x{rounds} (p95 {sorted(each)[int(len(each) * 0.95)] * 1000:.2f} ms); slowest hostile 20 kB message "
            f"{worst * 1000:.1f} ms (median of 3, {len(HOSTILE)} messages)")


def main() -> int:
    sys.path.insert(0, str(TESTS))
    from corpus.cases import KINDS, load
    from corpus.media import make_media
    from corpus.runner import Ahead, Runner

    from nemo_nb.local.server import LocalBackend

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kind", action="append", help="only these kinds (repeatable)")
    parser.add_argument("--id", action="append", help="only these case ids (repeatable)")
    parser.add_argument("--failures", action="store_true", help="explain every case not understood")
    parser.add_argument("--json", help="write every outcome to this file")
    parser.add_argument("--workers", type=int, default=3, help="cases running at once (default 3)")
    parser.add_argument("--timing", action="store_true", help="only how long understanding takes (no server)")
    args = parser.parse_args()
    cases = [c for c in load() if (not args.kind or c.kind in args.kind) and (not args.id or c.id in args.id)]
    if args.timing:
        print(timings(cases))
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        media = make_media(Path(tmp) / "media")
        with LocalBackend(Path(tmp) / "data", tokens_per_ip=100_000, heartbeat_s=0.5) as backend:
            started = time.perf_counter()
            running = Ahead(Runner(backend.url, media), cases, args.workers)
            outcomes = []
            for case in cases:
                outcome = running.outcome(case)
                outcomes.append(outcome)
                if args.failures and not outcome.understood:
                    print(outcome.explain(), end="\n\n", flush=True)
            running.close()
            seconds = time.perf_counter() - started
    print(report(outcomes, seconds, KINDS))
    print(timings(cases))
    if args.json:
        Path(args.json).write_text(json.dumps([
            {"id": o.case.id, "kind": o.case.kind, "style": o.case.style, "understood": o.understood,
             "matched": o.matched, "problems": o.problems, "unasked": o.collateral, "setup_error": o.setup_error,
             "reply": o.reply, "seconds": round(o.seconds, 3)} for o in outcomes], ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
