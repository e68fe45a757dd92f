"""``%nemo transcript``: what the session's clip says — a summary, the timeline picture with a transcript lane,
and the segments with their times and confidence. Static HTML, Markdown, text and the picture as ``image/png``:
it reads the same in a saved, untrusted notebook (``notebook/picture.py``)."""
from __future__ import annotations

from typing import Any

from nemo_nb.draft import Draft
from nemo_nb.notebook._fmt import MUTED, esc, md_esc
from nemo_nb.notebook.picture import timeline_picture
from nemo_nb.notebook.timeline import OPEN_TABLE_ROWS
from nemo_nb.transcript import Transcript

TABLE_ROWS = 200


def clock(ms: int) -> str:
    seconds = ms / 1000
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


class TranscriptView:
    """A transcript (on the timeline of ``draft``) as a summary line, a picture and a table."""

    def __init__(self, transcript: Transcript, draft: Draft | None = None, *, title: str = "", width: int = 720):
        self.transcript = transcript
        self.draft = draft if draft is not None else Draft()
        self.title = title
        self.width = width

    def summary(self) -> str:
        t = self.transcript
        words = len(t.words)
        where = f" of {t.filename}" if t.filename else ""
        capped = " (only the first part was heard)" if t.truncated else ""
        return (f"Transcript{where}: {len(t.segments)} segment{'s' if len(t.segments) != 1 else ''}, {words} "
                f"word{'s' if words != 1 else ''}, language {t.language}, model {t.model or '?'}{capped}")

    def lines(self) -> list[str]:
        return [f"[{clock(s.start_ms)}–{clock(s.end_ms)}] {s.text}" for s in self.transcript.segments]

    def bundle(self) -> tuple[dict[str, str], dict[str, Any]]:
        """(data, metadata): HTML, Markdown, plain text and the picture as ``image/png``."""
        summary = self.summary()
        picture = timeline_picture(self.draft, self.width, self.transcript)
        rows = "".join(f"<tr><td>{esc(clock(s.start_ms))}</td><td>{esc(clock(s.end_ms))}</td>"
                       f"<td style=\"text-align:left\">{esc(s.text)}</td><td>{s.confidence:.0%}</td></tr>"
                       for s in self.transcript.segments[:TABLE_ROWS])
        more = len(self.transcript.segments) - TABLE_ROWS
        note = f'<div style="{MUTED}">+{more} more segments: see .segments_df()</div>' if more > 0 else ""
        opened = " open" if len(self.transcript.segments) <= OPEN_TABLE_ROWS else ""
        html = ['<div class="nemo-transcript" style="font:13px sans-serif;margin:4px 0">']
        if self.title:
            html.append(f'<div style="{MUTED}">{esc(self.title)}</div>')
        html.append(f'<div style="margin:2px 0 6px">{esc(summary)}</div>')
        html.append(f"<div>{picture.img(summary)}</div>")
        html.append(f'<details{opened}><summary style="cursor:pointer;{MUTED}">the words</summary>'
                    '<table class="nemo-transcript-table"><thead><tr><th>start</th><th>end</th><th>text</th>'
                    f'<th>confidence</th></tr></thead><tbody>{rows}</tbody></table>{note}</details></div>')
        text = "\n".join(x for x in (self.title, summary, *self.lines()) if x)
        markdown = "\n\n".join(x for x in (md_esc(self.title), md_esc(summary),
                                           "\n".join(f"- {md_esc(line)}" for line in self.lines())) if x)
        data = {"text/plain": text, "text/html": "".join(html), "text/markdown": markdown, "image/png": picture.b64}
        return data, picture.metadata()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, str], dict[str, Any]]:
        return self.bundle()

    def __repr__(self) -> str:
        return self.summary()
