"""The avatar presenter: a script spoken by a drawn presenter whose mouth follows the speech. Over footage it
goes in a corner (picture-in-picture), the user's clip and frame untouched; without footage it is the video."""
from __future__ import annotations

import contextlib
import dataclasses
import wave
from pathlib import Path
from typing import Any

from nemo_nb.draft import TEXT, VIDEO, Draft
from nemo_nb.draft.fields import DEFAULT_LOUDNESS
from nemo_nb.local import srt
from nemo_nb.local.credits import COSTS
from nemo_nb.local.library import inspect
from nemo_nb.local.media.speech_length import check_speech_fits
from nemo_nb.local.skills.base import Plan, TurnContext, refusal, say, tool, video_end_ms
from nemo_nb.local.skills.voiceover import Line, language_of, lower_original, script_of, speaker_for, voice_name
from nemo_nb.local.understanding import Intent

PAUSE_MS = 350
PIP_SCALE = 30        # the corner presenter's width, percent of the frame
PIP_SIZE = (360, 360)  # drawn at this size, scaled into its box
SWEET_SPOT_WORDS = 200
ASK = ("To make a presenter video I need the script: send it after a colon (\"create a talking avatar video: "
       "Hello, I'm …\") or upload it as a .txt, .md, .pdf or .docx file and ask again. Under 200 words is the "
       "sweet spot. "
       "Nothing was charged.")


def look(intent: Intent, ctx: TurnContext) -> tuple[str, str, tuple[int, int]]:
    """(style, background, size): "friendly", "on a gradient", "9:16", "720p"."""
    words = intent.words
    style = "friendly" if words & {"friendly", "casual", "warm", "relaxed"} else "modern" if "modern" in words \
        else "professional"
    background = "#1f2a44"
    images = ctx.uploaded("image")
    if images and "background" in words:
        background = "upload:" + images[-1]["media_id"]
    elif "gradient" in words:
        background = "gradient:#1f2a44→#4a6fa5"
    elif intent.slots.colour:
        background = intent.slots.colour
    short = intent.slots.size if intent.slots.size in (720, 1080) else 1080
    portrait = intent.slots.ratio == "9:16"
    long = short * 16 // 9
    return style, background, ((short, long) if portrait else (long, short))


def avatar_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    found = script_of(intent, ctx)
    if found is None:
        return refusal(ASK)
    lines, source = found
    words = sum(len(line.text.split()) for line in lines)
    language = language_of(intent, lines, ctx)
    voice = speaker_for(language, intent.slots.gender)
    if isinstance(voice, Plan):
        return voice
    pace = intent.slots.pace.apply(1.0) if intent.slots.pace else 1.0
    style, background, (width, height) = look(intent, ctx)
    captions = bool(intent.words & {"captions", "caption", "subtitles", "subs"})
    over_footage = ctx.draft.is_renderable
    if refused := too_long(lines, source, pace, video_end_ms(ctx.draft) if over_footage else None):
        return refused
    if over_footage:
        corner = intent.slots.position if intent.slots.position in CORNERS else "bottom-right"
        return corner_plan(lines, source, voice, language, pace, style, background, corner)

    async def run(c: TurnContext) -> Any:
        longer = (f" At {words} words this takes a little longer (under {SWEET_SPOT_WORDS} is the sweet spot)."
                  if words > SWEET_SPOT_WORDS else "")
        async for ev in say(f"Creating a {width}x{height} presenter video ({style} style) from {source}: "
                            f"{words} words with {voice_name(voice)}.{longer} "):
            yield ev
        report: dict[str, Any] = {}

        def work() -> dict[str, Any]:
            report.update(make_presenter(c, lines, voice, language, pace, style, background, width, height,
                                         captions))
            return report

        async for ev in tool("create_avatar_video", {"style": style, "width": width, "height": height,
                                                     "words": words, "language": language}, work, thread=True):
            yield ev
        where = "under the presenter's face" if height > width else "at the bottom"
        captioned = f" Captions are burned in {where}." if captions else ""
        async for ev in say(f"Done: a {report['duration_s']:.1f} s presenter video, {report['distinct_images']} "
                            f"drawn images for {report['frames']} frames (the mouth follows the speech, the eyes "
                            f"blink, the head nods on stressed words).{captioned} The captions are saved as "
                            f"{report['srt']}. Next: add a title, "
                            "background music, a 9:16 version, or export."):
            yield ev

    return Plan("avatar", COSTS["avatar"], run)


