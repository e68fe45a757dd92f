"""Warm worker processes that speak JSON lines: the parent's side (``WarmWorker``) and the child's loop
(``serve``).

The engines that are slow to load or carry another licence (speech synthesis, speech recognition) run in
their own process, loaded once and kept warm: one JSON request per stdin line, one JSON answer per stdout
line, a request's ``id`` echoed; logs (and any stray output of C libraries) go to stderr. Every success
carries ``cpu_s``, the CPU time the worker (and the children it waited for) spent on it: under an active
``Budget`` the parent charges it there, and cuts its wait to the budget's wall time left. A worker is started
with the parent's process id as its argument and exits as soon as the parent is gone (``exit_with_parent``).
"""
from __future__ import annotations

import atexit
import collections
import functools
import itertools
import json
import logging
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import IO, Any, Protocol, TypeVar

from nemo_nb.local.budget import active
from nemo_nb.local.media.children import exit_with_parent

MAX_LINE_BYTES = 1 << 20
_STDERR_TAIL_LINES = 8
_STOP_TIMEOUT_S = 3.0
_CANCEL_POLL_S = 0.1
_CLOSE_WAIT_S = 1.0

log = logging.getLogger("nemo_nb.workers")


class WorkerGone(Exception):
    """The worker process exited before answering."""


class WorkerCancelled(Exception):
    """The caller cancelled the request; the worker was stopped."""


class _Process:
    """One worker process: a stdout reader thread feeding a queue, and stderr kept as a short tail."""

    def __init__(self, module: str, env: dict[str, str] | None = None) -> None:
        self.module = module
        self.proc = subprocess.Popen(
            [sys.executable, "-m", module, str(os.getpid())],  # the worker exits when we do
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env={**os.environ, **env} if env else None,
        )
        if self.proc.stdin is None or self.proc.stdout is None or self.proc.stderr is None:
            raise OSError(f"{module}: the worker's pipes did not open")
        self.stdin, self.stdout, self.stderr = self.proc.stdin, self.proc.stdout, self.proc.stderr
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._stderr: collections.deque[str] = collections.deque(maxlen=_STDERR_TAIL_LINES)
        self._ids = itertools.count(1)
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        for line in self.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def _read_stderr(self) -> None:
        for raw in self.stderr:
            line = raw.decode("utf-8", "replace").rstrip()
            self._stderr.append(line)
            log.debug("%s: %s", self.module, line)

    def call(self, request: dict[str, Any], timeout: float, cancel: threading.Event | None) -> dict[str, Any] | None:
        """Send one request and wait for its answer; ``None`` when ``timeout`` passed (the process is killed)."""
        request = {**request, "id": next(self._ids)}
        try:
            self.stdin.write(json.dumps(request).encode() + b"\n")
            self.stdin.flush()
        except (BrokenPipeError, OSError):
            raise WorkerGone(self.describe_exit()) from None
        deadline = time.monotonic() + timeout
        while True:
            if cancel is not None and cancel.is_set():
                self.stop(kill=True)
                raise WorkerCancelled()
            left = deadline - time.monotonic()
            if left <= 0:
                self.stop(kill=True)
                return None
            try:
                line = self._lines.get(timeout=min(left, _CANCEL_POLL_S) if cancel is not None else left)
            except queue.Empty:
                continue
            if line is None:
                raise WorkerGone(self.describe_exit())
            try:
                answer = json.loads(line)
            except ValueError:
                log.warning("%s wrote a line that is not JSON: %.200r", self.module, line)
                continue
            if isinstance(answer, dict) and answer.get("id") == request["id"]:
                return answer

    def describe_exit(self) -> str:
        try:
            code = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            code = None
        tail = " | ".join(self._stderr) or "no error output"
        return f"exit code {code}: {tail}"

    def stop(self, *, kill: bool = False) -> None:
        """End the process: close its stdin and let it exit, or kill it (also when it does not exit in time)."""
        if self.proc.poll() is not None:
            return
        if not kill:
            try:
                self.stdin.close()
                self.proc.wait(timeout=_STOP_TIMEOUT_S)
                return
            except (OSError, subprocess.TimeoutExpired):
                pass
        self.proc.kill()
        self.proc.wait()


class Closable(Protocol):
    def close(self) -> None: ...


T = TypeVar("T", bound=Closable)


def process_wide(make: Callable[[], T]) -> Callable[[], T]:
    """``make()`` once per process (thread-safe), its ``close`` run at interpreter exit."""
    lock = threading.Lock()
    made: list[T] = []

    @functools.wraps(make)
    def get() -> T:
        with lock:
            if not made:
                made.append(make())
                atexit.register(made[0].close)
            return made[0]

    return get


