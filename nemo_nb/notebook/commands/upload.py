# mypy: disallow-untyped-decorators=False
"""``%nemo upload PATH…`` (also ``upload PATH`` in a ``%%nemo`` cell)."""
from __future__ import annotations

from argparse import Namespace
from typing import Any

from IPython.core.magic_arguments import argument, magic_arguments

from nemo_nb.notebook._fmt import CARD, MUTED, esc, seconds_text
from nemo_nb.notebook.commands.base import Context, out_option, quiet_option, session_option
from nemo_nb.notebook.controller import expand_paths


@magic_arguments("nemo upload")
@argument("paths", nargs="+", help="files to upload (globs work)")
@out_option
@session_option
@quiet_option
def upload(ctx: Context, args: Namespace) -> None:
    """Upload media (video, image, audio) or a script to the session."""
    run_upload(ctx, ctx.session(args.session), args.paths, args.out, ctx.quiet(args.quiet))


def run_upload(ctx: Context, session: Any, raw_paths: list[str] | tuple[str, ...], out: str | None,
               quiet: bool) -> None:
    from nemo_nb.notebook.preview import ProgressView

    c = ctx.controller
    names = ", ".join(p.name for p in expand_paths(list(raw_paths)))
    bar = None if quiet else ProgressView(f"Uploading {names}", rate=ctx.options.redraw_hz, display=ctx.live).start()
    try:
        files = c.upload(session, list(raw_paths),
                         progress=(lambda sent, total: bar.update(sent / total if total else 1)) if bar else None)
    except BaseException as exc:
        if bar:
            bar.fail(str(exc).split("\n")[0][:200])
        raise
    ctx.store(out, files)
    if bar:
        bar.replace(uploads_bundle(files, c.label(session)))


def uploads_bundle(files: list[Any], label: str) -> dict[str, str]:
    """What was uploaded: name, type, duration, size, frame rate."""
    rows = []
    for f in files:
        dims = f"{f.width}×{f.height}" if f.width and f.height else ""
        rows.append((f.filename, f.file_type, seconds_text(f.duration) if f.duration else "", dims,
                     f"{f.fps:g} fps" if f.fps else ""))
    head = f"Uploaded to {label}:"
    html = (f'<div class="nemo-upload" style="{CARD}"><div style="{MUTED}">{esc(head)}</div>'
            '<table style="font:13px sans-serif">' + "".join(
                "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in r) + "</tr>" for r in rows) + "</table></div>")
    plain = head + "\n" + "\n".join("  " + "  ".join(c for c in r if c) for r in rows)
    return {"text/plain": plain, "text/html": html}