def too_long(lines: list[Line], source: str, pace: float, video_ms: int | None) -> Plan | None:
    """A free refusal, before anything is spoken, when the script cannot fit: over the footage (``video_ms``)
    from 0.4 s in, or as a presenter video of its own (at most ``MAX_DURATION_S``)."""
    from nemo_nb.local.media.avatar import MAX_DURATION_S

    pauses_s = PAUSE_MS / 1000 * (len(lines) - 1)
    room_s = (video_ms / 1000 - 0.4 if video_ms is not None else MAX_DURATION_S) - pauses_s
    over = check_speech_fits([line.text for line in lines], room_s, pace)
    if over is None:
        return None
    if video_ms is not None:
        return refusal(f"The script from {source} is too long for a presenter over this {video_ms / 1000:.1f} s "
                       f"video: {over}. Cut about {over.cut_words} words and ask again. Nothing was charged.")
    return refusal(f"The script from {source} is too long for a presenter video (at most {MAX_DURATION_S / 60:g} "
                   f"minutes): {over}. Cut about {over.cut_words} words, or split it into several videos, and ask "
                   "again. Nothing was charged.")


CORNERS = ("top-left", "top-right", "bottom-left", "bottom-right")


def corner_plan(lines: list[Line], source: str, voice: Any, language: str, pace: float, style: str,
                background: str, corner: str) -> Plan:
    """The presenter over the footage, in a corner: the clip, its length and the frame stay as they are."""
    async def run(c: TurnContext) -> Any:
        draft = c.draft
        video_ms = video_end_ms(draft)
        async for ev in say(f"Drawing a presenter ({style} style) for the {corner.replace('-', ' ')} corner, speaking "
                            f"the script from {source} with {voice_name(voice)}. "):
            yield ev
        report: dict[str, Any] = {}

        def work() -> dict[str, Any]:
            report.update(make_corner_presenter(c, draft, lines, voice, language, pace, style, background, corner,
                                                video_ms))
            return {k: v for k, v in report.items() if k != "reply"}

        async for ev in tool("add_presenter_overlay", {"corner": corner, "style": style, "language": language},
                             work, thread=True):
            yield ev
        async for ev in say(report["reply"]):
            yield ev

    return Plan("avatar", COSTS["avatar"], run)


def make_corner_presenter(c: TurnContext, draft: Draft, lines: list[Line], voice: Any, language: str, pace: float,
                          style: str, background: str, corner: str, video_ms: int) -> dict[str, Any]:
    """Speak, draw a small presenter, and lay it over the video in ``corner`` from near the start."""
    from nemo_nb.local.media.avatar import render_presenter

    audio, phonemes, _, duration_s = speak_lines(c, lines, voice, language, pace)
    if duration_s * 1000 > video_ms - 400:
        audio.path.unlink(missing_ok=True)
        c.refund += COSTS["avatar"]
        return {"fitted": False, "reply": f"The script takes {duration_s:.1f} s to say, longer than the "
                f"{video_ms / 1000:.1f} s video, so I added no presenter. Shorten the script and ask again. "
                "Nothing was charged."}
    video = c.new_file("presenter-corner.mp4")
    render_presenter(video.path, audio_path=audio.path, phonemes=phonemes, duration_s=duration_s,
                     width=PIP_SIZE[0], height=PIP_SIZE[1], style=style, background=background)
    audio.path.unlink(missing_ok=True)
    entry = c.register(video, inspect(video.path), kind="avatar", style=style)
    length = min(round(inspect(video.path)["duration_s"] * 1000), video_ms)
    start = min(400, max(0, video_ms - length))
    draft.remove_tracks(lambda t: t.type == VIDEO and t.name == "Presenter")
    segment = draft.track(VIDEO, "Presenter").add_video("video", start, length, src=entry["media_id"],
                                                        url=entry["cdn_url"], name=f"Presenter ({style})")
    segment.set("box", corner)
    segment.set("sc", PIP_SCALE)
    lowered = lower_original(draft)
    c.set_draft(draft)
    quieter = " The clip's own sound is lowered to 25% under the speech." if lowered else ""
    return {"fitted": True, "duration_ms": length, "reply": (
        f"Added a presenter in the {corner.replace('-', ' ')} corner ({PIP_SCALE}% of the width) from "
        f"{start / 1000:g} s to {(start + length) / 1000:.1f} s, over your clip; the clip, its length and the frame "
        f"are unchanged.{quieter} Say \"undo\" to take it away.")}


