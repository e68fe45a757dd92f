"""How well the embedded agent understands what people type (issue 11): the corpus of requests
(tests/corpus/corpus.yaml) through the HTTP API, each case in its own session.

Prints the understood rate overall and per kind, the number of cases that changed something not asked,
and the time taken. Usage:

    python benchmarks/bench_understanding.py [--kind slot] [--id slot-012 …] [--failures] [--json out.json]
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
    args = parser.parse_args()
    cases = [c for c in load() if (not args.kind or c.kind in args.kind) and (not args.id or c.id in args.id)]
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
    if args.json:
        Path(args.json).write_text(json.dumps([
            {"id": o.case.id, "kind": o.case.kind, "style": o.case.style, "understood": o.understood,
             "matched": o.matched, "problems": o.problems, "unasked": o.collateral, "setup_error": o.setup_error,
             "reply": o.reply, "seconds": round(o.seconds, 3)} for o in outcomes], ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
