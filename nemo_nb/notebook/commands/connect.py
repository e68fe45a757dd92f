# mypy: disallow-untyped-decorators=False
"""``%nemo connect`` and ``%nemo disconnect``."""
from __future__ import annotations

import atexit
from argparse import Namespace

from IPython.core.magic_arguments import argument, magic_arguments
from IPython.display import display

from nemo_nb.notebook._fmt import CARD, MUTED, esc, md_esc
from nemo_nb.notebook.commands.base import Context

_closing_at_exit: set[int] = set()


@magic_arguments("nemo connect")
@argument("--local", action="store_true", help="start the embedded backend (offline)")
@argument("--url", help="API base URL (default: NEMO_API_URL or the cloud)")
@argument("--skill", help="skill profile for the attribution headers")
@argument("--language", help="language of new sessions, e.g. en")
@argument("--data-dir", help="the embedded backend's data folder (default: NEMO_DATA_DIR)")
def connect(ctx: Context, args: Namespace) -> None:
    """Connect to the embedded backend (--local, offline) or the cloud; a new session is in use."""
    c = ctx.controller
    session = c.connect(local=args.local, url=args.url, skill=args.skill or ctx.options.skill,
                        language=args.language or ctx.options.language, data_dir=args.data_dir,
                        backend_options=dict(ctx.options.backend_options))
    if id(c) not in _closing_at_exit:
        atexit.register(c.close)
        _closing_at_exit.add(id(c))
    client = c.client
    where = (f"the embedded backend at {client.api_url} (offline; data in {client.local_data_dir})"
             if args.local else client.api_url)
    text = f"Connected to {where} · skill {client.skill} · {c.label(session)} is in use."
    next_step = "Next: %nemo upload PATH, then a %%nemo cell with what you want."
    display({"text/plain": f"{text}\n{next_step}", "text/markdown": f"{md_esc(text)}\n\n{md_esc(next_step)}",
             "text/html": f'<div class="nemo-connect" style="{CARD}">✓ {esc(text)}'
                          f'<div style="{MUTED}">{esc(next_step)}</div></div>'}, raw=True)


@magic_arguments("nemo disconnect")
def disconnect(ctx: Context, args: Namespace) -> None:
    """Close the connection (stopping an embedded backend); the notebook forgets its sessions."""
    was = ctx.controller.connected
    ctx.controller.close()
    display({"text/plain": "Disconnected." if was else "Not connected."}, raw=True)
