"""Run notebooks top to bottom in a fresh kernel (``nemo-nb run-notebooks``): teachers, CI and Binder
checks use it to prove every example runs."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def kernel_config(kernel_name: str = "python3") -> Any:
    """Kernel channels that are not plain TCP, which is what ipykernel warns about ("running over TCP
    without encryption"): CurveZMQ keys provisioned by the kernel manager when jupyter_client, pyzmq and
    the kernel support them, else IPC sockets (POSIX). Elsewhere the channels stay as they were."""
    import zmq
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
    from jupyter_client.manager import KernelManager
    from traitlets.config import Config

    config = Config()
    try:
        declared = KernelSpecManager().get_kernel_spec(kernel_name).metadata.get("supported_encryption") or ()
    except NoSuchKernel:
        declared = ()
    curve = "curve" in ([declared] if isinstance(declared, str) else list(declared))
    if curve and zmq.has("curve") and "transport_encryption" in KernelManager.class_trait_names():
        config.KernelManager.transport_encryption = "auto"
    elif os.name == "posix":
        config.KernelManager.transport = "ipc"
    return config


def run_notebook(path: str | Path, *, timeout: int = 600, save: bool = True) -> Any:
    """Execute ``path`` in its own folder; the executed notebook (saved over ``path`` when ``save``).
    Raises ``nbclient.exceptions.CellExecutionError`` at the first failing cell."""
    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", config=kernel_config("python3"),
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    finally:
        if save:
            nbformat.write(notebook, path)
    return notebook


def run_all(paths: list[str], *, timeout: int = 600) -> int:
    """Run each notebook on a copy next to it (``<name>.out.ipynb``); 0 when all pass."""
    import shutil

    from nbclient.exceptions import CellExecutionError

    failed = 0
    for name in paths:
        source = Path(name)
        copy = source.with_name(source.stem + ".out.ipynb")
        shutil.copy(source, copy)
        try:
            run_notebook(copy, timeout=timeout)
            print(f"ok      {source}")
        except CellExecutionError as error:
            failed += 1
            first = str(error).strip().splitlines()
            print(f"FAILED  {source}: {first[-1] if first else error}")
    return 1 if failed else 0
