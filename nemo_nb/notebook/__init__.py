"""The notebook experience: ``%nemo`` / ``%%nemo`` magics and the views they display.

``%load_ext nemo_nb`` registers ``NemoMagics`` (also reachable with ``%config NemoMagics``); its
``controller`` (``NotebookSession``, plain Python) holds the connection and the sessions, and the
widgets (``nemo_nb.widgets``) drive the same controller.
Views — ``LiveReply``, ``TimelineView`` (the picture: ``picture.timeline_picture``), ``ExportView``,
``CompareResult`` — are plain mime bundles (HTML + Markdown + plain text, pictures also as PNG), so saved
notebooks show them without a kernel, trusted or not.
This package imports IPython; ``import nemo_nb`` does not import it.
"""
from __future__ import annotations

from typing import Any

__all__ = ["get_magics", "load_ipython_extension", "unload_ipython_extension"]

_loaded: dict[int, Any] = {}


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%nemo`` magics (``%load_ext nemo_nb``)."""
    from nemo_nb.notebook.magics import NemoMagics

    if id(ipython) in _loaded:
        return
    magics = NemoMagics(shell=ipython, parent=ipython)
    ipython.register_magics(magics)
    if magics not in ipython.configurables:
        ipython.configurables.append(magics)  # so %config NemoMagics… finds it
    _loaded[id(ipython)] = magics


def unload_ipython_extension(ipython: Any) -> None:
    """Close the connection (stopping an embedded backend) and remove the magics."""
    magics = _loaded.pop(id(ipython), None)
    if magics is None:
        return
    magics.close()
    table = ipython.magics_manager.magics
    for kind in ("line", "cell"):
        table[kind].pop("nemo", None)
    ipython.magics_manager.registry.pop(type(magics).__name__, None)
    if magics in ipython.configurables:
        ipython.configurables.remove(magics)


def get_magics(ipython: Any = None) -> Any:
    """The loaded ``NemoMagics`` of ``ipython`` (default: the running shell), or None."""
    if ipython is None:
        from IPython import get_ipython

        ipython = get_ipython()
    return _loaded.get(id(ipython))
