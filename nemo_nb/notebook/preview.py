"""Export preview: a progress bar while rendering, then a poster frame and a playable video.

The poster (PNG, extracted with ffmpeg) is always embedded. The video is embedded as a base64
data URI when it is at most ``embed_limit_mb``; larger files are referenced by a path relative to
the notebook's folder when possible (JupyterLab serves it), else by the render's URL.

The workspace claim link carries a claim token, and no secret may land in a saved notebook: so it is
never part of an output. ``ClaimButton`` is a widget that fetches a fresh link when clicked and shows
it only in the live widget; its saved snapshot (HTML and plain text) just says how to get one.
"""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nemo_nb.notebook._fmt import (
    CARD,
    MUTED,
    Throttle,
    bar_html,
    bar_text,
    esc,
    md_esc,
    seconds_text,
    size_text,
)

MB = 1_000_000
POSTER_WIDTH = 480
PREVIEW_NOTE = "a quick look (at most 540p), not the final export: %nemo export renders it"
PREVIEW_BADGE = ("display:inline-block;background:#b36b00;color:#fff;font-weight:bold;font-size:11px;"
                 "letter-spacing:0.05em;padding:0 6px;border-radius:3px;margin-right:6px")


def ffmpeg_path() -> str | None:
    """The ffmpeg of ``imageio-ffmpeg`` (the ``local`` extra), else one on PATH, else None."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except Exception:  # noqa: BLE001 — any failure to find it: try PATH
        return shutil.which("ffmpeg")


def poster_png(video: str | os.PathLike[str], duration: float | None = None, width: int = POSTER_WIDTH) -> bytes | None:
    """One frame of ``video`` as PNG bytes (a second in, or a third of a short clip); None if impossible."""
    exe = ffmpeg_path()
    if exe is None:
        return None
    at = min(1.0, (duration or 0) / 3)
    cmd = [exe, "-nostdin", "-hide_banner", "-loglevel", "error", "-ss", f"{at:.3f}", "-i", str(video),
           "-frames:v", "1", "-vf", f"scale='min({width},iw)':-2", "-f", "image2pipe", "-c:v", "png", "pipe:1"]
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    data = done.stdout
    return data if done.returncode == 0 and data.startswith(b"\x89PNG") else None


def video_src(path: Path | None, url: str | None, size: int, limit_mb: float) -> tuple[str, str]:
    """(``src`` for ``<video>``, how: "embedded" | "path" | "url" | "absolute path")."""
    if path is not None and path.is_file() and size <= limit_mb * MB:
        return "data:video/mp4;base64," + base64.b64encode(path.read_bytes()).decode("ascii"), "embedded"
    if path is not None and path.is_file():
        try:
            rel = os.path.relpath(path.resolve(), Path.cwd().resolve())
        except ValueError:  # another drive on Windows
            rel = ""
        if rel and not rel.startswith(".."):
            return urllib.parse.quote(Path(rel).as_posix()), "path"
    if url and url.startswith(("http://", "https://")):
        return url, "url"
    return (Path(path).resolve().as_uri() if path else ""), "absolute path"


class ProgressView:
    """A throttled HTML progress bar in one display slot (no widget: it survives in a saved notebook)."""

    def __init__(self, label: str, *, rate: float = 10.0, display: Callable[..., Any] | None = None,
                 clock: Callable[[], float] = time.monotonic):
        self.label = label
        self._display = display
        self._throttle = Throttle(rate, clock)
        self.handle: Any = None
        self.fraction = 0.0
        self.updates = 0

    def _bundle(self, label: str, failed: bool = False) -> dict[str, str]:
        return {"text/plain": bar_text(self.fraction, label),
                "text/html": bar_html(self.fraction, label, failed=failed)}

    def start(self) -> ProgressView:
        display = self._display
        if display is None:
            from IPython.display import display as ipython_display

            display = ipython_display
        self.handle = display(self._bundle(f"{self.label}…"), raw=True, display_id=True)
        self.updates += 1
        self._throttle.mark()
        return self

    def update(self, fraction: float, label: str | None = None) -> None:
        finishing = fraction >= 1 > self.fraction
        self.fraction = fraction
        if self.handle is not None and (finishing or self._throttle.ready()):
            self.handle.update(self._bundle(label or f"{self.label}… {fraction * 100:.0f}%"), raw=True)
            self.updates += 1

    def replace(self, bundle: dict[str, Any]) -> None:
        """Put the final output in the bar's place."""
        if self.handle is not None:
            self.handle.update(bundle, raw=True)
            self.updates += 1

    def fail(self, message: str) -> None:
        if self.handle is not None:
            self.handle.update(self._bundle(f"{self.label} failed: {message}", failed=True), raw=True)
            self.updates += 1


