"""Child processes of the backend: they die with it (even by kill -9) and stay inside their budget."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _procs import alive, command, descendants, has_proc, wait_gone

from nemo_nb.local.budget import Budget, BudgetExceeded, spending
from nemo_nb.local.media import children
from nemo_nb.local.media.ffmpeg import ffmpeg_exe, run_ffmpeg

GUARDED = ("pdeathsig", "pipe")  # the ways a child is tied to its parent on Linux and macOS
needs_proc = pytest.mark.skipif(not has_proc(), reason="reads the process tree from /proc")
ENCODE_FOREVER = ["-f", "lavfi", "-i", "testsrc2=size=640x360:rate=30", "-c:v", "libx264", "-preset", "medium",
                  "-f", "null", "-"]


def start_parent(code: str) -> tuple[subprocess.Popen, str]:
    """A Python process running ``code`` (which prints one line when ready): (the process, that line)."""
    proc = subprocess.Popen([sys.executable, "-c", textwrap.dedent(code)], stdout=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line, "the parent process did not start"
    return proc, line


@needs_proc
@pytest.mark.parametrize("lifeline", GUARDED)
def test_ffmpeg_dies_when_its_parent_is_killed(lifeline: str):
    parent, pid = start_parent(f"""
        import time
        from nemo_nb.local.media import children
        from nemo_nb.local.media.ffmpeg import ffmpeg_exe
        proc = children.spawn([ffmpeg_exe(), "-nostdin", "-re", "-f", "lavfi", "-i", "anullsrc", "-f", "null", "-"],
                              lifeline={lifeline!r})
        print(proc.pid, flush=True)
        time.sleep(120)
    """)
    try:
        deadline = time.monotonic() + 10
        while not any("ffmpeg" in command(p) for p in descendants(parent.pid)):
            assert time.monotonic() < deadline, "ffmpeg did not start"
            time.sleep(0.05)
        below = descendants(parent.pid)
        assert int(pid) in below
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert wait_gone(below, timeout=2.0) == [], "a child outlived its parent"
    finally:
        parent.kill()
        parent.wait()


@pytest.mark.slow
@needs_proc
def test_speech_worker_exits_when_the_backend_is_killed():
    parent, pid = start_parent("""
        import tempfile, time
        from nemo_nb.local.media.tts import engine
        engine().synthesize("Hola.", tempfile.mktemp(".wav"), language="es")
        print(engine().pid, flush=True)
        time.sleep(120)
    """)
    try:
        worker = int(pid)
        assert alive(worker)
        time.sleep(0.5)
        assert alive(worker), "the worker must stay while its backend lives"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        assert wait_gone([worker], timeout=2.0) == []
    finally:
        parent.kill()
        parent.wait()


def test_a_child_never_starts_once_its_parent_is_gone(tmp_path: Path):
    """The guard checks the parent right after arming the death signal: a child forked just as the parent
    dies exits at once instead of running unguarded."""
    code = children._in_child(parent=1, cpu_s=0)  # "parent 1": not ours, as after the parent died
    proc = subprocess.Popen([sys.executable, "-c", "print('ran')"], preexec_fn=code,  # noqa: PLW1509
                            stdout=subprocess.PIPE)
    out, _ = proc.communicate(timeout=10)
    assert out == b"" and proc.returncode != 0


@pytest.mark.parametrize("lifeline", GUARDED)
def test_run_returns_output_and_charges_the_budget(lifeline: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(children, "default_lifeline", lambda: lifeline)
    budget = Budget("this test", wall_s=60, cpu_s=60)
    with spending(budget):
        done = children.run([ffmpeg_exe(), "-hide_banner", "-f", "lavfi", "-i", "testsrc2=size=640x360:duration=2",
                             "-c:v", "libx264", "-f", "null", "-"], timeout=60, capture_output=True, text=True)
    assert done.returncode == 0 and "Output #0" in done.stderr
    assert budget.cpu_used > 0.05  # the encode's CPU time, read when the child was reaped


@pytest.mark.slow
@pytest.mark.parametrize("lifeline", GUARDED)
def test_cpu_budget_kills_ffmpeg(lifeline: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(children, "default_lifeline", lambda: lifeline)
    budget = Budget("this render", wall_s=120, cpu_s=1.0)
    started = time.process_time()
    with spending(budget), pytest.raises(BudgetExceeded, match="CPU budget of 1 s"):
        run_ffmpeg(ENCODE_FOREVER, duration_s=3600)
    assert 1.0 <= budget.cpu_used < 2.5  # the kernel stopped it at its limit (RLIMIT_CPU)
    assert time.process_time() - started < 1.0  # and we did not spin meanwhile


@pytest.mark.slow
def test_wall_budget_stops_ffmpeg():
    budget = Budget("this edit", wall_s=0.5, cpu_s=600)
    started = time.monotonic()
    with spending(budget), pytest.raises(BudgetExceeded, match="time budget of 0.5 s"):
        run_ffmpeg(["-re", *ENCODE_FOREVER], duration_s=3600)
    assert time.monotonic() - started < 2.0
    assert budget.remaining_wall() == 0


@pytest.mark.slow
def test_wall_budget_cuts_a_plain_run():
    budget = Budget("this edit", wall_s=0.5, cpu_s=600)
    started = time.monotonic()
    with spending(budget), pytest.raises(BudgetExceeded, match="time budget"):
        children.run([ffmpeg_exe(), "-nostdin", "-re", *ENCODE_FOREVER], timeout=60)
    assert time.monotonic() - started < 2.0


def test_a_spent_budget_starts_nothing():
    budget = Budget("this edit", wall_s=60, cpu_s=1)
    budget.charge(2)
    with spending(budget), pytest.raises(BudgetExceeded, match="CPU budget"):
        children.spawn([ffmpeg_exe(), "-version"])


def test_expire_kills_the_running_children():
    budget = Budget("this edit", wall_s=60, cpu_s=600)
    with spending(budget):
        proc = children.spawn([ffmpeg_exe(), "-nostdin", "-re", *ENCODE_FOREVER], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    budget.expire("the server is stopping")
    assert children.reap(proc, timeout=5) != 0
    with pytest.raises(BudgetExceeded, match="the server is stopping"):
        budget.check()


def test_speech_is_charged_and_stopped_by_the_budget(tmp_path: Path):
    from nemo_nb.local.media.tts import engine

    budget = Budget("this edit", wall_s=60, cpu_s=60)
    with spending(budget):
        engine().synthesize("Hola a todos. Bienvenidos.", tmp_path / "a.wav", language="es")
    assert budget.cpu_used > 0
    budget.charge(60)
    with spending(budget), pytest.raises(BudgetExceeded):
        engine().synthesize("Hola otra vez.", tmp_path / "b.wav", language="es")
    assert not (tmp_path / "b.wav").exists()


def test_every_platform_has_a_lifeline():
    assert children.default_lifeline() in children.LIFELINES
    if sys.platform.startswith("linux") or sys.platform == "darwin":
        assert children.default_lifeline() in GUARDED


def test_cpu_spent_in_the_worker_thread_counts():
    budget = Budget("this edit", wall_s=60, cpu_s=0.2)
    with spending(budget):
        budget.check()  # where the thread's work starts
        spent = time.thread_time()
        while time.thread_time() - spent < 0.3:  # drawing frames, say
            pass
        with pytest.raises(BudgetExceeded, match="CPU budget"):
            children.spawn([ffmpeg_exe(), "-version"])
    assert budget.cpu_used >= 0.3
