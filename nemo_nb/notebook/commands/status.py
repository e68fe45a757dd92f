# mypy: disallow-untyped-decorators=False
"""``%nemo status`` and ``%nemo credits`` (also ``status`` / ``credits`` in a ``%%nemo`` cell)."""
from __future__ import annotations

from argparse import Namespace
from typing import Any

from IPython.core.magic_arguments import magic_arguments
from IPython.display import display

from nemo_nb.notebook._fmt import CARD, MUTED, esc
from nemo_nb.notebook.commands.base import Context, out_option, quiet_option, session_option


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
@out_option
@quiet_option
def credits(ctx: Context, args: Namespace) -> None:
    """The credits left (available, frozen by running turns, total)."""
    run_credits(ctx, args.out, ctx.quiet(args.quiet))


def run_credits(ctx: Context, out: str | None, quiet: bool) -> None:
    balance = ctx.controller.credits()
    ctx.store(out, balance)
    if quiet:
        return
    text = f"Credits: {balance}"
    extra = f"Out of credits: register to get more — {ctx.controller.registration_url()}" \
        if balance.available == 0 else ""
    display({"text/plain": "\n".join(x for x in (text, extra) if x),
             "text/html": f'<div class="nemo-credits" style="{CARD}">{esc(text)}'
                          + (f'<div style="{MUTED}">{esc(extra)}</div>' if extra else "") + "</div>"}, raw=True)
