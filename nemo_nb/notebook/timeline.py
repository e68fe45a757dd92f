"""``%nemo status``: the summary line, the timeline picture (``notebook/picture.py``) and the segments table.

Static HTML that needs no style to read right (an untrusted notebook and GitHub drop styles and SVG): the
picture is an ``<img>`` and comes again as ``image/png`` in the same output; the table is a plain
``<table>``, names, kinds, times and labels first, no internal ids.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_nb.draft import Draft
from nemo_nb.notebook._fmt import MUTED, esc, md_esc
from nemo_nb.notebook.picture import timeline_picture

if TYPE_CHECKING:  # pragma: no cover
    from nemo_nb.transcript import Transcript

TABLE_ROWS = 60
OPEN_TABLE_ROWS = 12     # a short table shows open; a longer one folded under its summary
LABEL_MIN_EM = 16        # the label column keeps room to read (where styles are kept)


def segments_table_html(draft: Draft, max_rows: int = TABLE_ROWS) -> str:
    """The segments DataFrame as a plain HTML table (user text escaped by pandas), "" when empty."""
    df = draft.segments_df()
    if not len(df):
        return ""
    table = str(df.to_html(index=False, border=0, max_rows=max_rows, classes="nemo-segments", na_rep=""))
    return table.replace("<th>label</th>", f'<th style="min-width:{LABEL_MIN_EM}em">label</th>', 1)


class TimelineView:
    """The summary line, the picture and the segments table of a draft."""

    def __init__(self, draft: Draft, *, title: str = "", media: list[dict[str, Any]] | None = None,
                 width: int = 720, table: bool = True, transcript: Transcript | None = None):
        self.draft = draft
        self.transcript = transcript
        self.title = title
        self.media = media or []
        self.width = width
        self.table = table

    def _media_line(self) -> str:
        names = [str(m.get("filename", "?")) for m in self.media if isinstance(m, dict)]
        return f"Media: {', '.join(names)}" if names else ""

    def bundle(self) -> tuple[dict[str, str], dict[str, Any]]:
        """(data, metadata): HTML, Markdown, plain text and the picture as ``image/png``."""
        summary = self.draft.summary()
        picture = timeline_picture(self.draft, self.width, self.transcript)
        parts = ['<div class="nemo-timeline-view" style="font:13px sans-serif;margin:4px 0">']
        if self.title:
            parts.append(f'<div style="{MUTED}">{esc(self.title)}</div>')
        parts.append(f'<div class="nemo-summary" style="margin:2px 0 6px">{esc(summary)}</div>')
        parts.append(f"<div>{picture.img(summary)}</div>")
        if picture.skipped:
            parts.append(f'<div style="{MUTED}">+{picture.skipped} segments not drawn (the table has them)</div>')
        media = self._media_line()
        if media:
            parts.append(f'<div style="{MUTED}">{esc(media)}</div>')
        plain = [self.title, summary, media] if self.title else [summary, media]
        df = self.draft.segments_df() if self.table else None
        if df is not None and len(df):
            opened = " open" if len(df) <= OPEN_TABLE_ROWS else ""
            parts.append(f'<details{opened}><summary style="cursor:pointer;{MUTED}">{len(df)} segment'
                         f'{"" if len(df) == 1 else "s"}</summary>{segments_table_html(self.draft)}</details>')
            plain.append(df.to_string(index=False, max_rows=TABLE_ROWS, na_rep=""))
        parts.append("</div>")
        md = "\n\n".join(x for x in (f"*{md_esc(self.title)}*" if self.title else "", md_esc(summary),
                                     md_esc(media)) if x)
        data = {"text/plain": "\n".join(p for p in plain if p), "text/html": "".join(parts), "text/markdown": md,
                "image/png": picture.b64}
        return data, picture.metadata()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, str], dict[str, Any]]:
        return self.bundle()

    def __repr__(self) -> str:
        return self.draft.summary()
