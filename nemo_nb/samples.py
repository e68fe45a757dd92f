"""Sample media made on the fly with ffmpeg (no binaries stored in the repository)."""
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


def make_image(path: str | Path, width: int = 320, height: int = 240) -> Path:
    """A still test picture (PNG/JPG by the file's extension)."""
    path = Path(path)
    _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate=1", "-frames:v", "1", str(path))
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
