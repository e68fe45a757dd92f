# mypy: disallow-untyped-decorators=False
"""``%%nemo``: the cell is one message. Short commands (export, credits, status, upload) are handled
right here; everything else streams from the agent into a live reply."""
from __future__ import annotations

from argparse import Namespace
from typing import Any

from IPython.core.magic_arguments import magic_arguments

from nemo_nb.notebook.commands.base import Context, out_option, quiet_option, session_option
from nemo_nb.notebook.commands.export import run_export
from nemo_nb.notebook.commands.status import run_credits, run_status
from nemo_nb.notebook.commands.upload import run_upload
from nemo_nb.notebook.errors import NemoCellError, short


@magic_arguments("%nemo")
@out_option
@session_option
@quiet_option
def message(ctx: Context, args: Namespace, cell: str) -> None:
    """The cell is one message; {{var}} inserts a Python value."""
    text = ctx.controller.template(cell, ctx.namespace).strip()
    if not text:
        raise NemoCellError("The cell is empty.", "Write the message under %%nemo, e.g. 'add my clip to the timeline'.")
    session = ctx.session(args.session)
    quiet = ctx.quiet(args.quiet)
    from nemo_nb.routing import route

    intent = route(text)
    if intent.action == "export":
        return run_export(ctx, session, None, False, args.out, quiet)
    if intent.action == "credits":
        return run_credits(ctx, args.out, quiet)
    if intent.action == "status":
        return run_status(ctx, session, args.out, quiet)
    if intent.action == "upload":
        if not intent.paths:
            raise NemoCellError("Say which file to upload.", "For example: upload clip.mp4")
        return run_upload(ctx, session, list(intent.paths), args.out, quiet)
    return send(ctx, session, text, args.out, quiet)


def send(ctx: Context, session: Any, text: str, out: str | None, quiet: bool) -> None:
    from nemo_nb.notebook.live import LiveReply
    from nemo_nb.notebook.picture import timeline_picture

    c, options = ctx.controller, ctx.options
    live = None if quiet else LiveReply(text, rate=options.redraw_hz, header=c.label(session), display=ctx.live).start()
    try:
        reply = c.send(session, text, on_event=live.on_event if live else None,
                       on_still_working=live.on_still_working if live else None)
    except KeyboardInterrupt:
        if live:
            live.fail("Interrupted. The message was not re-sent; the turn may still finish on the server "
                      "(check with %nemo status).")
        raise
    except BaseException as exc:
        if live:
            live.fail(str(short(exc)).split("\n")[0])
        raise
    ctx.store(out, reply)
    if live is None:
        return
    # The picture of the new timeline; its summary line is %nemo status's (not repeated under every reply).
    shown = options.show_timeline and reply.changes and reply.draft_after is not None
    live.finish(reply, timeline=timeline_picture(reply.draft_after) if shown else None)
