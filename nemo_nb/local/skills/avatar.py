"""The avatar presenter: a script spoken by a drawn presenter whose mouth follows the speech."""
from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import wave
from pathlib import Path
from typing import Any

from nemo_nb.draft import VIDEO, Draft
from nemo_nb.local import intents, srt
from nemo_nb.local.credits import COSTS
from nemo_nb.local.library import inspect
from nemo_nb.local.skills.base import Message, Plan, TurnContext, new_segment_id, refusal, say, tool
from nemo_nb.local.skills.voiceover import script_of, speaker_for, voice_name

AVATAR = (r"\bavatar\b", r"\bpresenter\b", r"\bspokes(person|man|woman)\b", r"\btalking head\b", r"\bhost\b.*\bvideo\b",
          r"数字人|虚拟主播|主持人")
SCRIPT_TO_VIDEO = r"\bscript\b.*\b(into|to|as)\b.*\b(mp4|video)\b"
PAUSE_MS = 350
SWEET_SPOT_WORDS = 200
ASK = ("To make a presenter video I need the script: send it after a colon (\"create a talking avatar video: "
       "Hello, I'm …\") or upload it as a .txt, .md, .pdf or .docx file and ask again. Under 200 words is the "
       "sweet spot. "
       "Nothing was charged.")


def wants_avatar(message: Message, ctx: TurnContext) -> bool:
    if message.says(*AVATAR):
        return True  # "presenter", "avatar", …
    return message.says(SCRIPT_TO_VIDEO) and not ctx.uploaded("video") and not ctx.draft.is_renderable


def look(message: Message, ctx: TurnContext) -> tuple[str, str, tuple[int, int]]:
    """(style, background, size) from the message: "friendly", "on a gradient", "9:16", "720p"."""
    style = "friendly" if message.says(r"\b(friendly|casual|warm|relaxed)\b") else "professional"
    background = "#1f2a44"
    images = ctx.uploaded("image")
    if images and message.says(r"\bbackground\b"):
        background = "upload:" + images[-1]["media_id"]
    elif message.says(r"\bgradient\b"):
        background = "gradient:#1f2a44→#4a6fa5"
    elif colour := intents.colour(message.instruction):
        background = colour
    short = 720 if message.says(r"\b720p\b") else 1080
    portrait = message.says(r"\b9\s*:\s*16\b|\bvertical\b|\bportrait\b|\btiktok\b|\breels?\b|\bshorts\b|竖屏")
    long = short * 16 // 9
    return style, background, ((short, long) if portrait else (long, short))


def avatar_plan(message: Message, ctx: TurnContext) -> Plan | None:
    if not wants_avatar(message, ctx):
        return None
    found = script_of(message, ctx)
    if found is None:
        return refusal(ASK)
    lines, source = found
    words = sum(len(line.text.split()) for line in lines)
    speaker = speaker_for(message, ctx, lines)
    if isinstance(speaker, Plan):
        return speaker
    language, voice, pace = speaker
    style, background, (width, height) = look(message, ctx)
    captions = message.says(r"\bcaptions?\b|\bsubtitles?\b|字幕")

    async def run(c: TurnContext) -> Any:
        longer = (f" At {words} words this takes a little longer (under {SWEET_SPOT_WORDS} is the sweet spot)."
                  if words > SWEET_SPOT_WORDS else "")
        async for ev in say(f"Creating a {width}x{height} presenter video ({style} style) from {source}: "
                            f"{words} words with {voice_name(voice)}.{longer} "):
            yield ev
        report: dict[str, Any] = {}

        def work() -> dict[str, Any]:
            report.update(make_presenter(c, lines, voice, language, pace or 1.0, style, background, width, height,
                                         captions))
            return report

        async for ev in tool("create_avatar_video", {"style": style, "width": width, "height": height,
                                                     "words": words, "language": language}, work, thread=True):
            yield ev
        captioned = " Captions are burned in at the bottom." if captions else ""
        async for ev in say(f"Done: a {report['duration_s']:.1f} s presenter video, {report['distinct_images']} "
                            f"drawn images for {report['frames']} frames (the mouth follows the speech, the eyes "
                            f"blink).{captioned} The captions are saved as {report['srt']}. Next: add a title, "
                            "background music, a 9:16 version, or export."):
            yield ev

    return Plan("avatar", COSTS["avatar"], run)


