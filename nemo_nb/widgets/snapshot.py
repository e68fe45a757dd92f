"""Static pieces of the widgets' saved snapshots: the timeline picture, and the export's poster.

Untrusted notebooks drop SVG and every ``<style>``/``<script>``; a PNG in an ``<img>`` (and as
``image/png``) survives everywhere, so the snapshots use the one timeline drawing of
``nemo_nb.notebook.picture``.
"""
from __future__ import annotations

import base64

from nemo_nb.draft import Draft
from nemo_nb.notebook._fmt import MUTED, esc
from nemo_nb.notebook.picture import Picture, timeline_picture


def timeline_snapshot(draft: Draft, width: int = 720) -> tuple[str, Picture]:
    """(the summary line and the timeline picture as HTML, the ``Picture`` for ``image/png``)."""
    summary = draft.summary()
    picture = timeline_picture(draft, width)
    html = (f'<div class="nemo-timeline-view" style="font:13px sans-serif;margin:4px 0">'
            f'<div class="nemo-summary" style="{MUTED}">{esc(summary)}</div>'
            f"<div>{picture.img(summary)}</div></div>")
    return html, picture


def poster_html(poster: bytes | None, caption: str) -> str:
    """The export's poster frame and its caption (no video: a saved snapshot stays small)."""
    image = (f'<img class="nemo-poster" alt="{esc(caption)}" style="max-width:100%;max-height:240px" '
             f'src="data:image/png;base64,{base64.b64encode(poster).decode("ascii")}">' if poster else "")
    return f'<div class="nemo-export" style="margin:4px 0">{image}<div style="{MUTED}">▶ {esc(caption)}</div></div>'
