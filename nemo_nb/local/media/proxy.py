"""Preview proxies: a small copy of each large uploaded video, made once in the background, that previews
decode instead of the original (decoding a 1080p source is most of a preview's cost).

A proxy has the source's timing and sound (copied) and a picture at most ``PROXY_SIDE`` on its shorter
side and ``PROXY_FPS`` frames a second — exactly what a preview shows — with a keyframe every second so a
trim seeks quickly. It lives next to its source (``.preview-proxy.mp4`` in the same folder), appears only
when complete, and is made on one core (``-threads 1``), one at a time, at the lowest CPU priority, so it never
holds up the user's work.
"""
from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
from pathlib import Path

from nemo_nb.local.media.ffmpeg import FFmpegError, run_ffmpeg
from nemo_nb.local.media.probe import MediaInfo

PROXY_SIDE = 540
PROXY_FPS = 15
PROXY_NAME = ".preview-proxy.mp4"
_CODEC = ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "24", "-pix_fmt", "yuv420p", "-g", str(PROXY_FPS)]

log = logging.getLogger("nemo_nb.local")


def proxy_path(source: Path) -> Path:
    return source.with_name(PROXY_NAME)


def needs_proxy(info: MediaInfo) -> bool:
    """A video larger than a preview: decoding a proxy instead saves real work (a small one decodes quickly)."""
    return info.kind == "video" and min(info.width, info.height) > PROXY_SIDE


def proxy_of(source: Path) -> Path | None:
    """The finished proxy of ``source``, if there is one."""
    path = proxy_path(source)
    return path if path.is_file() else None


def make_proxy(source: Path, info: MediaInfo) -> Path | None:
    """Write ``source``'s proxy (None when it needs none); ``FFmpegError`` when ffmpeg fails."""
    if not needs_proxy(info):
        return None
    out = proxy_path(source)
    partial = out.with_name(out.name + ".part")
    scale = min(1.0, PROXY_SIDE / min(info.width, info.height))
    width, height = max(2, round(info.width * scale / 2) * 2), max(2, round(info.height * scale / 2) * 2)
    rate = min(info.fps, PROXY_FPS) if info.fps > 0 else PROXY_FPS
    args = ["-threads", "1", "-protocol_whitelist", "file", "-i", str(source), "-map", "0:v:0", "-map", "0:a:0?",
            "-vf", f"fps={rate:g},scale={width}:{height}:flags=fast_bilinear,setsar=1", "-threads", "1", *_CODEC,
            "-c:a", "copy", "-map_metadata", "-1", "-f", "mp4", str(partial)]
    try:
        run_ffmpeg(args, duration_s=info.duration_s)
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out


class ProxyMaker:
    """One background thread making proxies in the order asked, one at a time."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Path, MediaInfo]] = queue.Queue()
        self._pending = 0
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None

    def schedule(self, source: Path, info: MediaInfo) -> None:
        """Make ``source``'s proxy soon (nothing to do for a small video or a non-video)."""
        if not needs_proxy(info):
            return
        with self._changed:
            self._pending += 1
            self._jobs.put((source, info))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="preview-proxies", daemon=True)
                self._thread.start()

    def wait_idle(self, timeout: float) -> bool:
        """Wait until every scheduled proxy is made or given up (True), at most ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self._pending == 0, timeout)

    def _work(self) -> None:
        _lowest_priority()
        while True:
            try:
                source, info = self._jobs.get(timeout=5)
            except queue.Empty:
                with self._changed:
                    if self._jobs.empty():
                        self._thread = None
                        return
                continue
            try:
                if source.is_file() and proxy_of(source) is None:
                    make_proxy(source, info)
            except (FFmpegError, OSError) as exc:
                log.warning("no preview proxy for %s: %s", source.name, exc)
            finally:
                with self._changed:
                    self._pending -= 1
                    self._changed.notify_all()


def _lowest_priority() -> None:
    """Run this thread, and the ffmpeg processes it starts, at the lowest CPU priority (Linux: nice is per
    thread and inherited by children): proxies use only the CPU nothing else wants."""
    native_id = getattr(threading, "get_native_id", None)
    if hasattr(os, "setpriority") and native_id is not None:
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, native_id(), 19)


_MAKER = ProxyMaker()


def maker() -> ProxyMaker:
    """The process-wide proxy maker."""
    return _MAKER
