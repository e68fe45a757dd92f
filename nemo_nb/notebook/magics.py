"""``%nemo`` / ``%%nemo``: parse the line and dispatch to a command; the work happens in the
notebook's session controller (``nemo_nb.notebook.controller``) and the client (``nemo_nb.api``).

::

    %load_ext nemo_nb
    %nemo connect --local                  # or: %nemo connect  (cloud)
    %nemo upload clip.mp4
    %%nemo
    add my clip to the timeline
    %nemo status
    %nemo export
    %nemo studio

Options (``%config NemoMagics.<name> = …``, or the environment variable in brackets): see
``NemoMagics``'s traits; ``%nemo help`` lists the commands (their usage comes from their parsers).
"""
from __future__ import annotations

import os
import shlex
from collections.abc import Callable
from typing import Any, TypeVar

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.display import display
from traitlets import Bool, Dict, Float, Int, TraitError, Unicode, default, observe, validate

from nemo_nb.notebook._fmt import esc
from nemo_nb.notebook.commands import CELL_COMMANDS, COMMANDS, MESSAGE, usage, usage_line
from nemo_nb.notebook.commands.base import Context, LastOnly
from nemo_nb.notebook.controller import NotebookSession, Settings
from nemo_nb.notebook.errors import NemoCellError, short
from nemo_nb.notebook.templating import substitute

__all__ = ["NemoMagics", "substitute"]
SHARED = ("language", "export_dir", "embed_limit_mb", "redraw_hz", "compare_concurrency")


T = TypeVar("T")


