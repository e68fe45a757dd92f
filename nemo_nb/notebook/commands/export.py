# mypy: disallow-untyped-decorators=False
"""``%nemo export`` and ``%nemo claim`` (also ``export`` in a ``%%nemo`` cell)."""
from __future__ import annotations

from argparse import Namespace
from typing import Any

from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from nemo_nb.notebook.commands.base import Context, out_option, quiet_option, session_option
from nemo_nb.notebook.errors import NemoCellError


@magic_arguments("nemo export")
@argument("--to", metavar="PATH", help="where to save the MP4")
@argument("--resume", action="store_true", help="pick up a render started earlier")
@out_option
@session_option
@quiet_option
def export(ctx: Context, args: Namespace) -> None:
    """Render the timeline to an MP4, then show it (embedded up to embed_limit_mb)."""
    run_export(ctx, ctx.session(args.session), args.to, args.resume, args.out, ctx.quiet(args.quiet))


def run_export(ctx: Context, session: Any, to: str | None, resume: bool, out: str | None, quiet: bool, *,
               preview: bool = False) -> None:
    """Render with a progress bar, then show the video; ``preview``: a quick small look, shown as one."""
    from nemo_nb.notebook.preview import ExportView, ProgressView

    c = ctx.controller
    path = c.export_path(session, to, resume)
    label = "Rendering a preview" if preview else "Rendering"
    bar = None if quiet else ProgressView(label, rate=ctx.options.redraw_hz, display=ctx.live).start()
    try:
        result = c.export(session, path, progress=(lambda pct: bar.update(pct / 100)) if bar else None,
                          resume=resume, preview=preview)
    except BaseException as exc:
        if bar:
            bar.fail(str(exc).split("\n")[0][:200])
        raise
    ctx.store(out, result)
    if bar is None:
        return
    bar.replace(ExportView(result, limit_mb=ctx.options.embed_limit_mb).bundle())
    if ctx.options.claim_link and not preview and not ctx.controller.embedded:  # claiming is a cloud feature
        show_claim(ctx, session)


@magic_arguments("nemo claim")
@session_option
def claim(ctx: Context, args: Namespace) -> None:
    """A button that opens the workspace claim link (never saved in the notebook)."""
    show_claim(ctx, ctx.session(args.session), explicit=True)


def show_claim(ctx: Context, session: Any, explicit: bool = False) -> None:
    """The claim button (a live widget: the link, which holds a claim code, is never saved in an
    output). In a terminal there is no notebook to save: the link is printed when asked for."""
    if ctx.terminal:
        if explicit:
            print(f"Claim link (one-time code, valid 7 days): {session.claim_link()}")
        return
    try:
        from nemo_nb.notebook.preview import ClaimButton

        button = ClaimButton(session.claim_link)
    except ImportError:
        if explicit:
            raise NemoCellError("The claim button needs ipywidgets.", "pip install ipywidgets") from None
        return
    display(button)
