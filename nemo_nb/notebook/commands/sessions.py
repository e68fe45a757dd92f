# mypy: disallow-untyped-decorators=False
"""``%nemo new``, ``%nemo use`` and ``%nemo sessions``."""
from __future__ import annotations

from argparse import Namespace

from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from nemo_nb.notebook._fmt import esc
from nemo_nb.notebook.commands.base import Context, out_option, show_card


@magic_arguments("nemo new")
@argument("name", nargs="?", help="a name for the session")
@argument("--language", help="the session's language (default: the language option)")
@out_option
def new(ctx: Context, args: Namespace) -> None:
    """Make a new session and use it."""
    c = ctx.controller
    session = c.new(args.name, args.language)
    ctx.store(args.out, session)
    show_card(f"New {c.label(session)} is in use. Upload media with %nemo upload PATH.")


@magic_arguments("nemo use")
@argument("session", help="a session name or id")
@out_option
def use(ctx: Context, args: Namespace) -> None:
    """Carry on with another session (one of this notebook's, or any id the server knows)."""
    c = ctx.controller
    session = c.use(args.session)
    ctx.store(args.out, session)
    show_card(f"Now using {c.label(session)}.")


@magic_arguments("nemo sessions")
def sessions(ctx: Context, args: Namespace) -> None:
    """This notebook's sessions: ▶ marks the one in use."""
    rows = [("▶" if r.current else "", r.id, r.name, ", ".join(r.uploads), r.summary) for r in ctx.controller.rows()]
    head = ("", "id", "name", "uploaded here", "timeline (last seen)")
    html = ('<table class="nemo-sessions" style="font:13px sans-serif"><tr>'
            + "".join(f"<th>{h}</th>" for h in head)
            + "</tr>" + "".join("<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows)
            + "</table>")
    plain = "\n".join(f"{r[0] or ' '} {r[1]}  {r[2]}  {r[3]}  {r[4]}" for r in rows) or "No sessions."
    display({"text/plain": plain, "text/html": html}, raw=True)
