"""The ``%nemo`` commands: one small module each, dispatched by name (``COMMANDS``).

Each command is a function ``(ctx, args[, cell])`` carrying an IPython ``magic_arguments`` parser,
so its usage line and help come from the parser itself (``usage()``).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nemo_nb.notebook.commands.compare import compare
from nemo_nb.notebook.commands.connect import connect, disconnect
from nemo_nb.notebook.commands.export import claim, export
from nemo_nb.notebook.commands.message import message
from nemo_nb.notebook.commands.sessions import new, sessions, use
from nemo_nb.notebook.commands.status import credits, status
from nemo_nb.notebook.commands.studio import studio
from nemo_nb.notebook.commands.transcript import transcript
from nemo_nb.notebook.commands.upload import upload

COMMANDS: dict[str, Callable[..., Any]] = {
    "connect": connect, "disconnect": disconnect, "new": new, "sessions": sessions, "use": use,
    "upload": upload, "status": status, "credits": credits, "export": export, "claim": claim,
    "compare": compare, "studio": studio, "transcript": transcript,
}
CELL_COMMANDS: dict[str, Callable[..., Any]] = {"compare": compare}
MESSAGE = message
OPTIONS_LINE = ("Options: %config NemoMagics.embed_limit_mb = 10  (also skill, language, quiet, export_dir, "
                "show_tracebacks,\nredraw_hz, show_timeline, claim_link, compare_concurrency, backend_options); "
                "%config NemoMagics shows them all.")


def usage_line(command: Callable[..., Any]) -> str:
    """``%nemo export [--to PATH] …`` from the command's parser."""
    return " ".join(command.parser.format_usage().split()[1:])  # type: ignore[attr-defined]


def summary(command: Callable[..., Any]) -> str:
    return (command.parser.description or "").strip().splitlines()[0]  # type: ignore[attr-defined]


def usage() -> str:
    """Every command's usage line and what it does: ``%nemo help``."""
    lines = []
    for command in (*COMMANDS.values(), MESSAGE):
        lines += [usage_line(command), f"    {summary(command)}"]
    return "\n".join([*lines, OPTIONS_LINE])
