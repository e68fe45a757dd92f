# mypy: disallow-untyped-decorators=False
"""``%nemo studio``: the studio widget on the current session (or ``--session``)."""
from __future__ import annotations

from argparse import Namespace

from IPython.core.magic_arguments import magic_arguments
from IPython.display import display

from nemo_nb.notebook.commands.base import Context, out_option, session_option
from nemo_nb.notebook.errors import NemoCellError


@magic_arguments("nemo studio")
@out_option
@session_option
def studio(ctx: Context, args: Namespace) -> None:
    """A live studio: type requests, upload, watch the timeline, undo, export and play."""
    if ctx.terminal:
        raise NemoCellError("The studio is a widget: open the notebook in JupyterLab, Notebook 7 or VS Code.")
    session = ctx.session(args.session)
    if args.session:
        ctx.controller.use(args.session)
    from nemo_nb.widgets import Studio

    widget = Studio(ctx.controller, session=session, embed_limit_mb=ctx.options.embed_limit_mb,
                    redraw_hz=ctx.options.redraw_hz)
    ctx.store(args.out, widget)
    display(widget)
