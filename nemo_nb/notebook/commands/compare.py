# mypy: disallow-untyped-decorators=False
"""``%%nemo compare`` (one prompt per line) and ``%nemo compare --from VAR``."""
from __future__ import annotations

from argparse import Namespace

from IPython.core.magic_arguments import argument, magic_arguments

from nemo_nb.notebook.commands.base import Context, out_option, quiet_option, session_option
from nemo_nb.notebook.errors import NemoCellError


@magic_arguments("%nemo compare")
@argument("--from", dest="source", metavar="VAR",
          help="a variable holding a list of prompts (%%nemo compare --from VAR)")
@argument("--no-export", action="store_true", help="compare replies and timelines only")
@argument("--widget", action="store_true", help="show the variants in the compare widget (synced play)")
@out_option
@session_option
@quiet_option
def compare(ctx: Context, args: Namespace, cell: str | None = None) -> None:
    """One prompt per line, each in its own new session with the same uploads, run concurrently."""
    from nemo_nb.notebook.compare import CompareResult, CompareStatus

    prompts = _prompts(ctx, args, cell)
    c = ctx.controller
    base = ctx.session(args.session)
    c.compare_paths(base)  # fail before anything runs when a file is gone
    quiet = ctx.quiet(args.quiet)
    status = None if quiet else CompareStatus(prompts, rate=ctx.options.redraw_hz, display=ctx.live).start()
    notify = status.set if status else None
    comparison = c.compare(prompts, base, export=not args.no_export, notify=notify)
    result = CompareResult.of(comparison, limit_mb=ctx.options.embed_limit_mb)
    ctx.store(args.out, result)
    if status:
        if args.widget and not ctx.terminal:
            from nemo_nb.widgets import CompareWidget

            status.replace({"text/plain": f"{len(result.variants)} variants: see the widget below."})
            from IPython.display import display

            display(CompareWidget(result, controller=c))
        else:
            status.replace(*result.bundle())
    if result.failed:
        first = result.failed[0]
        raise NemoCellError(f"{len(result.failed)} of {len(result.variants)} variants failed "
                            f"(variant {first.index + 1}: {(first.error or '').splitlines()[0]}).",
                            "The grid above shows every variant; the others finished.")


def _prompts(ctx: Context, args: Namespace, cell: str | None) -> list[str]:
    ns = ctx.namespace
    if cell is None and not args.source:
        raise NemoCellError("%nemo compare needs prompts.",
                            "Use a %%nemo compare cell with one prompt per line, or %nemo compare --from VAR.")
    if args.source:
        if cell and cell.strip():
            raise NemoCellError("Give the prompts either in the cell or with --from, not both.")
        if args.source not in ns:
            raise NemoCellError(f"--from {args.source}: there is no variable {args.source} in the notebook.")
        value = ns[args.source]
        if isinstance(value, str) or not isinstance(value, (list, tuple)) or \
                not all(isinstance(p, str) for p in value):
            raise NemoCellError(f"--from {args.source}: expected a list of prompts (strings).")
        prompts = [ctx.controller.template(p, ns).strip() for p in value]
    else:
        prompts = [ctx.controller.template(line, ns).strip() for line in (cell or "").splitlines()]
        prompts = [p for p in prompts if p and not p.startswith("#")]
    prompts = [p for p in prompts if p]
    if not prompts:
        raise NemoCellError("No prompts to compare.", "Write one prompt per line under %%nemo compare.")
    return prompts

