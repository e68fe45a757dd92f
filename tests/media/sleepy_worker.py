"""A worker process for the tests of ``workers``: ``{"op": "sleep", "s"}`` answers after ``s`` seconds (a
request still running), ``{"op": "spin", "s"}`` after spending ``s`` seconds of CPU, ``{"op": "child", "s"}``
after a child process spent them."""
from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

from nemo_nb.local.media.workers import serve

SPIN = "import time\nend = time.process_time() + {s}\nwhile time.process_time() < end: pass"


def spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def handle(request: dict[str, Any]) -> dict[str, Any]:
    seconds = float(request.get("s", 0))
    if request.get("op") == "sleep":
        time.sleep(seconds)
    elif request.get("op") == "spin":
        spin(seconds)
    elif request.get("op") == "child":
        subprocess.run([sys.executable, "-c", SPIN.format(s=seconds)], check=True)
    else:
        raise ValueError("unknown op")
    return {"done": request["op"]}


if __name__ == "__main__":
    serve(handle, "sleepy_worker")
