"""A guard that ties a command to the backend where the kernel cannot (macOS):
``python -m nemo_nb.local.media.lifeline FD CPU_S -- command …``.

``FD`` is the read end of a pipe whose write end only the backend holds. The guard runs the command
(same stdin/stdout/stderr, ``RLIMIT_CPU`` of ``CPU_S`` seconds unless 0), and kills it as soon as the pipe
reads end-of-file — the backend is gone, however it died. It exits with the command's code. The backend
starts it in a new process group, so stopping the group stops both. Standard library only: it starts fast.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading


def limit_cpu(cpu_s: int) -> None:
    """Cap this process's CPU time: the kernel kills it (SIGKILL) once it has used ``cpu_s`` seconds."""
    import resource

    resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s))


def main(argv: list[str]) -> int:
    if len(argv) < 4 or argv[2] != "--":
        print("usage: python -m nemo_nb.local.media.lifeline FD CPU_S -- command …", file=sys.stderr)
        return 2
    fd, cpu_s, command = int(argv[0]), int(argv[1]), argv[3:]
    # Single-threaded until the command runs, so preexec_fn is safe here.
    child = subprocess.Popen(command, preexec_fn=(lambda: limit_cpu(cpu_s)) if cpu_s else None)

    def watch() -> None:
        try:
            while os.read(fd, 1024):
                pass
        except OSError:
            pass
        child.kill()

    threading.Thread(target=watch, daemon=True).start()
    code = child.wait()
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