def make_presenter(c: TurnContext, lines: list, voice: Any, language: str, pace: float, style: str,
                   background: str, width: int, height: int, captions: bool) -> dict[str, Any]:
    """Speak the script line by line, join with pauses, draw the presenter, and put it on a new draft."""
    from nemo_nb.local.media.avatar import presenter_info, render_presenter
    from nemo_nb.local.media.tts import engine

    work = c.new_file("avatar-speech.wav")
    parts, phonemes, cues, at = [], [], [], 0
    for index, line in enumerate(lines):
        part = work.path.with_name(f"line{index:03d}.wav")
        speech = engine().synthesize(line.text, part, language=language, voice=voice.id, rate=pace)
        length = int(speech.duration_s * 1000)
        phonemes += [(sym, a + at / 1000, b + at / 1000) for sym, a, b in speech.phonemes]
        cues += srt.split_cue(srt.Cue(at, at + length, line.text))
        parts.append(part)
        at += length + PAUSE_MS
    join_wavs(parts, work.path, PAUSE_MS)
    for part in parts:
        part.unlink(missing_ok=True)
    duration_s = (at - PAUSE_MS) / 1000
    if background.startswith("upload:"):
        media = c.store.media(background[7:], c.user_id)
        background = str(c.library.path(media)) if media else "#1f2a44"
    video = c.new_file("presenter.mp4")
    facts = render_presenter(video.path, audio_path=work.path, phonemes=phonemes, duration_s=duration_s,
                             width=width, height=height, style=style, background=background)
    info = presenter_info(facts)  # what render_presenter wrote: no probe run
    entry = c.register(video, dataclasses.asdict(info), kind="avatar", style=style)
    srt_item = c.new_file(f"presenter.{language}.srt")
    srt_item.path.write_text(srt.format_srt(cues), encoding="utf-8")
    srt_entry = c.register(srt_item, inspect(srt_item.path), kind="captions", language=language)
    draft = Draft()
    length = round(info.duration_s * 1000)
    draft.track(VIDEO, "Video").add({"id": new_segment_id(), "k": "video", "st": 0, "d": length,
                                     "src": entry["media_id"], "url": entry["cdn_url"], "ss": 0,
                                     "n": f"Presenter ({style})", "v": 100})
    draft.set_canvas(width, height)
    draft.raw["m"]["voiceover"] = {"language": language, "voice": voice.id, "srt": srt_entry["media_id"],
                                   "cues": [[q.start_ms, q.end_ms, q.text] for q in cues]}
    if captions:
        from nemo_nb.draft import TEXT

        track = draft.track(TEXT, "Captions")
        for q in cues:
            track.add({"id": new_segment_id(), "k": "caption", "st": q.start_ms, "d": q.end_ms - q.start_ms,
                       "tx": q.text, "n": q.text, "pos": "bottom", "c": "white"})
    previous = c.draft
    if previous.is_renderable:  # keep the earlier timeline for "work on …" / undo
        c.state.setdefault("drafts_by_media", {})["previous"] = previous.to_json()
    c.set_draft(draft)
    return {"duration_s": round(duration_s, 2), "frames": facts.get("frames", 0),
            "distinct_images": facts.get("distinct_images", 0), "srt": srt_entry["filename"],
            "media_id": entry["media_id"]}


def join_wavs(parts: list[Path], out: Path, pause_ms: int) -> None:
    """One WAV: the parts in order with ``pause_ms`` of silence between them (joined here when they share one
    PCM format, as the speech worker writes them; else by ffmpeg)."""
    from nemo_nb.local.media.ffmpeg import ffmpeg_exe

    if _join_pcm(parts, out, pause_ms):
        return
    args = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y"]
    for part in parts:
        args += ["-i", str(part)]
    chains = "".join(f"[{i}:a]aformat=sample_rates=22050:channel_layouts=mono,apad=pad_dur={pause_ms / 1000}[a{i}];"
                     for i in range(len(parts) - 1))
    last = len(parts) - 1
    chains += f"[{last}:a]aformat=sample_rates=22050:channel_layouts=mono[a{last}];"
    graph = chains + "".join(f"[a{i}]" for i in range(len(parts))) + f"concat=n={len(parts)}:v=0:a=1[out]"
    subprocess.run([*args, "-filter_complex", graph, "-map", "[out]", str(out)], check=True, timeout=300)


def _join_pcm(parts: list[Path], out: Path, pause_ms: int) -> bool:
    """Join mono 16-bit WAVs of one sample rate with Python's ``wave``; False (nothing written) otherwise."""
    with contextlib.ExitStack() as stack:
        try:
            readers = [stack.enter_context(wave.open(str(part), "rb")) for part in parts]
        except (OSError, EOFError, wave.Error):
            return False
        formats = {(r.getnchannels(), r.getsampwidth(), r.getframerate(), r.getcomptype()) for r in readers}
        if len(formats) != 1 or next(iter(formats))[:2] != (1, 2):
            return False
        rate = readers[0].getframerate()
        silence = b"\0\0" * round(rate * pause_ms / 1000)
        with wave.open(str(out), "wb") as joined:
            joined.setnchannels(1)
            joined.setsampwidth(2)
            joined.setframerate(rate)
            for index, reader in enumerate(readers):
                if index:
                    joined.writeframes(silence)
                joined.writeframes(reader.readframes(reader.getnframes()))
        return True
