"""Sample media made on the fly with ffmpeg (no binaries stored in the repository).

``make_demo_clip`` draws a silent "product dashboard" walkthrough — the kind of clip the voiceover
skills are for — and ``DEMO_SCRIPT`` is a script that fits it. ``make_spoken_clip`` makes a clip of someone
talking (``TALK_SCRIPT`` by default) and says when each sentence is spoken: known text at known times, for
the speech recognition skills.
"""
from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def _ffmpeg(*args: str) -> bytes:
    """Run ffmpeg quietly; its standard output."""
    from nemo_nb.local.media.ffmpeg import ffmpeg_exe

    return subprocess.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                          check=True, timeout=300, stdout=subprocess.PIPE).stdout


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


TALK_SCRIPT = (
    "Welcome to this short tour of the new editor.",
    "First, drag your clip onto the timeline.",
    "The preview updates as soon as you let go.",
    "Next, open the effects panel on the right.",
    "Choose a colour style that suits your story.",
    "You can always undo a change with one click.",
    "When the cut feels right, add some music.",
    "The music fades down whenever someone speaks.",
    "Then write a title for the opening shot.",
    "Keep it short, so people can read it quickly.",
    "Finally, press export and pick a size for your audience.",
    "Your video is ready to share with the world.",
    "Thanks for watching, and have fun making videos.",
)


@dataclass(frozen=True)
class SpokenLine:
    """A sentence of a generated talk and where its speech sits in the clip (s)."""

    start_s: float
    end_s: float
    text: str


def make_spoken_clip(path: str | Path, sentences: tuple[str, ...] | list[str] = TALK_SCRIPT, *,
                     width: int = 640, height: int = 360, fps: int = 25, gap_s: float = 0.7, lead_s: float = 0.5,
                     music_db: float | None = None, language: str = "en", voice: str | None = None,
                     ) -> list[SpokenLine]:
    """A clip of someone talking: each sentence spoken by the backend's voices (piper for English) over a
    test picture, with ``gap_s`` of silence between sentences, optionally a music bed ``music_db`` dB under
    the speech (RMS). Returns where each sentence's speech really starts and ends, from the voice's own
    phoneme timings: known text with known times, for testing speech recognition and captions."""
    import tempfile
    import wave

    import numpy as np

    from nemo_nb.local.media.tts import engine

    path = Path(path)
    pieces: list[Any] = []
    lines: list[SpokenLine] = []
    rate = 0
    cursor = lead_s
    with tempfile.TemporaryDirectory() as tmp:
        for index, sentence in enumerate(sentences):
            speech = engine().synthesize(sentence, Path(tmp) / f"s{index}.wav", language=language, voice=voice)
            with wave.open(str(speech.path), "rb") as wav:
                rate = wav.getframerate()
                audio = np.frombuffer(wav.readframes(wav.getnframes()), "<i2").astype(np.float32) / 32768
            at = round(cursor * rate)
            pieces.append((at, audio))
            first = speech.phonemes[0][1] if speech.phonemes else 0.0
            last = speech.phonemes[-1][2] if speech.phonemes else speech.duration_s
            lines.append(SpokenLine(round(cursor + first, 3), round(cursor + last, 3), sentence))
            cursor += speech.duration_s + gap_s
        total = round((cursor + lead_s) * rate)
        track = np.zeros(total, np.float32)
        for at, audio in pieces:
            track[at:at + len(audio)] += audio
        if music_db is not None:
            track = _with_music(track, rate, music_db, Path(tmp))
        wav_path = Path(tmp) / "talk.wav"
        with wave.open(str(wav_path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(np.clip(np.round(track * 32767), -32767, 32767).astype("<i2").tobytes())
        seconds = total / rate
        _ffmpeg("-f", "lavfi", "-i", f"testsrc2=size={width}x{height}:rate={fps}:duration={seconds:.3f}",
                "-i", str(wav_path), "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", str(fps),
                "-c:a", "aac", "-b:a", "128k", "-shortest", "-movflags", "+faststart", str(path))
    return lines


def _with_music(speech: Any, rate: int, level_db: float, tmp: Path) -> Any:
    """``speech`` with a generated music bed mixed ``level_db`` dB (RMS) under the speech's RMS."""
    import numpy as np

    from nemo_nb.local.media.ambient import ambient_bed

    bed = ambient_bed(tmp / "bed.wav", len(speech) / rate + 0.5, mood="upbeat", seed=7)
    raw = _ffmpeg("-i", str(bed), "-ac", "1", "-ar", str(rate), "-f", "f32le", "-")
    music = np.frombuffer(raw, np.float32)[:len(speech)]
    music = np.pad(music, (0, len(speech) - len(music)))
    voiced = np.abs(speech) > 0.01
    speech_rms = float(np.sqrt(np.mean(np.square(speech[voiced])))) if voiced.any() else 0.1
    music_rms = float(np.sqrt(np.mean(np.square(music)))) or 1.0
    mixed = speech + music * (speech_rms * 10 ** (level_db / 20) / music_rms)
    peak = float(np.max(np.abs(mixed)))
    return mixed / peak * 0.89 if peak > 0.89 else mixed
