"""nemo_nb: edit video by talking to the NemoVideo agent from a Jupyter notebook.

``import nemo_nb`` stays light: the embedded backend and the media stack load only when used.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_nb._version import __version__

if TYPE_CHECKING:  # pragma: no cover
    from nemo_nb.api import AsyncNemo, Nemo, NemoConnectionError, NemoError, NemoTimeout
    from nemo_nb.draft import Draft
    from nemo_nb.local.server import LocalBackend

__all__ = ["AsyncNemo", "Draft", "LocalBackend", "Nemo", "NemoConnectionError", "NemoError", "NemoTimeout",
           "__version__", "load_ipython_extension", "unload_ipython_extension"]

_LAZY = {
    "Nemo": ("nemo_nb.api", "Nemo"),
    "AsyncNemo": ("nemo_nb.api", "AsyncNemo"),
    "NemoError": ("nemo_nb.api", "NemoError"),
    "NemoConnectionError": ("nemo_nb.api", "NemoConnectionError"),
    "NemoTimeout": ("nemo_nb.api", "NemoTimeout"),
    "Draft": ("nemo_nb.draft", "Draft"),
    "LocalBackend": ("nemo_nb.local.server", "LocalBackend"),
}


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext nemo_nb``: register the ``%nemo`` magics (IPython is imported only now)."""
    from nemo_nb.notebook import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    from nemo_nb.notebook import unload_ipython_extension as unload

    unload(ipython)


def __getattr__(name: str) -> Any:
    """Import public names on first use, so ``import nemo_nb`` loads nothing heavy."""
    try:
        module_name, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'nemo_nb' has no attribute {name!r}") from None
    import importlib

    value = getattr(importlib.import_module(module_name), attr)
    globals()[name] = value
    return value
