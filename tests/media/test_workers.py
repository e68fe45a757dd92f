"""The warm JSON-lines workers (speech synthesis and recognition share them): they die with the backend,
even in the middle of a request, and the CPU they spend is reported and charged to the active budget."""
from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from _procs import alive, has_proc, wait_gone

from nemo_nb.local.budget import Budget, BudgetExceeded, spending
from nemo_nb.local.media.workers import WarmWorker

HERE = Path(__file__).resolve().parent
ENV = {"PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
PARENT = """
import json, sys, threading, time
from nemo_nb.local.media.workers import WarmWorker
module, request, env = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
worker = WarmWorker(module, error=RuntimeError, what="test", env=env)
threading.Thread(target=worker.call, args=(request, 900), daemon=True).start()
while worker.pid is None:
    time.sleep(0.01)
time.sleep(0.5)  # the request has been sent (a ping has been answered)
print(worker.pid, flush=True)
time.sleep(600)
"""


class WorkerFailed(RuntimeError):
    pass


def sleepy() -> WarmWorker:
    return WarmWorker("sleepy_worker", error=WorkerFailed, what="sleeping", env=ENV)


def worker_of_killed_parent(module: str, request: dict[str, object]) -> int:
    """Start a parent process whose worker got ``request``, kill -9 the parent; the worker's pid."""
    parent = subprocess.Popen([sys.executable, "-c", PARENT, module, json.dumps(request), json.dumps(ENV)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        pid = int(parent.stdout.readline())
        assert alive(pid)
    finally:
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
    return pid


@pytest.mark.slow
@pytest.mark.skipif(not has_proc(), reason="reads the process tree from /proc")
def test_a_worker_busy_with_a_request_dies_with_its_parent() -> None:
    pid = worker_of_killed_parent("sleepy_worker", {"op": "sleep", "s": 600})
    assert wait_gone([pid], timeout=3.0) == []  # its stdin is still open (the request runs): it watched its parent


@pytest.mark.skipif(not has_proc(), reason="reads the process tree from /proc")
@pytest.mark.parametrize("module, needs", [("nemo_nb.local.media.tts_worker", "piper"),
                                           ("nemo_nb.local.media.asr_worker", "faster_whisper")])
@pytest.mark.slow
def test_the_speech_workers_die_with_their_parent(module: str, needs: str) -> None:
    if importlib.util.find_spec(needs) is None:
        pytest.skip(f"{needs} is not installed")
    pid = worker_of_killed_parent(module, {"op": "ping"})
    assert wait_gone([pid], timeout=3.0) == []


@pytest.mark.slow
def test_the_cpu_a_request_took_is_reported_and_charged_to_the_budget() -> None:
    worker = sleepy()
    try:
        assert worker.call({"op": "sleep", "s": 0.01}, 30)["cpu_s"] < 0.2  # waiting is not spending
        with spending(Budget("this test", wall_s=60, cpu_s=600)) as budget:
            assert budget is not None
            own = worker.call({"op": "spin", "s": 0.3}, 30)
            child = worker.call({"op": "child", "s": 0.3}, 30)
        assert own["cpu_s"] >= 0.3 and child["cpu_s"] >= 0.3  # the children it waited for count too
        assert budget.cpu_used >= own["cpu_s"] + child["cpu_s"]
        with spending(Budget("this edit", wall_s=60, cpu_s=0.2)), pytest.raises(BudgetExceeded, match="CPU budget"):
            worker.call({"op": "spin", "s": 0.3}, 30)
    finally:
        worker.close()


@pytest.mark.slow
def test_the_wait_is_cut_to_the_budget_deadline_and_the_worker_stopped() -> None:
    worker = sleepy()
    try:
        worker.call({"op": "sleep", "s": 0}, 30)
        busy = worker.pid
        started = time.monotonic()
        with spending(Budget("this edit", wall_s=0.5, cpu_s=600)), pytest.raises(BudgetExceeded, match="time budget"):
            worker.call({"op": "sleep", "s": 60}, 120)
        assert time.monotonic() - started < 5 and worker.pid is None and busy is not None
        assert not wait_gone([busy], timeout=3.0)
        assert worker.call({"op": "sleep", "s": 0}, 30)["ok"]  # a new worker serves the next request
        with pytest.raises(WorkerFailed, match=r"longer than 0\.3 s"):  # no budget: the call's own timeout
            worker.call({"op": "sleep", "s": 60}, 0.3)
    finally:
        worker.close()
