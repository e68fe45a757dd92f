"""Sample media made on the fly with ffmpeg (no binaries stored in the repository).

``make_demo_clip`` draws a silent "product dashboard" walkthrough — the kind of clip the voiceover
skills are for — and ``DEMO_SCRIPT`` is a script that fits it.
"""
from __future__ import annotations

import subprocess
from pathlib import Path


def _ffmpeg(*args: str) -> None:
    from nemo_nb.local.media.ffmpeg import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                   check=True, timeout=300)


def make_clip(path: str | Path, seconds: float = 4.0, width: int = 320, height: int = 240, *,
              fps: int = 25, audio: bool = True) -> Path:
    """A test-pattern H.264 MP4 (with a 440 Hz tone unless ``audio=False``)."""
    path = Path(path)
    args = ["-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={seconds}"]
    args += ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps)]
    args += ["-c:a", "aac", "-b:a", "96k"] if audio else []
    _ffmpeg(*args, "-movflags", "+faststart", str(path))
    return path


def make_tone(path: str | Path, seconds: float = 2.0, frequency: int = 220) -> Path:
    """A sine tone as WAV/MP3/M4A (by the file's extension)."""
    path = Path(path)
    _ffmpeg("-f", "lavfi", "-i", f"sine=frequency={frequency}:sample_rate=44100:duration={seconds}", str(path))
    return path


def make_color_sequence(path: str | Path, colors: tuple[str, ...] = ("red", "green", "blue"), seconds_each: float = 2.0,
                        width: int = 320, height: int = 240, *, fps: int = 25) -> Path:
    """A silent clip of solid colours one after another: easy to check cuts and trims by eye or by pixel."""
    path = Path(path)
    inputs: list[str] = []
    for colour in colors:
        inputs += ["-f", "lavfi", "-i", f"color=c={colour}:size={width}x{height}:rate={fps}:duration={seconds_each}"]
    joined = "".join(f"[{i}:v]" for i in range(len(colors))) + f"concat=n={len(colors)}:v=1:a=0[v]"
    _ffmpeg(*inputs, "-filter_complex", joined, "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast",
            "-pix_fmt", "yuv420p", "-g", str(fps), "-movflags", "+faststart", str(path))
    return path


DEMO_SCRIPT = ("Meet Atlas, the dashboard that turns your sales into decisions. Revenue, orders and returns update "
               "live as they happen. Spot your best sellers at a glance, and share a report with one click.")


def make_demo_clip(path: str | Path, seconds: float = 12.0, width: int = 1280, height: int = 720, *,
                   fps: int = 25, title: str = "Atlas  ·  Sales dashboard") -> Path:
    """A silent, moving "product walkthrough": a gradient page with a title, growing bar charts and a
    highlight that travels across the cards."""
    from nemo_nb.local.media.fonts import default_font

    path = Path(path)
    w, h = width, height
    card_w, card_h, top = w // 4, h // 2, h // 4
    bars = []
    for i, (x, colour) in enumerate(((w // 16, "0x7fd1ae"), (w * 6 // 16, "0xf2c14e"), (w * 11 // 16, "0xef767a"))):
        bars.append(f"drawbox=x={x}:y={top}:w={card_w}:h={card_h}:color=white@0.12:t=fill")
        for j in range(5):
            bar_x = x + card_w * (j * 2 + 1) // 11
            grow = f"min(1,t/{2 + i + j * 0.5:.1f})"
            bar_h = f"{card_h * (3 + (i * 5 + j * 3) % 6) // 10}*{grow}"
            bars.append(f"drawbox=x={bar_x}:y='{top + card_h}-{bar_h}-{h // 40}':w={card_w // 11}:h='{bar_h}':"
                        f"color={colour}@0.9:t=fill")
    highlight = (f"drawbox=x='{w // 16}+mod(t*{w // 6},{w * 11 // 16})':y={top - h // 60}:w={card_w}:"
                 f"h={card_h + h // 30}:color=white@0.6:t={max(2, h // 180)}")
    font = str(default_font(bold=True)).replace("\\", "/").replace(":", "\\:")
    heading = (f"drawtext=fontfile='{font}':text='{title}':fontcolor=white:fontsize={h // 14}:"
               f"x={w // 16}:y={h // 10}")
    graph = ",".join([*bars, highlight, heading, "format=yuv420p"])
    _ffmpeg("-f", "lavfi", "-i", f"gradients=s={w}x{h}:c0=0x1f2a44:c1=0x35507f:x0=0:y0=0:x1={w}:y1={h}:"
            f"rate={fps}:duration={seconds}:speed=0.01", "-vf", graph, "-c:v", "libx264", "-preset", "ultrafast",
            "-g", str(fps), "-movflags", "+faststart", str(path))
    return path
