# mypy: disallow-untyped-decorators=False
"""``%nemo transcript``: what the session's clip says — the timeline picture with a transcript lane and the
segments with their times and confidence."""
from __future__ import annotations

from argparse import Namespace

from IPython.core.magic_arguments import magic_arguments
from IPython.display import display

from nemo_nb.notebook.commands.base import Context, out_option, quiet_option, session_option


@magic_arguments("nemo transcript")
@out_option
@session_option
@quiet_option
def transcript(ctx: Context, args: Namespace) -> None:
    """What the clip says: times, text, confidence (``--out`` keeps the Transcript: .segments_df(), .words_df())."""
    from nemo_nb.notebook.transcript_view import TranscriptView

    session = ctx.session(args.session)
    heard = ctx.controller.transcript(session)
    ctx.store(args.out, heard)
    if not ctx.quiet(args.quiet):
        display(TranscriptView(heard, session.draft, title=ctx.controller.label(session)))
