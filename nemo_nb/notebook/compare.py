"""The compare grid: one column per variant (prompt, reply, timeline picture, video, credits, time).

The run itself is client API (``nemo_nb.api.compare``: ``Nemo.compare``); ``CompareResult`` is its
``Comparison`` with a poster frame per export and the static views. ``CompareStatus`` shows the
variants' progress while they run.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from nemo_nb.api.compare import Comparison
from nemo_nb.notebook._fmt import MUTED, esc, md_esc, seconds_text, size_text, text_html
from nemo_nb.notebook.picture import stacked_pictures, timeline_picture
from nemo_nb.notebook.preview import poster_png, video_html

COLUMN_PX = 360  # a variant's timeline picture


class CompareResult(Comparison):
    """The variants side by side; ``df`` is a DataFrame of the results."""

    limit_mb: float = 10.0

    @classmethod
    def of(cls, comparison: Comparison, *, limit_mb: float = 10.0, posters: bool = True) -> CompareResult:
        """``comparison`` as a view, with a poster frame of each export (made in parallel)."""
        result = cls(comparison.variants, comparison.wall_seconds, comparison.credits_total, comparison.media)
        result.limit_mb = limit_mb
        exported = [v for v in result.variants if v.export is not None and v.poster is None]
        if posters and exported:
            with ThreadPoolExecutor(max_workers=min(4, len(exported))) as pool:
                frames = pool.map(lambda v: poster_png(v.export.path, v.export.duration), exported)
                for v, frame in zip(exported, frames, strict=True):
                    v.poster = frame
        return result

    def _column(self, v: Any) -> str:
        """One variant as a table cell: a cell keeps its column where every style is stripped."""
        parts = ['<td class="nemo-variant" style="vertical-align:top;border:1px solid #ddd;padding:8px;'
                 'min-width:220px;text-align:left">',
                 f'<div style="{MUTED}">Variant {v.index + 1} · session {esc(v.session_id or "–")}</div>',
                 f'<div class="nemo-prompt" style="margin:4px 0"><b>{text_html(v.prompt)}</b></div>']
        if v.error:
            parts.append(f'<div style="color:#c0392b">✗ {esc(v.error)}</div>')
        if v.reply is not None:
            parts.append(f'<div class="nemo-text" style="max-height:12em;overflow:auto">'
                         f'{text_html(v.reply.text)}</div>')
        if v.draft is not None and not v.draft.tracks:
            parts.append(f'<div style="{MUTED};margin-top:6px">The timeline is empty.</div>')
        elif v.draft is not None:
            picture = timeline_picture(v.draft, COLUMN_PX)
            parts.append(f'<div style="margin-top:6px">{picture.img(v.draft.summary())}</div>')
        if v.export is not None:
            element, _ = video_html(v.export, self.limit_mb, v.poster, max_height=200)
            parts.append(f'<div style="margin-top:6px">{element}</div>')
        credits = "?" if v.credits_used is None else f"{'' if v.credits_exact else '≈'}{v.credits_used}"
        facts = [f"credits used: {credits}", f"time: {seconds_text(v.seconds)}"]
        if v.export is not None:
            facts.append(f"{seconds_text(v.export.duration)}, {size_text(v.export.size)}")
        parts.append(f'<div style="{MUTED};margin-top:4px">{esc(" · ".join(facts))}</div></td>')
        return "".join(parts)

    def bundle(self) -> tuple[dict[str, str], dict[str, Any]]:
        """(data, metadata): the grid as a table, Markdown, plain text, and every variant's timeline
        stacked in one ``image/png``."""
        head = (f"{len(self.variants)} variants in {seconds_text(self.wall_seconds)}"
                + (f" · {self.credits_total} credits in all" if self.credits_total is not None else "")
                + (f" · media: {', '.join(self.media)}" if self.media else " · no media uploaded"))
        df = self.df
        html = ['<div class="nemo-compare" style="font:13px sans-serif;margin:4px 0">',
                f'<div style="{MUTED};margin-bottom:4px">{esc(head)}</div>',
                '<div style="overflow-x:auto"><table class="nemo-compare-grid" style="border-collapse:separate;'
                'border-spacing:8px 0;table-layout:fixed"><tr>',
                *(self._column(v) for v in self.variants), "</tr></table></div>",
                df.drop(columns=["reply", "timeline"]).to_html(index=False, border=0, classes="nemo-compare-table",
                                                               na_rep=""),
                "</div>"]
        plain = [head]
        for v in self.variants:
            status = f"✗ {v.error}" if v.error else (v.reply.text if v.reply is not None else "")
            plain.append(f"[{v.index + 1}] {v.prompt}\n    {status}\n    credits {v.credits_used}, "
                         f"{seconds_text(v.seconds)}" + (f", {v.export.path}" if v.export is not None else ""))
        md = [md_esc(head)] + [f"**{v.index + 1}. {md_esc(v.prompt)}** — "
                               + (f"✗ {md_esc(v.error)}" if v.error else md_esc(v.reply.text if v.reply else ""))
                               for v in self.variants]
        data = {"text/plain": "\n".join(plain), "text/html": "".join(html), "text/markdown": "\n\n".join(md)}
        drafts = [(f"Variant {v.index + 1}: {v.prompt.splitlines()[0][:80] if v.prompt else ''}", v.draft)
                  for v in self.variants if v.draft is not None and v.draft.tracks]
        if not drafts:
            return data, {}
        picture = stacked_pictures(drafts)
        data["image/png"] = picture.b64
        return data, picture.metadata()

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> tuple[dict[str, str], dict[str, Any]]:
        return self.bundle()


class CompareStatus:
    """The live status lines of a running compare, in one throttled display slot."""

    def __init__(self, prompts: Sequence[str], *, rate: float = 10.0, display: Callable[..., Any] | None = None):
        from nemo_nb.notebook._fmt import Throttle

        self.prompts = list(prompts)
        self.status = ["queued"] * len(self.prompts)
        self._display = display
        self._throttle = Throttle(rate)
        self.handle: Any = None

    def _bundle(self) -> dict[str, str]:
        rows = "".join(f"<tr><td>{i + 1}</td><td>{esc(p[:80])}</td><td>{esc(s)}</td></tr>"
                       for i, (p, s) in enumerate(zip(self.prompts, self.status, strict=True)))
        pairs = list(enumerate(zip(self.prompts, self.status, strict=True)))
        plain = "\n".join(f"[{i + 1}] {s} — {p[:60]}" for i, (p, s) in pairs)
        return {"text/plain": plain,
                "text/html": f'<table class="nemo-compare-status" style="font:13px sans-serif">{rows}</table>'}

    def start(self) -> CompareStatus:
        display = self._display
        if display is None:
            from IPython.display import display as ipython_display

            display = ipython_display
        self.handle = display(self._bundle(), raw=True, display_id=True)
        return self

    def set(self, index: int, status: str) -> None:
        self.status[index] = status
        if self.handle is not None and self._throttle.ready():
            self.handle.update(self._bundle(), raw=True)

    def replace(self, bundle: dict[str, str], metadata: dict[str, Any] | None = None) -> None:
        if self.handle is not None:
            self.handle.update(bundle, raw=True, **({"metadata": metadata} if metadata else {}))
