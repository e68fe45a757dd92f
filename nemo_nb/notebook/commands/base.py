"""What every ``%nemo`` command gets (``Context``), the options several share, and small displays."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from IPython.core.magic_arguments import argument
from IPython.display import display

from nemo_nb.notebook._fmt import CARD, esc
from nemo_nb.notebook.controller import NotebookSession
from nemo_nb.notebook.errors import NemoCellError

_IDENT = re.compile(r"^[A-Za-z_]\w*$")

out_option = argument("--out", metavar="VAR", help="store the result in this variable")
session_option = argument("--session", metavar="NAME", help="a session name or id (default: the current one)")
quiet_option = argument("--quiet", action="store_true", default=None, help="no output (use --out)")


@dataclass
class Context:
    """One run of a command: the notebook's controller, the magics' options, the user's namespace."""

    controller: NotebookSession
    options: Any                 # NemoMagics: its traits (quiet, redraw_hz, show_timeline, …)
    namespace: dict[str, Any]
    terminal: bool = False       # IPython in a terminal: no widgets, no output updated in place
    live: Any = None             # how live views display: None is IPython's display (see LastOnly)

    def store(self, out: str | None, value: Any) -> None:
        """``--out VAR``: put ``value`` in the notebook's variable ``VAR``."""
        if not out:
            return
        if not _IDENT.match(out):
            raise NemoCellError(f"--out {out}: not a Python variable name.")
        self.namespace[out] = value

    def quiet(self, flag: bool | None) -> bool:
        return bool(self.options.quiet) if flag is None else flag

    def session(self, name: str | None) -> Any:
        return self.controller.session(name)


def show_card(text: str) -> None:
    """One short line of news, as plain text and a small HTML card."""
    display({"text/plain": text, "text/html": f'<div style="{CARD}">{esc(text)}</div>'}, raw=True)


class LastOnly:
    """A ``display`` for shells that cannot update an output in place (IPython in a terminal): keeps
    the latest version of a live view and shows it once, when the magic ends."""

    def __init__(self) -> None:
        self.last: Any = None

    def __call__(self, obj: Any, **kw: Any) -> LastOnly:
        self.last = obj
        return self

    def update(self, obj: Any, **kw: Any) -> None:
        self.last = obj

    def flush(self) -> None:
        if self.last is not None:
            display(self.last, raw=True)
        self.last = None
