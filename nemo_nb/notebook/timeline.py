"""The timeline as a picture: tracks as lanes, segments as labelled bars on a time axis.

Inline SVG, no JavaScript, every piece of user text escaped; it renders in JupyterLab, nbviewer,
GitHub and a plain browser. ``TimelineView`` adds the summary line and the segments DataFrame.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from nemo_nb.draft import AUDIO, TEXT, VIDEO, Draft
from nemo_nb.notebook._fmt import MUTED, esc, md_esc

if TYPE_CHECKING:  # pragma: no cover
    from nemo_nb.transcript import Transcript

LABEL_W, RIGHT_PAD, TOP_PAD = 96, 14, 6
LANE_H, LANE_GAP, AXIS_H = 24, 6, 22
MAX_BARS = 2000          # bars drawn; the rest are counted in a note (the table has them all)
TABLE_ROWS = 60
OPEN_TABLE_ROWS = 12     # a short table shows open; a longer one folded under its summary
CHAR_W = 6.4             # rough width of one 11 px sans-serif character
NICE_STEPS_S = (0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
COLOURS = {
    "video": "#3b6fc4", "image": "#6a5acd", "voiceover": "#2e9467", "music": "#b7791f", "audio": "#2e9467",
    "title": "#c2542e", "caption": "#a0417a", "text": "#c2542e",
}
TYPE_COLOURS = {VIDEO: "#3b6fc4", AUDIO: "#2e9467", TEXT: "#c2542e"}
TRANSCRIPT_COLOUR = "#55606e"


def tick_step(total_s: float, max_ticks: int = 8) -> float:
    return next((s for s in NICE_STEPS_S if total_s / s <= max_ticks), NICE_STEPS_S[-1])


def tick_label(t: float, step: float) -> str:
    if t >= 60 and step >= 60:
        return f"{int(t // 60)}:{int(t % 60):02d}"
    return f"{t:g}s"


def _fit(label: str, width: float) -> str:
    """The label cut to fit ``width`` pixels (with an ellipsis), or "" when nothing fits."""
    room = int((width - 8) / CHAR_W)
    if room < 2:
        return ""
    return label if len(label) <= room else label[: room - 1] + "…"


def timeline_svg(draft: Draft, width: int = 720, transcript: Transcript | None = None) -> str:
    """``draft`` as an inline ``<svg class="nemo-timeline">``; with ``transcript`` (on the timeline), a last
    lane of what is said: one bar per segment, its text and confidence in the tooltip."""
    tracks = draft.tracks
    said = list(transcript.segments) if transcript is not None else []
    width = max(240, int(width))
    lanes = max(1, len(tracks)) + (transcript is not None)
    height = TOP_PAD + lanes * (LANE_H + LANE_GAP) + AXIS_H
    total_ms = max(draft.duration_ms, max((s.end_ms for _, s in draft.segments()), default=0),
                   max((s.end_ms for s in said), default=0), 1000)
    plot_w = width - LABEL_W - RIGHT_PAD
    scale = plot_w / total_ms
    out = [(f'<svg class="nemo-timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img" aria-label="{esc(draft.summary())}" '
            'style="font-family:sans-serif;font-size:11px;max-width:100%;height:auto">')]
    axis_y = TOP_PAD + lanes * (LANE_H + LANE_GAP)
    step = tick_step(total_ms / 1000)
    t = 0.0
    while t * 1000 <= total_ms + 1e-6:
        x = LABEL_W + t * 1000 * scale
        out.append(f'<line x1="{x:.1f}" y1="{TOP_PAD}" x2="{x:.1f}" y2="{axis_y}" stroke="#e3e3e3"/>')
        out.append(f'<text x="{x:.1f}" y="{axis_y + 15}" text-anchor="middle" fill="#666">'
                   f'{esc(tick_label(t, step))}</text>')
        t = round(t + step, 6)
    out.append(f'<line x1="{LABEL_W}" y1="{axis_y}" x2="{LABEL_W + plot_w}" y2="{axis_y}" stroke="#999"/>')
    if not tracks:
        note = _fit("empty timeline: upload a video and ask for it to be added", plot_w)
        out.append(f'<text x="{LABEL_W + 6}" y="{TOP_PAD + 16}" fill="#888">{esc(note)}</text>')
    drawn = skipped = 0
    for lane, track in enumerate(tracks):
        y = TOP_PAD + lane * (LANE_H + LANE_GAP)
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{LANE_H}" fill="#f6f6f6"/>')
        name = f"{lane + 1} {track.label}"
        out.append(f'<text x="6" y="{y + 16}" fill="#333" font-weight="bold">{esc(_fit(name, LABEL_W))}</text>')
        default = TYPE_COLOURS.get(track.type, "#888")
        for seg in track.segments:
            if drawn >= MAX_BARS:
                skipped += 1
                continue
            drawn += 1
            x = LABEL_W + seg.start_ms * scale
            w = max(1.5, seg.duration_ms * scale)
            colour = COLOURS.get(seg.kind, default)
            label = seg.text if track.type == TEXT and seg.text else seg.label
            tip = f"{label} ({seg.start_ms / 1000:g}–{seg.end_ms / 1000:g}s)"
            out.append(f'<g><title>{esc(tip)}</title><rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" '
                       f'height="{LANE_H - 4}" rx="3" fill="{colour}"/>')
            shown = _fit(label, w)
            if shown:
                out.append(f'<text x="{x + 4:.1f}" y="{y + 16}" fill="#fff">{esc(shown)}</text>')
            out.append("</g>")
    if transcript is not None:
        y = TOP_PAD + (lanes - 1) * (LANE_H + LANE_GAP)
        out.append(f'<rect x="0" y="{y}" width="{width}" height="{LANE_H}" fill="#f6f6f6"/>')
        out.append(f'<text x="6" y="{y + 16}" fill="#333" font-weight="bold">{esc(_fit("Transcript", LABEL_W))}</text>')
        for part in said[: max(0, MAX_BARS - drawn)]:
            x, w = LABEL_W + part.start_ms * scale, max(1.5, (part.end_ms - part.start_ms) * scale)
            tip = f"{part.text} ({part.start_ms / 1000:g}–{part.end_ms / 1000:g}s, confidence {part.confidence:.0%})"
            out.append(f'<g><title>{esc(tip)}</title><rect x="{x:.1f}" y="{y + 2}" width="{w:.1f}" '
                       f'height="{LANE_H - 4}" rx="3" fill="{TRANSCRIPT_COLOUR}"/>')
            if shown := _fit(part.text, w):
                out.append(f'<text x="{x + 4:.1f}" y="{y + 16}" fill="#fff">{esc(shown)}</text>')
            out.append("</g>")
        skipped += max(0, len(said) - max(0, MAX_BARS - drawn))
    if skipped:
        out.append(f'<text x="{width - RIGHT_PAD}" y="{height - 4}" text-anchor="end" fill="#a00">'
                   f'+{skipped} segments not drawn</text>')
    out.append("</svg>")
    return "".join(out)


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

    def bundle(self) -> dict[str, str]:
        summary = self.draft.summary()
        df = self.draft.segments_df() if self.table else None
        parts = ['<div class="nemo-timeline-view" style="font:13px sans-serif;margin:4px 0">']
        if self.title:
            parts.append(f'<div style="{MUTED}">{esc(self.title)}</div>')
        parts.append(f'<div class="nemo-summary" style="margin:2px 0 6px">{esc(summary)}</div>')
        parts.append(timeline_svg(self.draft, self.width, self.transcript))
        media = self._media_line()
        if media:
            parts.append(f'<div style="{MUTED}">{esc(media)}</div>')
        plain = [self.title, summary, media] if self.title else [summary, media]
        if df is not None and len(df):
            table = df.to_html(index=False, border=0, max_rows=TABLE_ROWS, classes="nemo-segments",
                               na_rep="")
            opened = " open" if len(df) <= OPEN_TABLE_ROWS else ""
            parts.append(f'<details{opened}><summary style="cursor:pointer;{MUTED}">{len(df)} segment'
                         f'{"" if len(df) == 1 else "s"}</summary>{table}</details>')
            plain.append(df.to_string(index=False, max_rows=TABLE_ROWS, na_rep=""))
        parts.append("</div>")
        md = "\n\n".join(x for x in (f"*{md_esc(self.title)}*" if self.title else "", md_esc(summary),
                                     md_esc(media)) if x)
        return {"text/plain": "\n".join(p for p in plain if p), "text/html": "".join(parts), "text/markdown": md}

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return self.bundle()

    def __repr__(self) -> str:
        return self.draft.summary()
