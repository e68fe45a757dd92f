"""The uploads the starting states use, generated with ffmpeg: small (320x180) and quick to make."""
from __future__ import annotations

import subprocess
from pathlib import Path

from nemo_nb import samples

CLIP_S = 24      # clip.mp4: the main clip
BROLL_S = 8      # broll.mp4: a second clip
LONG_S = 80      # long.mp4: for times past a minute (1m05s, 00:01:05)
SONG_S = 30      # song.mp3: a music file longer than the clip
TALK_LINES = 4   # talk.mp4: someone talking (the project's own English voice), about 13 s
SRT = """1
00:00:01,000 --> 00:00:04,000
Hi everyone, thanks for watching.

2
00:00:08,000 --> 00:00:12,000
Today we test three budget microphones.

3
00:00:16,000 --> 00:00:20,000
Let's start with the cheapest one.
"""
SCRIPT = "Our bakery opens at seven every morning. Fresh bread, every single day."


def speaking_clip(path: Path, seconds: int) -> Path:
    """A test-pattern clip whose sound rises and falls a few times a second, like speech."""
    from nemo_nb.local.media.ffmpeg import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc2=size=320x180:rate=25:duration={seconds}",
                    "-f", "lavfi", "-i", (f"sine=frequency=180:sample_rate=48000:duration={seconds},"
                                          "tremolo=f=4:d=0.9,volume=0.6"),
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "25",
                    "-c:a", "aac", "-b:a", "64k", "-movflags", "+faststart", str(path)], check=True, timeout=300)
    return path


def still_picture(path: Path, size: int) -> Path:
    """A square test picture (PNG)."""
    from nemo_nb.local.media.ffmpeg import ffmpeg_exe

    subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi",
                    "-i", f"testsrc2=size={size}x{size}:rate=1", "-frames:v", "1", str(path)], check=True, timeout=60)
    return path


def talking_clip(path: Path) -> Path:
    """A clip of someone talking: the first four sentences of ``samples.TALK_SCRIPT`` ("Welcome to this short
    tour of the new editor. First, drag your clip onto the timeline. …"), for the hearing cases."""
    samples.make_spoken_clip(path, samples.TALK_SCRIPT[:TALK_LINES], width=320, height=180)
    return path


def make_media(folder: Path) -> dict[str, Path]:
    """Every upload a setup may use, by file name (made once, reused by every case)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "talk.srt").write_text(SRT, encoding="utf-8")
    (folder / "script.txt").write_text(SCRIPT, encoding="utf-8")
    made = [
        speaking_clip(folder / "clip.mp4", CLIP_S),
        samples.make_clip(folder / "broll.mp4", seconds=BROLL_S, width=320, height=180),
        samples.make_clip(folder / "long.mp4", seconds=LONG_S, width=320, height=180, fps=10),
        samples.make_tone(folder / "song.mp3", seconds=SONG_S, frequency=330),
        still_picture(folder / "logo.png", 200),
        talking_clip(folder / "talk.mp4"),
        folder / "talk.srt",
        folder / "script.txt",
    ]
    return {path.name: path for path in made}