def make_presenter(c: TurnContext, lines: list[Line], voice: Any, language: str, pace: float, style: str,
                   background: str, width: int, height: int, captions: bool) -> dict[str, Any]:
    """Speak the script line by line, join with pauses, draw the presenter, and put it on a new draft."""
    from nemo_nb.local.media.avatar import presenter_info, render_presenter

    work, phonemes, cues, duration_s = speak_lines(c, lines, voice, language, pace)
    if background.startswith("upload:"):
        media = c.store.media(background[7:], c.user_id)
        background = str(c.library.path(media)) if media else "#1f2a44"
    video = c.new_file("presenter.mp4")
    # The speech at the platforms' loudness already (levelled while the pictures are drawn): the video is
    # ready to post as it is, and its export only measures it.
    facts = render_presenter(video.path, audio_path=work.path, phonemes=phonemes, duration_s=duration_s,
                             width=width, height=height, style=style, background=background,
                             loudness=DEFAULT_LOUDNESS)
    info = presenter_info(facts)  # what render_presenter wrote: no probe run
    entry = c.register(video, dataclasses.asdict(info), kind="avatar", style=style)
    srt_item = c.new_file(f"presenter.{language}.srt")
    srt_item.path.write_text(srt.format_srt(cues), encoding="utf-8")
    srt_entry = c.register(srt_item, inspect(srt_item.path), kind="captions", language=language)
    draft = Draft()
    length = round(info.duration_s * 1000)
    draft.track(VIDEO, "Video").add_video("video", 0, length, src=entry["media_id"], url=entry["cdn_url"],
                                          name=f"Presenter ({style})")
    draft.set_canvas(width, height, "fit")
    draft.set_voiceover(language=language, voice=voice.id, srt=srt_entry["media_id"],
                        cues=[(q.start_ms, q.end_ms, q.text) for q in cues])
    if captions:  # below the face; the renderer sizes them and keeps them above the platforms' buttons
        track = draft.track(TEXT, "Captions")
        for q in cues:
            track.add_text("caption", q.text, q.start_ms, q.end_ms - q.start_ms, colour="white", pos="bottom")
    previous = c.draft
    if previous.is_renderable:  # keep the earlier timeline for "work on …" / undo
        c.state.setdefault("drafts_by_media", {})["previous"] = previous.to_json()
    c.set_draft(draft)
    return {"duration_s": round(duration_s, 2), "frames": facts.get("frames", 0),
            "distinct_images": facts.get("distinct_images", 0), "srt": srt_entry["filename"],
            "media_id": entry["media_id"]}


def speak_lines(c: TurnContext, lines: list[Line], voice: Any, language: str, pace: float
                ) -> tuple[Any, list[Any], list[srt.Cue], float]:
    """The lines spoken one after another with short pauses into one WAV: (its file, phonemes, cues, seconds)."""
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
    return work, phonemes, cues, (at - PAUSE_MS) / 1000


def join_wavs(parts: list[Path], out: Path, pause_ms: int) -> None:
    """One WAV: the parts in order with ``pause_ms`` of silence between them (joined here when they share one
    PCM format, as the speech worker writes them; else by ffmpeg)."""
    from nemo_nb.local.media import children
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
    children.run([*args, "-filter_complex", graph, "-map", "[out]", str(out)], check=True, timeout=300)


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
