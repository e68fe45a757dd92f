"""Running a case over real HTTP: a new user and session, the starting state, the message(s), the verdict."""
from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rawapi import RawApi

from corpus.cases import Case
from corpus.expect import parse_check
from corpus.facets import snapshot
from corpus.judge import Reading, Verdict, changes, judge, value
from corpus.setups import SETUPS

QUESTION_MARKS = ("?", "？")


class SetupError(AssertionError):
    """A starting state did not come out as its setup says: the harness's problem, not the case's."""


@dataclass
class Outcome:
    case: Case
    reply: str = ""
    problems: list[str] = field(default_factory=list)
    collateral: list[str] = field(default_factory=list)   # changes no acceptable reading allows
    matched: str | None = None                            # the reading that matched
    seconds: float = 0.0
    setup_error: str | None = None

    @property
    def understood(self) -> bool:
        return self.matched is not None and not self.setup_error

    def explain(self) -> str:
        """What a failing case asked, got and expected, for a test report."""
        c = self.case
        lines = [f"{c.id} [{c.style}] setup={c.setup}", *(f"  user: {s[:300]}" for s in c.say),
                 f"  reply: {self.reply[:600]!r}"]
        if self.setup_error:
            lines.append(f"  SETUP FAILED: {self.setup_error}")
        lines += [f"  acceptable: {r.describe()}" for r in c.readings]
        lines += [f"  problem: {p}" for p in self.problems]
        lines += [f"  changed without being asked: {p}" for p in self.collateral]
        if c.note:
            lines.append(f"  note: {c.note}")
        return "\n".join(lines)


@dataclass
class Session:
    api: RawApi
    sid: str

    def state(self) -> dict[str, Any]:
        return self.api.state(self.sid)["state"]

    def credits(self) -> int:
        return int(self.api.call("GET", "/api/credits/balance/simple").json()["data"]["available"])

    def say(self, message: str) -> list[Any]:
        """The turn's events; a message the server refuses becomes one error event."""
        try:
            return self.api.sse(self.sid, message)
        except AssertionError as refused:  # RawApi.sse asserts HTTP 200
            return [{"type": "error", "message": f"the server refused the message: {refused}"}]


def reply_text(events: list[Any]) -> str:
    return "".join(str(e.get("content", "")) for e in events if isinstance(e, dict) and e.get("type") == "text")


def errors(events: list[Any]) -> list[str]:
    return [str(e.get("error") or e.get("message")) for e in events
            if isinstance(e, dict) and (e.get("type") == "error" or "error" in e)]


