"""The embedded backend as a separate process for benchmarks (so its CPU and memory are its own)."""
from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def embedded_server(data_dir: str, *options: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``nemo-nb serve`` on a free port: (its URL, the process); stopped on exit."""
    proc = subprocess.Popen([sys.executable, "-m", "nemo_nb.cli", "serve", "--port", "0", "--data-dir", data_dir,
                             *options], stdout=subprocess.PIPE, text=True)
    try:
        yield re.search(r"http://\S+", proc.stdout.readline()).group(0), proc
    finally:
        proc.terminate()
        proc.wait(timeout=30)
