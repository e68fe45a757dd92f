# mypy: disallow-untyped-decorators=False
"""``%nemo voices``: which voice speaks each language and gender, neural or the robotic fallback synth."""
from __future__ import annotations

from argparse import Namespace
from typing import Any

from IPython.core.magic_arguments import magic_arguments
from IPython.display import display

from nemo_nb.notebook._fmt import CARD, MUTED, esc
from nemo_nb.notebook.commands.base import Context, out_option, quiet_option

NEURAL = "color:#1a7f37;font-weight:600"
FALLBACK = "color:#b35900"
CELL = "padding:2px 10px 2px 0;text-align:left"
HOW_TO_ADD = ("Add a neural voice: put a Piper voice (NAME.onnx and NAME.onnx.json) in {where}; its language comes "
              "from the .onnx.json, its gender from a \"gender\" key there or the word female/male in the file name. "
              "Then run %nemo voices again.")


@magic_arguments("nemo voices")
@out_option
@quiet_option
def voices(ctx: Context, args: Namespace) -> None:
    """Which voice speaks each language and gender: neural, or the robotic fallback synth (espeak-ng)."""
    found = ctx.controller.voices()
    ctx.store(args.out, found)
    if not ctx.quiet(args.quiet):
        display(voices_bundle(found), raw=True)


def voices_bundle(found: Any) -> dict[str, str]:
    """The voice table as plain text and HTML (inline styles only: it reads the same in an untrusted notebook)."""
    where = " or ".join(found.folders) if found.folders else "a voices folder under the data directory"
    hint = HOW_TO_ADD.format(where=where)
    neural = len(found.neural)
    head = f"Voices: {neural} of {len(found.choices)} language/gender pairs speak with a neural voice."
    text = "\n".join([head, str(found), hint])
    rows = "".join(
        f'<tr><td style="{CELL}">{esc(c.language_name)}</td><td style="{CELL}">{esc(c.gender)}</td>'
        f'<td style="{CELL}">{esc(c.label)}</td><td style="{CELL};{NEURAL if c.neural else FALLBACK}">'
        f'{"neural" if c.neural else "robotic fallback synth"}</td></tr>' for c in found.choices)
    problems = "".join(f'<div style="{MUTED}">not used: {esc(p)}</div>' for p in found.problems)
    html = (f'<div class="nemo-voices" style="{CARD}"><div>{esc(head)}</div>'
            f'<table style="border-collapse:collapse;margin:4px 0"><tr>'
            + "".join(f'<th style="{CELL}">{h}</th>' for h in ("language", "gender", "voice", "kind"))
            + f"</tr>{rows}</table>{problems}<div style=\"{MUTED}\">{esc(hint)}</div></div>")
    return {"text/plain": text, "text/html": html}