class Runner:
    """Runs cases against one backend; each case gets its own user (so its own credits) and session."""

    def __init__(self, url: str, media: dict[str, Path]):
        self.url = url
        self.media = media
        self._baselines: dict[tuple[str, str], dict[str, Any]] = {}
        self._baseline_lock = threading.Lock()

    def prepare(self, name: str) -> Session:
        """A new user's new session in the named starting state (``SetupError`` if it did not come out right)."""
        api = RawApi(self.url)
        api.login()
        session = Session(api, api.session())
        setup = SETUPS[name]
        for action, argument in setup.steps:
            if action == "upload":
                response = api.upload(session.sid, self.media[argument])
                if response.status_code != 200:
                    raise SetupError(f"{name}: uploading {argument} answered {response.status_code}")
            else:
                events = session.say(argument)
                if errors(events):
                    raise SetupError(f"{name}: {argument!r} failed: {errors(events)}")
        facets = snapshot(session.state())
        for facet, spec in setup.check:
            check = parse_check(facet, spec)
            actual = value(facet, facets, facets)
            if not check.holds(actual, None, None):
                raise SetupError(f"setup {name!r} wants {facet} {spec!r}, got {actual!r} "
                                 f"(steps: {[s for _, s in setup.steps]})")
        return session

    def baseline(self, case: Case) -> dict[str, Any]:
        """The facets after the case's baseline message in the same starting state (cached)."""
        key = (case.setup, case.baseline or "")
        with self._baseline_lock:
            return self._baseline(case, key)

    def _baseline(self, case: Case, key: tuple[str, str]) -> dict[str, Any]:
        if key not in self._baselines:
            session = self.prepare(case.setup)
            try:
                session.say(case.baseline or "")
                self._baselines[key] = snapshot(session.state())
            finally:
                session.api.close()
        return self._baselines[key]

    def run(self, case: Case) -> Outcome:
        started = time.perf_counter()
        outcome = Outcome(case)
        try:
            session = self.prepare(case.setup)
        except SetupError as exc:
            outcome.setup_error = str(exc)
            outcome.seconds = time.perf_counter() - started
            return outcome
        try:
            self._run(case, session, outcome)
        except Exception as exc:  # noqa: BLE001 - a harness bug must not stop the other cases: reported as broken
            outcome.setup_error = f"harness error: {exc!r}"
        finally:
            session.api.close()
        outcome.seconds = time.perf_counter() - started
        return outcome

    def _run(self, case: Case, session: Session, outcome: Outcome) -> None:
        state_before, credits_before = session.state(), session.credits()
        state_after, credits_after = state_before, credits_before
        for number, message in enumerate(case.say, 1):
            previous, paid = state_after, credits_after
            events = session.say(message)
            outcome.reply = reply_text(events)
            outcome.problems += [f"the turn failed: {e}" for e in errors(events)]
            state_after, credits_after = session.state(), session.credits()
            if previous.get("draft") == state_after.get("draft") and credits_after != paid:
                outcome.problems.append(f"charged {paid - credits_after} credits for a turn that changed nothing")
            if case.wait and number < len(case.say) and state_after.get("draft") != state_before.get("draft"):
                early = changes(snapshot(state_before), snapshot(state_after), set(), implied=False)
                outcome.problems.append(f"message {number} was to wait, but the draft changed: " + "; ".join(early))
                outcome.collateral += [f"{line} (message {number})" for line in early]
        before, after = snapshot(state_before), snapshot(state_after)
        unchanged = state_before.get("draft") == state_after.get("draft")
        outcome.problems += reply_problems(case, outcome.reply, credits_after)
        baseline = self.baseline(case) if case.baseline else None
        verdicts = [(r, judge(r, before, after, unchanged, baseline)) for r in case.readings]
        for reading, verdict in verdicts:
            verdict.problems += reading_reply_problems(reading, outcome.reply)
        passing = [r for r, v in verdicts if v.ok]
        if passing and not outcome.problems:
            outcome.matched = passing[0].describe()
            return
        best = min(verdicts, key=lambda rv: len(rv[1].problems) + len(rv[1].collateral))[1]
        outcome.problems += best.problems
        outcome.collateral += unasked(verdicts, before, after)


class Ahead:
    """Runs cases a few at a time in the order given, so that whoever waits for one finds it (nearly) done:
    the backend's turns wait on speech and ffmpeg workers, so a few sessions at once keep the CPU busy."""

    def __init__(self, runner: Runner, cases: list[Case], workers: int = 3):
        self._pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="corpus")
        self._futures: dict[str, Future[Outcome]] = {c.id: self._pool.submit(runner.run, c) for c in cases}

    def outcome(self, case: Case) -> Outcome:
        return self._futures[case.id].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def unasked(verdicts: list[tuple[Reading, Verdict]], before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The changes that no acceptable reading allows (the "never touch" count)."""
    per_reading = [{line.split(":")[0] for line in v.collateral} for _, v in verdicts]
    common = set.intersection(*per_reading) if per_reading else set()
    return [line for line in changes(before, after, set(), implied=False) if line.split(":")[0] in common]


def reply_problems(case: Case, reply: str, credits: int) -> list[str]:
    lowered = reply.casefold()
    wanted = [w.replace("{balance}", str(credits)) for w in case.reply]
    any_of = [w.replace("{balance}", str(credits)) for w in case.reply_any]
    problems = [f"the reply does not say {w!r}" for w in wanted if w.casefold() not in lowered]
    if any_of and not any(w.casefold() in lowered for w in any_of):
        problems.append(f"the reply says none of {any_of}")
    problems += [f"the reply says {w!r}" for w in case.reply_not if w.casefold() in lowered]
    return problems


def reading_reply_problems(reading: Reading, reply: str) -> list[str]:
    """A turn that changes nothing answers in words; a clarifying question is a question."""
    if reading.mode == "edit":
        return []
    if not reply.strip():
        return ["no reply at all"]
    if reading.mode == "asks" and not any(mark in reply for mark in QUESTION_MARKS):
        return ["the reply asks no question"]
    return []
