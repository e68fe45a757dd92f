"""Child processes that die with the backend and spend the current budget.

Every ffmpeg the backend starts goes through ``spawn``/``run`` here, so that

- it dies when the backend dies, even by ``kill -9``: on Linux the kernel sends it SIGKILL
  (``prctl(PR_SET_PDEATHSIG)`` in the child before ``exec``); elsewhere (macOS) it runs under a small
  guard process (``python -m nemo_nb.local.media.lifeline``) that holds the read end of a pipe whose
  write end only the backend holds: when the backend is gone the pipe reads end-of-file and the guard
  kills the command;
- its CPU time is capped (``RLIMIT_CPU``) by what is left of the current ``Budget`` and, once it is
  reaped (``os.wait4``), charged to that budget; its wall time is bounded by the budget's deadline.

``PR_SET_PDEATHSIG`` fires when the *thread* that started the child ends: start a child from the
thread that waits for it (every caller here does). A long-lived helper process started from a passing
thread (the speech worker) watches its parent itself instead: ``exit_with_parent``.
"""
from __future__ import annotations

import ctypes
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from nemo_nb.local.budget import Budget, BudgetExceeded, active
from nemo_nb.local.media.lifeline import limit_cpu

PR_SET_PDEATHSIG = 1
LIFELINES = ("pdeathsig", "pipe", "none")
_PARENT_POLL_S = 0.2
_pipe_lock = threading.Lock()
_pipe_read_fd: int | None = None


def default_lifeline() -> str:
    """How children are tied to this process here: ``pdeathsig`` on Linux, ``pipe`` on other POSIX systems
    (macOS), ``none`` on Windows (no tie, no CPU limit: the budget's wall time still applies)."""
    if str(sys.platform).startswith("linux"):  # str(): the check happens here, not in the type checker
        return "pdeathsig"
    return "pipe" if os.name == "posix" else "none"


def _lifeline_pipe() -> int:
    """The read end of this process's lifeline pipe (made once; the write end is never closed by us)."""
    global _pipe_read_fd
    with _pipe_lock:
        if _pipe_read_fd is None:
            read_fd, _write_fd = os.pipe()  # both non-inheritable: only a guard gets the read end
            _pipe_read_fd = read_fd
        return _pipe_read_fd


def _cpu_limit(budget: Budget | None) -> int:
    """Whole CPU seconds the child may use (0: no limit)."""
    if budget is None:
        return 0
    return max(1, math.ceil(budget.remaining_cpu()))


def _in_child(parent: int, cpu_s: int) -> Callable[[], None]:
    """What the child runs between fork and exec on Linux: die with the parent, cap the CPU."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork: nothing to load in the child

    def preexec() -> None:
        if prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0 or os.getppid() != parent:
            os._exit(126)  # the parent is already gone (or the call failed): never run unguarded
        if cpu_s:
            limit_cpu(cpu_s)

    return preexec


def spawn(cmd: list[str], *, lifeline: str | None = None, **popen: Any) -> subprocess.Popen[Any]:
    """``subprocess.Popen(cmd, **popen)`` tied to this process's life and the current budget's CPU.

    Stop it with ``stop`` and reap it with ``reap`` (which charges its CPU time to the budget).
    """
    mode = lifeline or default_lifeline()
    if mode not in LIFELINES:
        raise ValueError(f"lifeline must be one of {LIFELINES}")
    budget = active()
    if budget is not None:
        budget.check()
    cpu_s = _cpu_limit(budget)
    if mode == "none":
        proc = subprocess.Popen(cmd, **popen)
    elif mode == "pdeathsig":
        # preexec_fn runs only prctl/setrlimit calls looked up before the fork: nothing that takes a lock.
        proc = subprocess.Popen(cmd, preexec_fn=_in_child(os.getpid(), cpu_s), **popen)
    else:
        fd = _lifeline_pipe()
        guard = [sys.executable, "-m", "nemo_nb.local.media.lifeline", str(fd), str(cpu_s), "--", *cmd]
        proc = subprocess.Popen(guard, pass_fds=(fd,), start_new_session=True, **popen)
    proc.lifeline = mode  # type: ignore[attr-defined]
    if budget is not None:
        budget.adopt(proc)
    return proc


def stop(proc: subprocess.Popen[Any]) -> None:
    """Kill the child (and, under a guard, the guarded command: they share a process group)."""
    if proc.returncode is not None:
        return
    try:
        if getattr(proc, "lifeline", "") == "pipe":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except (ProcessLookupError, PermissionError):
        pass


def reap(proc: subprocess.Popen[Any], timeout: float | None = None) -> int:
    """Wait for the child, charge its CPU time to the budget that started it; its return code.

    ``subprocess.TimeoutExpired`` after ``timeout`` seconds (the child is left running).
    """
    if proc.returncode is not None:
        return proc.returncode
    if not hasattr(os, "wait4"):  # Windows: no resource usage of a child
        code = proc.wait(timeout)
        if (budget := getattr(proc, "budget", None)) is not None:
            budget.release(proc, 0.0)
        return code
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = 0.001  # polls start fast (a probe takes ~30 ms) and slow down to 20 ms
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG if deadline is not None else 0)
        if pid:
            break
        if deadline is not None and time.monotonic() >= deadline:
            raise subprocess.TimeoutExpired(proc.args, timeout or 0)
        time.sleep(pause)
        pause = min(0.02, pause * 2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    budget = getattr(proc, "budget", None)
    if budget is not None:
        budget.release(proc, usage.ru_utime + usage.ru_stime)
    return proc.returncode


def run(cmd: list[str], *, timeout: float, check: bool = False, capture_output: bool = False,
        text: bool = False) -> subprocess.CompletedProcess[Any]:
    """``subprocess.run`` for backend children: tied to our life, bounded by the budget.

    The timeout is cut to what is left of the budget's wall time; a command still running then is
    killed, and ``BudgetExceeded`` raised when the budget ran out (``TimeoutExpired`` otherwise).
    Output is collected in temporary files (``communicate`` would reap the child before ``reap``).
    """
    budget = active()
    limit = budget.wall_timeout(timeout) if budget is not None else timeout
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sinks: dict[str, Any] = {"stdout": out, "stderr": err} if capture_output else {}
        proc = spawn(cmd, stdin=subprocess.DEVNULL, **sinks)
        try:
            code = reap(proc, limit)
        except BaseException:
            stop(proc)
            reap(proc)
            if budget is not None:
                budget.check()
            raise
        if budget is not None:
            budget.check()
        captured = [_read(f, text) for f in (out, err)] if capture_output else [None, None]
    if check and code:
        raise subprocess.CalledProcessError(code, cmd, *captured)
    return subprocess.CompletedProcess(cmd, code, *captured)


def _read(file: IO[bytes], text: bool) -> str | bytes:
    file.seek(0)
    data = file.read()
    return data.decode("utf-8", "replace") if text else data


def exit_with_parent(parent: int, poll_s: float = _PARENT_POLL_S) -> None:
    """In a helper process: a daemon thread that ends this process as soon as ``parent`` is gone
    (this process is then re-parented, so ``os.getppid()`` changes). Works on Linux and macOS."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll_s)
        os._exit(0)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


__all__ = ["BudgetExceeded", "default_lifeline", "exit_with_parent", "reap", "run", "spawn", "stop"]
