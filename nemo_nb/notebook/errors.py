"""Short cell errors: one or two lines saying what to do, and the cell still fails (Run All stops).

IPython shows an exception's ``_render_traceback_()`` instead of a traceback, so ``NemoCellError``
prints only its lines. ``%config NemoMagics.show_tracebacks = True`` lets the original exception
through with its full traceback.
"""
from __future__ import annotations

import os

RED, RESET = "\x1b[0;31m", "\x1b[0m"


class NemoCellError(Exception):
    """A magic failed: ``message`` (what happened) and ``hint`` (what to do), nothing else."""

    def __init__(self, message: str, hint: str = ""):
        self.message = message.strip()
        self.hint = hint.strip()
        super().__init__(self.message + (f"\n{self.hint}" if self.hint else ""))

    def lines(self) -> list[str]:
        return [self.message] + ([self.hint] if self.hint else [])

    def _render_traceback_(self) -> list[str]:
        first, *rest = self.lines()
        label = f"{RED}nemo:{RESET}" if _colours() else "nemo:"
        return [f"{label} {first}", *rest]


def _colours() -> bool:
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        return False
    return shell is None or str(getattr(shell, "colors", "")).lower() != "nocolor"


NOT_CONNECTED = NemoCellError(
    "Not connected to NemoVideo yet.",
    "Run %nemo connect --local (offline, embedded backend) or %nemo connect (cloud) first.")


def short(exc: BaseException) -> NemoCellError:
    """A client or OS error as a short cell error (the client's messages already say what to do)."""
    from nemo_nb.api import errors

    text = str(exc).strip() or type(exc).__name__
    first, _, rest = text.partition("\n")
    hint = rest.strip()
    if isinstance(exc, errors.BadRequest) and text.startswith("no such file"):
        hint = f"Paths are relative to the notebook's folder ({os.getcwd()})."
    elif isinstance(exc, errors.NemoConnectionError) and not isinstance(exc, errors.StreamDropped):
        verb = "No answer in time from" if isinstance(exc, errors.NemoTimeout) else "Could not reach"
        first = f"{verb} {exc.origin or 'the server'} ({exc.reason.partition(':')[0] or type(exc).__name__})."
        hint = "Check the network or the URL; %nemo connect --local works offline."
    elif isinstance(exc, errors.NemoError):
        # The client puts the fix after the message ("… . Upload a video …"): split it onto line 2.
        message = exc.message.rstrip(".") + "."
        if first.startswith(exc.message.rstrip(".")) and len(first) > len(message):
            first, hint = message, first[len(message):].strip()
    elif isinstance(exc, FileNotFoundError):
        first = f"No such file: {exc.filename or text}"
        hint = f"Paths are relative to the notebook's folder ({os.getcwd()})."
    elif not isinstance(exc, (OSError, ValueError)):
        first = f"{type(exc).__name__}: {first}"
        hint = hint or "Run %config NemoMagics.show_tracebacks = True and re-run the cell to see the traceback."
    return NemoCellError(first, hint)
