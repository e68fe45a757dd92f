# mypy: disallow-untyped-decorators=False
"""``%nemo preview [PATH]``: a quick small render of the timeline to look at, marked as a preview."""
from __future__ import annotations

from argparse import Namespace

from IPython.core.magic_arguments import argument, magic_arguments

from nemo_nb.notebook.commands.base import Context, out_option, quiet_option, session_option
from nemo_nb.notebook.commands.export import run_export


@magic_arguments("nemo preview")
@argument("path", nargs="?", metavar="PATH",
          help="where to save it (saved as <name>.preview.mp4; default: the export folder)")
@out_option
@session_option
@quiet_option
def preview(ctx: Context, args: Namespace) -> None:
    """A quick look: a small render (at most 540p) shown as a preview, never the final export."""
    run_export(ctx, ctx.session(args.session), args.path, False, args.out, ctx.quiet(args.quiet), preview=True)
