"""The live reply: text appears as it streams, redrawn at most ~10 times a second, then static.

``LiveReply`` owns one display handle. Events (``on_event``) only append to buffers; a redraw
happens when the throttle allows it, so a 10,000-chunk reply costs a handful of display messages,
not 10,000. When the turn ends, ``finish(reply)`` replaces the live view with a static bundle
(``text/markdown`` + ``text/html`` + ``text/plain``) that a saved notebook, nbviewer and GitHub show.
"""
from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from nemo_nb.api.events import ErrorEvent, Heartbeat, TextEvent, ToolCall, ToolResult
from nemo_nb.notebook._fmt import CARD, MUTED, Throttle, esc, md_esc, seconds_text, text_html
from nemo_nb.notebook.picture import Picture
from nemo_nb.routing import translate_gui

TRANSLATE_LIVE_MAX = 20_000   # characters: beyond this the live text is shown as streamed
ACTION_HINTS = {
    "export": "Ready to render: `%nemo export`",
    "state": "See the timeline: `%nemo status`",
    "credits": "See your balance: `%nemo credits`",
}


def args_text(args: Any) -> str:
    """A tool call's scalar arguments, short: ``(language=en, voice=alloy)``."""
    if not isinstance(args, dict):
        return ""
    items = []
    for key, value in args.items():
        if isinstance(value, (str, int, float, bool)):
            text = str(value)
            items.append(f"{key}={text if len(text) <= 24 else text[:23] + '…'}")
        if len(items) == 2:
            break
    return f" ({', '.join(items)})" if items else ""


def _tool_line(name: str, done: bool, failed: bool = False, args: str = "") -> str:
    mark = "✗" if failed else ("✓" if done else "…")
    return f"▸ {name}{args} {mark}"


class LiveReply:
    """One streaming reply in one display slot.

    ``display`` is ``IPython.display.display`` (injectable for tests and benchmarks); the handle it
    returns must have ``update(obj, raw=True)``.
    """

    def __init__(self, prompt: str = "", *, rate: float = 10.0, clock: Callable[[], float] = time.monotonic,
                 display: Callable[..., Any] | None = None, header: str = "",
                 sleep: Callable[[float], None] = time.sleep):
        self.prompt = prompt
        self.header = header
        self._display = display
        self._throttle = Throttle(rate, clock)
        self._clock = clock
        self._sleep = sleep
        self._parts: list[str] = []
        self._tools: dict[str, list[Any]] = {}   # id -> [name, done, failed, args text]
        self._notices: list[str] = []
        self._dirty = False
        self._beats = 0
        self.handle: Any = None
        self.updates = 0                 # display messages sent (the first display counts)
        self.started = clock()
        self.finished = False

    # -- streaming -------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        return "".join(self._parts)

    def start(self) -> LiveReply:
        display = self._display
        if display is None:
            from IPython.display import display as ipython_display

            display = ipython_display
        self.handle = display(self._live_bundle(), raw=True, display_id=True)
        self.updates += 1
        self._throttle.mark()
        return self

    def on_event(self, event: Any) -> None:
        kind = type(event)
        if kind is TextEvent:
            if event.delta:
                self._parts.append(event.delta)
        elif kind is Heartbeat:  # nothing new: redraw only to keep the elapsed time moving
            self._beats += 1
            if not self._dirty and self._clock() - self._throttle.last < 1.0:
                return
        elif kind is ToolCall:
            self._tools[event.id] = [event.name, False, False, args_text(event.args)]
        elif kind is ToolResult:
            entry = self._tools.setdefault(event.id, [event.name, False, False, ""])
            entry[1] = True
            result = event.result
            entry[2] = isinstance(result, dict) and bool(result.get("error"))
        elif kind is ErrorEvent:
            self._notices.append(f"✗ {event.message}")
        self._dirty = True
        if self._throttle.ready():
            self._draw()

    def on_still_working(self, message: str) -> None:
        self._notices.append(message)
        self._draw()

    def _draw(self) -> None:
        self._dirty = False
        if self.handle is None:
            return
        self.handle.update(self._live_bundle(), raw=True)
        self.updates += 1
        self._throttle.mark()

    def _tool_lines(self) -> list[str]:
        return [_tool_line(name, done, failed, args) for name, done, failed, args in self._tools.values()]

    def _live_bundle(self) -> dict[str, str]:
        text = self.text
        if text and len(text) <= TRANSLATE_LIVE_MAX:
            text = translate_gui(text).text or text
        elapsed = self._clock() - self.started
        status = f"streaming… {seconds_text(elapsed)}" if text or self._tools else "waiting for the agent…"
        lines = [*self._tool_lines(), *self._notices]
        html = [f'<div class="nemo-live nemo-reply" style="{CARD}">',
                f'<div style="{MUTED}">{esc(self.header)} · {esc(status)}</div>' if self.header else
                f'<div style="{MUTED}">{esc(status)}</div>']
        html += [f'<div class="nemo-tool" style="{MUTED}">{esc(line)}</div>' for line in lines]
        html.append(f'<div class="nemo-text" style="white-space:pre-wrap">{text_html(text)}▍</div></div>')
        plain = "\n".join([status, *lines, text])
        return {"text/plain": plain, "text/html": "".join(html)}

    # -- the end of the turn ---------------------------------------------------------------------------
    def finish(self, reply: Any, *, timeline: Picture | None = None) -> dict[str, str]:
        """Replace the live view with the static reply (under it the ``timeline`` picture, also as the
        output's ``image/png``); returns the bundle shown."""
        extra_html = (f'<div style="margin-top:6px">{timeline.img(reply.draft_after.summary())}</div>'
                      if timeline is not None else "")
        bundle = reply_bundle(reply, header=self.header, elapsed=self._clock() - self.started,
                              tool_lines=self._tool_lines() or None, extra_html=extra_html,
                              timeline_shown=timeline is not None)
        if timeline is not None:
            bundle["image/png"] = timeline.b64
        self._show_final(bundle, timeline.metadata() if timeline is not None else None)
        return bundle

    def fail(self, message: str) -> dict[str, str]:
        """The turn failed: keep what streamed, say what went wrong, static."""
        text = self.text
        lines = [*self._tool_lines(), *self._notices]
        html = [f'<div class="nemo-reply nemo-failed" style="{CARD};border-left-color:#c0392b">']
        html += [f'<div class="nemo-tool" style="{MUTED}">{esc(line)}</div>' for line in lines]
        if text:
            html.append(f'<div class="nemo-text" style="white-space:pre-wrap">{text_html(text)}</div>')
        html.append(f'<div style="color:#c0392b">✗ {esc(message)}</div></div>')
        md = "\n\n".join(x for x in [*(md_esc(line) for line in lines), md_esc(text), f"**✗** {md_esc(message)}"] if x)
        bundle = {"text/plain": "\n".join(x for x in [*lines, text, f"✗ {message}"] if x),
                  "text/html": "".join(html), "text/markdown": md}
        self._show_final(bundle)
        return bundle

    def _show_final(self, bundle: dict[str, str], metadata: dict[str, Any] | None = None) -> None:
        """The last update keeps the pace too (waiting at most one interval), so no second ever
        carries more than ``rate`` display messages."""
        self.finished = True
        if self.handle is not None:
            wait = self._throttle.last + self._throttle.interval - self._clock()
            if 0 < wait <= self._throttle.interval:
                self._sleep(wait)
            self.handle.update(bundle, raw=True, **({"metadata": metadata} if metadata else {}))
            self.updates += 1