def video_html(export: Any, limit_mb: float, poster: bytes | None, *, max_height: int = 360) -> tuple[str, str]:
    """(``<video>`` element, how the video is referenced). The poster is also the video's fallback content,
    an ``<img>``: where a sanitizer drops ``<video>`` (GitHub) the poster frame still shows."""
    path = Path(export.path) if export.path else None
    src, how = video_src(path, export.url, export.size, limit_mb)
    data = f"data:image/png;base64,{base64.b64encode(poster).decode('ascii')}" if poster else ""
    poster_attr = f' poster="{data}"' if poster else ""
    name = Path(export.path).name if export.path else "the video"
    fallback = (f'<img class="nemo-poster" alt="{esc(name)}" src="{data}" style="max-width:100%;'
                f'max-height:{max_height}px">' if poster else "")
    element = (f'<video class="nemo-video" controls preload="metadata" playsinline{poster_attr} '
               f'src="{esc(src)}" style="max-width:100%;max-height:{max_height}px;background:#000">{fallback}</video>')
    return element, how


class ExportView:
    """A finished export: poster, playable video, duration, size and path; a preview (``Export.preview``) is
    marked as one in every form of the output."""

    def __init__(self, export: Any, *, limit_mb: float = 10.0, poster: bytes | None = None, make_poster: bool = True):
        self.export = export
        self.limit_mb = limit_mb
        self.poster = poster if poster is not None or not make_poster else poster_png(export.path, export.duration)

    def bundle(self) -> dict[str, str]:
        e = self.export
        element, how = video_html(e, self.limit_mb, self.poster)
        name = Path(e.path).name if e.path else (e.url or "video")
        facts = [seconds_text(e.duration), size_text(e.size)]
        ref = {"embedded": "embedded in the notebook",
               "path": f"played from {Path(e.path)}" if e.path else "",
               "url": "played from its URL", "absolute path": "file outside the notebook's folder"}[how]
        if how != "embedded":
            ref += f" (over the {self.limit_mb:g} MB embed limit)"
        preview = bool(getattr(e, "preview", False))
        badge = f'<span class="nemo-preview-badge" style="{PREVIEW_BADGE}">PREVIEW</span>' if preview else ""
        html = [f'<div class="nemo-export{" nemo-preview" if preview else ""}" style="{CARD}">', element,
                f'<div>{badge}▶ <b>{esc(name)}</b> · {esc(" · ".join(facts))}</div>',
                f'<div style="{MUTED}">{esc(ref)} · saved to {esc(e.path)}</div>']
        plain = [f"{'Preview' if preview else 'Exported'} {e.path} ({' · '.join(facts)}); {ref}"]
        md = [f"{'**PREVIEW** ' if preview else ''}▶ **{md_esc(name)}** · {md_esc(' · '.join(facts))} · "
              f"saved to `{e.path}`"]
        if preview:
            html.append(f'<div style="{MUTED}">Preview: {esc(PREVIEW_NOTE)}</div>')
            plain.append(f"Preview: {PREVIEW_NOTE}")
            md.append(f"Preview: {md_esc(PREVIEW_NOTE)}")
        if not self.poster:
            plain.append("(no poster frame: ffmpeg was not available)")
        html.append("</div>")
        data: dict[str, str] = {"text/plain": "\n".join(plain), "text/html": "".join(html),
                                "text/markdown": "\n\n".join(md)}
        if self.poster:
            data["image/png"] = base64.b64encode(self.poster).decode("ascii")
        return data

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return self.bundle()


CLAIM_SNAPSHOT = ("Claim this project in your NemoVideo workspace: click the claim button in a running notebook, "
                  "or run %nemo claim. The link carries a one-time claim code, so it is never saved in the notebook.")


class ClaimButton:
    """"Claim this project": a button that fetches the workspace claim link when clicked.

    The link lives only in the live widget (an ``HTML`` widget's value); the output's saved
    snapshot (``text/html`` / ``text/plain``) only says how to get one.
    """

    def __init__(self, fetch: Callable[[], str]):
        import ipywidgets as widgets

        self.fetch = fetch
        self.button = widgets.Button(description="Claim this project", icon="external-link",
                                     tooltip="Get a link that gives this session to your NemoVideo account",
                                     layout=widgets.Layout(width="auto"))
        self.link = widgets.HTML(value="")
        self.button.on_click(self._click)
        self.box = widgets.HBox([self.button, self.link])

    def _click(self, _button: Any = None) -> None:
        self.button.disabled = True
        try:
            url = self.fetch()
        except Exception as exc:  # noqa: BLE001 — shown in the widget
            self.link.value = f'<span style="color:#c0392b">{esc(str(exc).splitlines()[0])}</span>'
        else:
            self.link.value = (f'<a class="nemo-claim-link" href="{esc(url)}" target="_blank" '
                               f'rel="noopener noreferrer">Open the claim page</a> <span style="{MUTED}">'
                               "(one-time code, valid 7 days; not saved in the notebook)</span>")
        finally:
            self.button.disabled = False

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        data = dict(self.box._repr_mimebundle_(include=include, exclude=exclude) or {})
        data["text/plain"] = CLAIM_SNAPSHOT
        data["text/html"] = f'<div class="nemo-claim" style="{MUTED}">{esc(CLAIM_SNAPSHOT)}</div>'
        return data