def _env(name: str, default: T, kind: Callable[[str], T]) -> T:
    """A setting from the environment, read by ``kind``; ``default`` when unset, empty or unreadable."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return kind(raw)
    except ValueError:
        return default


def _flag(raw: str) -> bool:
    return raw.strip().lower() not in ("0", "false", "no", "off")


@magics_class
class NemoMagics(Magics):
    """The ``%nemo`` magics: parse, dispatch, display. Options are traits:
    ``%config NemoMagics.embed_limit_mb = 25``; the notebook's state lives in ``controller``."""

    embed_limit_mb = Float(help="embed exported videos up to this size (MB) in the notebook; larger ones are "
                                "referenced by path or URL [NEMO_EMBED_LIMIT_MB]").tag(config=True)
    skill = Unicode(None, allow_none=True, help="skill profile of the attribution headers [NEMO_SKILL]"
                    ).tag(config=True)
    language = Unicode(help="language of new sessions [NEMO_LANGUAGE]").tag(config=True)
    quiet = Bool(help="no live output by default; results go to --out variables [NEMO_QUIET]").tag(config=True)
    export_dir = Unicode(help="where %nemo export and compare save MP4s [NEMO_EXPORT_DIR]").tag(config=True)
    show_tracebacks = Bool(help="show full tracebacks instead of short errors [NEMO_SHOW_TRACEBACKS]").tag(config=True)
    redraw_hz = Float(help="live views redraw at most this often per second [NEMO_REDRAW_HZ]").tag(config=True)
    show_timeline = Bool(help="after a reply that changed the timeline, show its picture [NEMO_SHOW_TIMELINE]"
                         ).tag(config=True)
    claim_link = Bool(help="show the claim button (a live widget) under exports [NEMO_CLAIM_LINK]").tag(config=True)
    compare_concurrency = Int(help="variants of %nemo compare running at once [NEMO_COMPARE_CONCURRENCY]"
                              ).tag(config=True)
    backend_options = Dict(help="extra settings of the embedded backend started by %nemo connect --local, "
                                "e.g. {'credits': 500}").tag(config=True)

    @default("embed_limit_mb")
    def _default_embed(self) -> float:
        return _env("NEMO_EMBED_LIMIT_MB", 10.0, float)

    @default("skill")
    def _default_skill(self) -> str | None:
        return os.environ.get("NEMO_SKILL") or None

    @default("language")
    def _default_language(self) -> str:
        return os.environ.get("NEMO_LANGUAGE") or "en"

    @default("quiet")
    def _default_quiet(self) -> bool:
        return _env("NEMO_QUIET", False, _flag)

    @default("export_dir")
    def _default_export_dir(self) -> str:
        return os.environ.get("NEMO_EXPORT_DIR") or "nemo_exports"

    @default("show_tracebacks")
    def _default_tracebacks(self) -> bool:
        return _env("NEMO_SHOW_TRACEBACKS", False, _flag)

    @default("redraw_hz")
    def _default_redraw(self) -> float:
        return _env("NEMO_REDRAW_HZ", 10.0, float)

    @default("show_timeline")
    def _default_show_timeline(self) -> bool:
        return _env("NEMO_SHOW_TIMELINE", True, _flag)

    @default("claim_link")
    def _default_claim(self) -> bool:
        return _env("NEMO_CLAIM_LINK", True, _flag)

    @default("compare_concurrency")
    def _default_concurrency(self) -> int:
        return _env("NEMO_COMPARE_CONCURRENCY", 4, int)

    @validate("embed_limit_mb")
    def _check_embed(self, proposal: Any) -> float:
        if proposal["value"] < 0:
            raise TraitError("embed_limit_mb must be 0 or more")
        return float(proposal["value"])

    @validate("redraw_hz")
    def _check_redraw(self, proposal: Any) -> float:
        if not 0 < proposal["value"] <= 60:
            raise TraitError("redraw_hz must be between 0 and 60")
        return float(proposal["value"])

    @validate("compare_concurrency")
    def _check_concurrency(self, proposal: Any) -> int:
        if proposal["value"] < 1:
            raise TraitError("compare_concurrency must be at least 1")
        return int(proposal["value"])

    @validate("skill")
    def _check_skill(self, proposal: Any) -> str | None:
        if proposal["value"]:
            from nemo_nb.config import skill_profile

            try:
                skill_profile(proposal["value"])
            except ValueError as exc:
                raise TraitError(str(exc)) from None
        return str(proposal["value"]) if proposal["value"] else None

    def __init__(self, shell: Any = None, **kw: Any):
        self.controller = NotebookSession()  # before the config is loaded: _share writes to it
        super().__init__(shell=shell, **kw)
        self.controller.settings = Settings(**{name: getattr(self, name) for name in SHARED})

    @observe(*SHARED)
    def _share(self, change: Any) -> None:
        setattr(self.controller.settings, change["name"], change["new"])

    @property
    def terminal(self) -> bool:
        """IPython in a terminal: outputs cannot be updated in place, and there are no widgets."""
        return type(self.shell).__name__ == "TerminalInteractiveShell"

    # -- the entry point ------------------------------------------------------------------------------
    @no_var_expand
    @line_cell_magic("nemo")  # type: ignore[arg-type]
    def nemo_magic(self, line: str, cell: str | None = None) -> None:
        """NemoVideo from the notebook. ``%nemo help`` lists the commands."""
        live = LastOnly() if self.terminal else None
        namespace = self.shell.user_ns if self.shell is not None else {}
        ctx = Context(self.controller, self, namespace, terminal=self.terminal, live=live)
        try:
            self._dispatch(ctx, line, cell)
        except (NemoCellError, KeyboardInterrupt):
            raise
        except Exception as exc:
            if self.show_tracebacks:
                raise
            raise short(exc) from None
        finally:
            if live is not None:
                live.flush()

    def _dispatch(self, ctx: Context, line: str, cell: str | None) -> None:
        try:
            tokens = shlex.split(substitute(line, ctx.namespace), posix=os.name != "nt")
        except ValueError as exc:
            raise NemoCellError(f"Could not read the magic's line: {exc}.", "Check the quotes.") from None
        if cell is not None:
            if tokens and tokens[0] in CELL_COMMANDS:
                return self._run(ctx, CELL_COMMANDS[tokens[0]], tokens[1:], cell)
            return self._run(ctx, MESSAGE, tokens, cell)
        if not tokens or tokens[0] in ("help", "-h", "--help"):
            return self._help()
        name, argv = tokens[0], tokens[1:]
        if name not in COMMANDS:
            hint = ("To send a message, put it in a cell under %%nemo." if len(tokens) > 1
                    else "Commands: " + ", ".join([*COMMANDS, "help"]) + " (%nemo help).")
            raise NemoCellError(f"Unknown command {name!r}.", hint)
        return self._run(ctx, COMMANDS[name], argv, None)

    @staticmethod
    def _run(ctx: Context, command: Any, argv: list[str], cell: str | None) -> None:
        parser = command.parser
        if "-h" in argv or "--help" in argv:
            help_text = parser.format_help()
            display({"text/plain": help_text, "text/html": f'<pre style="font-size:12px">{esc(help_text)}</pre>'},
                    raw=True)
            return
        try:
            args = parser.parse_args(argv)
        except UsageError as exc:
            raise NemoCellError(f"%{parser.prog}: {str(exc).rstrip('.')}.", "Usage: " + usage_line(command)) from None
        if cell is None:
            command(ctx, args)
        else:
            command(ctx, args, cell)

    def _help(self) -> None:
        text = usage()
        display({"text/plain": text, "text/html": f'<pre style="font-size:12px">{esc(text)}</pre>'}, raw=True)

    def close(self) -> None:
        """Close the connection (stopping an embedded backend): ``%unload_ext nemo_nb`` does it."""
        self.controller.close()