class WarmWorker:
    """A worker process started on first use and restarted when it died; safe to share across threads
    (one request at a time). ``error`` is the exception type raised for failures, ``what`` names the work
    in messages ("speech synthesis")."""

    def __init__(self, module: str, *, error: type[Exception], what: str, env: dict[str, str] | None = None):
        self.module = module
        self.error = error
        self.what = what
        self.env = env
        self._lock = threading.Lock()
        self._process: _Process | None = None

    @property
    def pid(self) -> int | None:
        """Process id of the running worker, if any."""
        process = self._process
        return process.proc.pid if process is not None and process.proc.poll() is None else None

    def kill(self) -> None:
        """Kill the worker now, whatever it is doing (its caller gets an error); a later call starts a new one."""
        process = self._process
        if process is not None:
            process.stop(kill=True)

    def close(self) -> None:
        """Stop the worker process (a later call starts a new one); a worker still busy after a moment is
        killed (its caller gets an error) rather than waited for."""
        if not self._lock.acquire(timeout=_CLOSE_WAIT_S):
            self.kill()
            return
        try:
            if self._process is not None:
                self._process.stop()
                self._process = None
        finally:
            self._lock.release()

    def call(self, request: dict[str, Any], timeout: float, *, retry: bool = True,
             cancel: threading.Event | None = None) -> dict[str, Any]:
        """One request/response under the lock. A worker that died is replaced and the request sent once more
        when ``retry`` (else ``error`` says it stopped); past ``timeout`` the worker is killed and ``error``
        raised; a set ``cancel`` kills it and raises ``WorkerCancelled``. An ``{"ok": false}`` answer raises
        ``error`` with its message. Under an active budget the wait is cut to its wall time left, the
        worker's CPU time is charged to it, and ``BudgetExceeded`` says when it ran out."""
        budget = active()
        if budget is None:
            return self._call(request, timeout, retry, cancel)
        budget.check()
        try:
            answer = self._call(request, budget.wall_timeout(timeout), retry, cancel)
        finally:
            budget.check()  # a wait cut short by the budget's deadline says so
        budget.charge(float(answer.get("cpu_s") or 0))
        budget.check()
        return answer

    def _call(self, request: dict[str, Any], timeout: float, retry: bool,
              cancel: threading.Event | None) -> dict[str, Any]:
        answer: dict[str, Any] | None = None
        with self._lock:
            for attempt in range(2):
                if self._process is None or self._process.proc.poll() is not None:
                    self._process = _Process(self.module, self.env)
                try:
                    answer = self._process.call(request, timeout, cancel)
                except WorkerGone as gone:
                    self._process = None
                    if attempt or not retry:
                        raise self.error(f"the {self.what} worker stopped ({gone})") from None
                    log.warning("%s worker stopped (%s); restarting it", self.what, gone)
                except WorkerCancelled:
                    self._process = None
                    raise
                else:
                    if answer is None:
                        self._process = None
                        raise self.error(f"{self.what} took longer than {timeout:g} s; the worker was restarted")
                    break
        if answer is None or not answer.get("ok"):
            raise self.error((answer or {}).get("error") or f"{self.what} failed")
        return answer


# --- the child's side ---------------------------------------------------------------------------------------

def _requests(stream: IO[bytes]) -> Iterator[bytes | None]:
    """Request lines; ``None`` for a line over ``MAX_LINE_BYTES`` (read to its end and dropped)."""
    while line := stream.readline(MAX_LINE_BYTES):
        if len(line) == MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := stream.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            yield None
        elif line.strip():
            yield line


def answer(handle: Callable[[dict[str, Any]], dict[str, Any]], raw: bytes, logger: logging.Logger) -> dict[str, Any]:
    """One request line → one response: ``handle``'s answer with ``ok`` true, or any failure as
    ``{"ok": false, "error"}``; the request's ``id`` echoed."""
    request_id = None
    try:
        try:
            request = json.loads(raw)
        except ValueError:
            raise ValueError("a request is one JSON object per line") from None
        if not isinstance(request, dict):
            raise ValueError("a request is a JSON object")
        request_id = request.get("id")
        result = handle(request)
    except Exception as exc:  # noqa: BLE001 — the worker answers and keeps serving
        logger.warning("request failed: %s: %s", type(exc).__name__, exc)
        return {"ok": False, "error": str(exc) or type(exc).__name__, "id": request_id}
    return {"ok": True, **result, "id": request_id}


def cpu_time() -> float:
    """CPU seconds used so far by this process (every thread) and the children it waited for."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def serve(handle: Callable[[dict[str, Any]], dict[str, Any]], name: str) -> None:
    """The worker's main loop: requests from stdin, answers to stdout, until stdin closes. Started with a
    process id as argument (the parent's), it ends as soon as that process is gone, even in the middle of a
    request (a closed stdin only ends the loop between requests)."""
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format=f"{name}: %(message)s")
    logger = logging.getLogger(f"nemo_nb.{name}")
    if len(sys.argv) > 1:
        exit_with_parent(int(sys.argv[1]))
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # C libraries printing to stdout must not break replies
    sys.stdout = sys.stderr
    for line in _requests(sys.stdin.buffer):
        started = cpu_time()
        reply = answer(handle, line, logger) if line is not None else {"ok": False, "error": "request too long"}
        if reply["ok"]:
            reply["cpu_s"] = round(cpu_time() - started, 4)
        out.write(json.dumps(reply) + "\n")
        out.flush()
