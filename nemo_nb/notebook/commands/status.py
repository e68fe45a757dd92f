# mypy: disallow-untyped-decorators=False
"""``%nemo status`` and ``%nemo credits`` (also ``status`` / ``credits`` in a ``%%nemo`` cell)."""
from __future__ import annotations

from argparse import Namespace
from typing import Any

from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from nemo_nb.notebook._fmt import CARD, MUTED, esc
from nemo_nb.notebook.commands.base import Context, out_option, quiet_option, session_option
from nemo_nb.notebook.errors import NemoCellError


@magic_arguments("nemo status")
@out_option
@session_option
@quiet_option
def status(ctx: Context, args: Namespace) -> None:
    """The timeline: its summary line, picture and table."""
    run_status(ctx, ctx.session(args.session), args.out, ctx.quiet(args.quiet))


def run_status(ctx: Context, session: Any, out: str | None, quiet: bool) -> None:
    from nemo_nb.notebook.timeline import TimelineView

    state = ctx.controller.status(session)
    ctx.store(out, state)
    if not quiet:
        display(TimelineView(state.draft, title=ctx.controller.label(session), media=state.video_infos))


@magic_arguments("nemo credits")
@argument("--add", type=int, metavar="N", help="add N offline credits (the embedded backend only)")
@out_option
@quiet_option
def credits(ctx: Context, args: Namespace) -> None:
    """The credits left (available, frozen by running turns, total); --add N adds offline credits."""
    run_credits(ctx, args.out, ctx.quiet(args.quiet), add=args.add)


def run_credits(ctx: Context, out: str | None, quiet: bool, add: int | None = None) -> None:
    if add is not None and add < 1:
        raise NemoCellError(f"--add {add}: add 1 credit or more.", "For example: %nemo credits --add 100")
    balance = ctx.controller.credits() if add is None else ctx.controller.add_credits(add)
    ctx.store(out, balance)
    if quiet:
        return
    text = f"Credits: {balance}" if add is None else f"Added {add} credit{'' if add == 1 else 's'}. Credits: {balance}"
    extra = ""
    if balance.available == 0:
        extra = ("Out of credits: run %nemo credits --add 100 (offline credits are free)" if ctx.controller.embedded
                 else f"Out of credits: register to get more — {ctx.controller.registration_url()}")
    display({"text/plain": "\n".join(x for x in (text, extra) if x),
             "text/html": f'<div class="nemo-credits" style="{CARD}">{esc(text)}'
                          + (f'<div style="{MUTED}">{esc(extra)}</div>' if extra else "") + "</div>"}, raw=True)