def reply_bundle(reply: Any, *, header: str = "", elapsed: float | None = None, tool_lines: list[str] | None = None,
                 extra_html: str = "", timeline_shown: bool = False) -> dict[str, str]:
    """A finished ``Reply`` as static Markdown, HTML and plain text."""
    if tool_lines is None:
        tool_lines = [_tool_line(call.name, True, args=args_text(call.args)) for call in reply.tool_calls]
    meta = [header] if header else []
    if reply.credits_used is not None:
        meta.append(f"{reply.credits_used} credit{'' if reply.credits_used == 1 else 's'} used")
    if elapsed is not None:
        meta.append(seconds_text(elapsed))
    changes = list(reply.changes or [])
    # A silent turn's text *is* the changes in words; otherwise list them under the reply.
    change_list = [] if reply.silent else changes
    hints = [ACTION_HINTS[a] for a in reply.actions if a in ACTION_HINTS and not (a == "state" and timeline_shown)]
    meta_line = " · ".join(meta)

    html = [f'<div class="nemo-reply" style="{CARD}">']
    if meta_line:
        html.append(f'<div style="{MUTED}">{esc(meta_line)}</div>')
    html += [f'<div class="nemo-tool" style="{MUTED}">{esc(line)}</div>' for line in tool_lines]
    html.append(f'<div class="nemo-text" style="white-space:pre-wrap">{text_html(reply.text)}</div>')
    if change_list:
        html.append(f'<details><summary style="cursor:pointer;{MUTED}">What changed ({len(change_list)})</summary>'
                    '<ul style="margin:2px 0">' + "".join(f"<li>{esc(c)}</li>" for c in change_list)
                    + "</ul></details>")
    if hints:
        html.append(f'<div style="{MUTED}">' + " · ".join(esc(h).replace("`", "") for h in hints) + "</div>")
    html.append(extra_html)
    html.append("</div>")

    md = [f"*{md_esc(meta_line)}*"] if meta_line else []
    md += [md_esc(line) for line in tool_lines]
    md.append(reply.text)
    if change_list:
        md.append("What changed:\n" + "\n".join(f"- {md_esc(c)}" for c in change_list))
    md += hints

    plain = [meta_line] if meta_line else []
    plain += tool_lines
    plain.append(reply.text)
    if change_list:
        plain.append("What changed:\n" + "\n".join(f"- {c}" for c in change_list))
    plain += [h.replace("`", "") for h in hints]
    return {"text/plain": "\n".join(x for x in plain if x), "text/html": "".join(html),
            "text/markdown": "\n\n".join(x for x in md if x)}
