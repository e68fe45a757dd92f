"""What a media file holds, read from ``ffmpeg -i`` (the imageio-ffmpeg build has no ffprobe)."""
from __future__ import annotations

import hashlib
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nemo_nb.local.media import children
from nemo_nb.local.media.ffmpeg import ffmpeg_exe

PROBE_TIMEOUT_S = 20.0

_INPUT = re.compile(r"^Input #0, (?P<demuxer>.+?), from ")
_DURATION = re.compile(r"^\s*Duration: (?:(?P<h>\d+):(?P<m>\d+):(?P<s>\d+(?:\.\d+)?)|N/A)")
_STREAM = re.compile(r"^\s*Stream #0:\d+\S*?: (?P<type>Video|Audio|Subtitle|Data|Attachment): (?P<rest>.*)$")
_ROTATION = re.compile(r"rotation of (?P<deg>-?\d+(?:\.\d+)?) degrees")
_SIZE = re.compile(r"^(?P<w>\d+)x(?P<h>\d+)\b")
_RATE = re.compile(r"^(?P<n>\d+(?:\.\d+)?)(?P<k>k?) (?:fps|tbr)$")
# A gif this short is one frame: a still image, not an animation.
_STILL_GIF_MAX_S = 0.1
# Demuxers that read text (ANSI art) or scripts pointing at other files/URLs: never user media.
_REJECTED_DEMUXERS = frozenset({"tty", "concat", "hls", "dash", "ffmetadata", "sdp"})


class ProbeError(ValueError):
    """ffmpeg cannot read the file, or it holds neither audio nor video."""


@dataclass(frozen=True)
class MediaInfo:
    """The facts about one media file that editing and rendering need."""

    kind: str  # "video" | "image" | "audio"
    duration_s: float
    width: int
    height: int
    fps: float
    has_audio: bool
    has_video: bool
    video_codec: str
    audio_codec: str
    pix_fmt: str


def probe(path: str | os.PathLike[str]) -> MediaInfo:
    """Describe ``path``; raise ``ProbeError`` with a short reason when it is not usable media."""
    file = Path(path).resolve()
    name = file.name
    if not file.is_file():
        raise ProbeError(f"{name}: no such file")
    cmd = [ffmpeg_exe(), "-hide_banner", "-nostdin", "-protocol_whitelist", "file", "-i", str(file)]
    try:
        done = children.run(cmd, capture_output=True, timeout=PROBE_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        raise ProbeError(f"{name}: reading it took longer than {PROBE_TIMEOUT_S:.0f} s") from None
    return parse_probe_output(done.stderr.decode("utf-8", "replace"), name)


def parse_probe_output(text: str, name: str = "file") -> MediaInfo:
    """Parse the stream listing that ``ffmpeg -i`` prints for input #0."""
    lines = text.splitlines()
    demuxer = next((m["demuxer"] for m in map(_INPUT.match, lines) if m), None)
    if demuxer is None:
        reason = next((ln.rsplit(": ", 1)[-1] for ln in reversed(lines) if "Error opening input" in ln), "")
        raise ProbeError(f"{name}: not a readable media file" + (f" ({reason.strip()})" if reason else ""))
    if _REJECTED_DEMUXERS.intersection(demuxer.split(",")):
        raise ProbeError(f"{name}: not a media file (looks like {demuxer.split(',')[0]} text)")
    duration = 0.0
    video: list[str] | None = None
    audio: list[str] | None = None
    rotation = 0.0
    in_video_block = False
    for line in lines:
        if line.startswith(("Output #", "At least one output")):
            break
        if (m := _DURATION.match(line)) and m["s"] is not None:
            duration = int(m["h"]) * 3600 + int(m["m"]) * 60 + float(m["s"])
        elif m := _STREAM.match(line):
            fields = _split_top_level(m["rest"])
            in_video_block = False
            if m["type"] == "Video" and video is None and "(attached pic)" not in m["rest"]:
                video, in_video_block = fields, True
            elif m["type"] == "Audio" and audio is None:
                audio = fields
        elif in_video_block and (r := _ROTATION.search(line)):
            rotation = float(r["deg"])
    if video is None and audio is None:
        raise ProbeError(f"{name}: has neither audio nor video")

    width = height = 0
    fps = 0.0
    pix_fmt = ""
    if video is not None:
        pix_fmt = video[1].split("(")[0].strip() if len(video) > 1 else ""
        for field in video[1:]:
            if size := _SIZE.match(field):
                width, height = int(size["w"]), int(size["h"])
            elif (rate := _RATE.match(field)) and not fps:
                fps = float(rate["n"]) * (1000 if rate["k"] else 1)
        if round(abs(rotation)) % 180 == 90:  # ffmpeg auto-rotates on decode: report the displayed size
            width, height = height, width

    if video is not None and not (width and height):  # e.g. a script named .png: "video" with no picture
        raise ProbeError(f"{name}: a picture stream without a size")
    if video is None:
        kind = "audio"
    elif _is_still(demuxer, duration):
        kind, duration, fps = "image", 0.0, 0.0
    else:
        kind = "video"
    return MediaInfo(
        kind=kind, duration_s=round(duration, 3), width=width, height=height, fps=fps,
        has_audio=audio is not None, has_video=video is not None,
        video_codec=_codec(video), audio_codec=_codec(audio), pix_fmt=pix_fmt,
    )


def video_packet_hashes(path: str | os.PathLike[str]) -> list[str]:
    """Per-packet MD5 of the first video stream, read without decoding: equal lists mean the video
    stream was copied, not re-encoded."""
    done = subprocess.run([ffmpeg_exe(), "-hide_banner", "-nostdin", "-loglevel", "error", "-protocol_whitelist",
                           "file", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framemd5", "-"],
                          capture_output=True, text=True, timeout=120, check=True)
    return [line.rsplit(",", 1)[-1].strip() for line in done.stdout.splitlines() if line and not line.startswith("#")]


def sha256_file(path: str | os.PathLike[str], chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file, read in ``chunk``-sized blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def _is_still(demuxer: str, duration: float) -> bool:
    """Image demuxers (``image2``, ``png_pipe``, ``webp_pipe`` …) and one-frame gifs are stills."""
    if demuxer == "gif":
        return duration <= _STILL_GIF_MAX_S
    return demuxer == "image2" or demuxer.endswith("_pipe")


def _codec(fields: list[str] | None) -> str:
    return fields[0].split(" ")[0] if fields else ""


def _split_top_level(text: str) -> list[str]:
    """Split on commas outside parentheses/brackets: ``yuv420p(tv, bt709)`` stays one field."""
    fields: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            fields.append(text[start:i].strip())
            start = i + 1
    fields.append(text[start:].strip())
    return fields
