"""Voiceover: a script (from the message or an uploaded TXT/MD/SRT) spoken over the video, sentence by
sentence, fitted to the video's length, with its captions kept as SRT."""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_nb.draft import AUDIO, VIDEO, Draft
from nemo_nb.draft.languages import language_name
from nemo_nb.local import intents, srt
from nemo_nb.local.credits import COSTS
from nemo_nb.local.library import inspect
from nemo_nb.local.media.speech_length import check_speech_fits
from nemo_nb.local.skills.base import Message, Plan, TurnContext, refusal, say, tool, video_end_ms
from nemo_nb.local.skills.placement import ensure_video

VOICEOVER = (r"voice[- ]?overs?\b", r"\bnarrat", r"\bvoice (it|this)\b", r"\bread (the|my|this) script\b",
             r"\bspeak\b", r"配音|旁白|解说")
PACE_RANGE = (0.8, 1.25)  # what a user may ask for
SLOWEST = 0.9             # how far the fitting slows a voice down on its own
GAP_MS = 300
ASK_FOR_SCRIPT = ("To make a voiceover I need the words to say. Send the script after a colon, e.g. "
                  "\"add a voiceover: Welcome to our app. …\", or upload a .txt, .md or .srt file and ask again. "
                  "Tip: sentences under 20 words sound most natural. Nothing was charged.")


@dataclass
class Line:
    """One sentence to speak, where it goes (ms), and the file it became."""

    text: str
    at_ms: int | None = None      # SRT cues fix their start; sentences are spread evenly
    path: Path | None = None
    duration_ms: int = 0

    @property
    def start_ms(self) -> int:
        """Where the line starts once placed (by its cue or by ``layout``)."""
        return self.at_ms or 0


def script_of(message: Message, ctx: TurnContext) -> tuple[list[Line], str] | None:
    """The lines to speak and where they came from: the message, else the latest uploaded document."""
    if message.script:
        return [Line(s) for s in intents.sentences(message.script)], "your message"
    long_quotes = [q for q in message.quotes if len(q.split()) >= 3]
    if long_quotes:
        return [Line(s) for s in intents.sentences(max(long_quotes, key=len))], "your message"
    for upload in reversed(ctx.uploaded("document")):
        content = ctx.document_text(upload)
        if not content:
            continue
        if upload["filename"].lower().endswith(".srt"):
            cues = srt.parse(content)
            if cues:
                return [Line(c.text, c.start_ms) for c in cues], upload["filename"]
        plain = re.sub(r"^#+\s*|[*_`>]", "", content, flags=re.MULTILINE)  # markdown marks
        lines = [Line(s) for s in intents.sentences(plain)]
        if lines:
            return lines, upload["filename"]
    return None


def voice_wishes(message: Message) -> tuple[str | None, float | None]:
    """(gender, pace) asked for: "female voice", "slowly", "at 1.1x"."""
    gender = None
    if message.says(r"\b(female|woman|women|girl|her)\b", r"女声|女性"):
        gender = "female"
    elif message.says(r"\b(male|man|men|guy|his)\b", r"男声|男性"):
        gender = "male"
    pace = intents.multiplier(message.instruction)
    if pace is None and message.says(r"\b(slow|slower|slowly|calm|relaxed)\b"):
        pace = 0.9
    elif pace is None and message.says(r"\b(fast|faster|quick|quickly|energetic|brisk)\b"):
        pace = 1.1
    return gender, pace


def voice_name(voice: Any) -> str:
    """``Joe (natural neural voice)`` / ``es (espeak-ng female voice)``."""
    kind = ("natural neural voice" if voice.engine == "piper"
            else f"espeak-ng {voice.gender or ''} voice".replace("  ", " "))
    return f"{voice.id.split('+')[0].title() if voice.engine == 'piper' else voice.id} ({kind})"


def speaker_for(message: Message, ctx: TurnContext, lines: list[Line]) -> tuple[str, Any, float | None] | Plan:
    """(language, voice, pace) for speaking ``lines``, or a free refusal naming the languages there are."""
    from nemo_nb.local.media.tts import pick_voice

    language = (intents.language(message.instruction) or intents.script_language(" ".join(line.text for line in lines))
                or ctx.language or "en")
    gender, pace = voice_wishes(message)
    try:
        return language, pick_voice(language, gender=gender), pace
    except ValueError as exc:
        return refusal(f"{exc}. Nothing was charged.")


def stretch(path: Path, tempo: float) -> None:
    """Change a WAV's pace in place with ffmpeg's atempo (pitch kept)."""
    from nemo_nb.local.media import children
    from nemo_nb.local.media.ffmpeg import ffmpeg_exe

    out = path.with_name(path.stem + ".tempo.wav")
    children.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", str(path),
                    "-filter:a", f"atempo={tempo:.4f}", str(out)], check=True, timeout=120)
    out.replace(path)


def layout(lines: list[Line], start_ms: int, end_ms: int) -> None:
    """Spread sentences without fixed times evenly over [start, end]; keep cue times where given."""
    free = [line for line in lines if line.at_ms is None]
    if not free:
        return
    speech = sum(line.duration_ms for line in free)
    gap = max(GAP_MS, (end_ms - start_ms - speech) // max(1, len(free) - 1)) if len(free) > 1 else 0
    at = start_ms
    for line in free:
        line.at_ms = at
        at += line.duration_ms + gap


def planned_video_ms(ctx: TurnContext) -> int:
    """The video's length before the turn runs: the timeline's, else the latest upload's (0: unknown)."""
    on_timeline = video_end_ms(ctx.draft)
    if on_timeline:
        return on_timeline
    videos = ctx.uploaded("video")
    return int(float(videos[-1].get("duration") or 0) * 1000) if videos else 0


def voiceover_plan(message: Message, ctx: TurnContext) -> Plan | None:
    if not message.says(*VOICEOVER) or message.says(r"\bdub", r"配音成|译制"):
        return None
    if not (ctx.uploaded("video") or ctx.draft.is_renderable):
        return refusal("Upload the video to voice first (MP4, MOV, AVI, WebM or MKV), then ask again. "
                       "Nothing was charged.")
    found = script_of(message, ctx)
    if found is None:
        return refusal(ASK_FOR_SCRIPT)
    lines, source = found
    video_ms = planned_video_ms(ctx)
    if video_ms and (too_long := check_speech_fits([line.text for line in lines], video_ms / 1000, PACE_RANGE[1])):
        return refusal(f"The script from {source} is too long for this {video_ms / 1000:.1f} s video: {too_long}. "
                       f"Cut about {too_long.cut_words} words (or use a longer video) and ask again. "
                       "Nothing was charged.")
    speaker = speaker_for(message, ctx, lines)
    if isinstance(speaker, Plan):
        return speaker
    language, voice, pace = speaker

    async def run(c: TurnContext) -> Any:
        draft, placed = ensure_video(c)
        video_ms = video_end_ms(draft)
        name = language_name(language)
        lead = f"{placed} " if placed else ""
        async for ev in say(f"{lead}Writing an {name} voiceover from {source} with {voice_name(voice)} "
                            f"({len(lines)} sentences). "):
            yield ev
        outcome: dict[str, Any] = {}

        def work() -> dict[str, Any]:
            outcome.update(speak_and_place(c, draft, lines, voice, language, pace or 1.0, video_ms))
            return {k: v for k, v in outcome.items() if k != "reply"}

        async for ev in tool("generate_voiceover", {"language": language, "voice": voice.id, "sentences": len(lines),
                                                    "source": source}, work, thread=True):
            yield ev
        async for ev in say(outcome["reply"]):
            yield ev

    return Plan("voiceover", COSTS["voiceover"], run)


def speak_and_place(c: TurnContext, draft: Draft, lines: list[Line], voice: Any, language: str, pace: float,
                    video_ms: int) -> dict[str, Any]:
    """Synthesize, fit to the video (pace 0.8–1.25×), place, register files, write the SRT."""
    from nemo_nb.local.media.tts import engine

    items = []
    for index, line in enumerate(lines, 1):
        item = c.new_file(f"voiceover-{language}-{index:02d}.wav")
        speech = engine().synthesize(line.text, item.path, language=language, voice=voice.id, rate=pace)
        line.path, line.duration_ms = item.path, int(speech.duration_s * 1000)
        items.append(item)
    lead = min(500, video_ms // 20)
    room = video_ms - 2 * lead
    timed = all(line.at_ms is not None for line in lines)
    need = sum(line.duration_ms for line in lines) + GAP_MS * (len(lines) - 1)
    tempo = 1.0 if timed else need / max(1, int(room * 0.92))
    if not timed and tempo * pace > PACE_RANGE[1] * 1.0001 and tempo > 1:
        over = (need / PACE_RANGE[1] - room) / 1000
        words = sum(len(line.text.split()) for line in lines)
        cut = max(1, round(words * over * 1000 / max(1, need / PACE_RANGE[1])))
        c.library.folder.discard(items)
        c.refund += COSTS["voiceover"]
        c.set_draft(draft)  # keeps only a video placed for this turn
        return {"fitted": False, "reply": f"The script is too long for this {video_ms / 1000:.1f} s video: even at "
                f"{PACE_RANGE[1]:g}× pace it runs about {over:.1f} s over. Cut about {cut} words (or trim less "
                "video) and ask again. Nothing was charged."}
    # speed up as far as 1.25x to fit; slow down only a little (to 0.9x): gaps fill the rest
    tempo = 1.0 if timed else max(min(1.0, SLOWEST / pace), min(tempo, PACE_RANGE[1] / pace))
    if abs(tempo - 1) > 0.03:
        for line, item in zip(lines, items, strict=True):
            stretch(item.path, tempo)
            line.duration_ms = int(line.duration_ms / tempo)
    layout(lines, lead, video_ms - lead)
    trimmed = fit_cues(lines, video_ms)
    draft.remove_tracks(lambda t: t.type == AUDIO and t.name == "Voiceover")
    track = draft.track(AUDIO, "Voiceover")
    entries = []
    for line, item in zip(lines, items, strict=True):
        entry = c.register(item, inspect(item.path), kind="voiceover", language=language, text=line.text)
        entries.append(entry)
        track.add_audio("voiceover", line.start_ms, line.duration_ms, src=entry["media_id"], url=entry["cdn_url"],
                        name=line.text)
    lowered = lower_original(draft)
    cues = [piece for line in lines for piece in srt.split_cue(srt.Cue(line.start_ms, line.start_ms + line.duration_ms,
                                                                         line.text))]
    srt_item = c.new_file(f"captions.{language}.srt")
    srt_item.path.write_text(srt.format_srt(cues), encoding="utf-8")
    srt_entry = c.register(srt_item, inspect(srt_item.path), kind="captions", language=language)
    draft.set_voiceover(language=language, voice=voice.id, pace=round(pace * tempo, 3), srt=srt_entry["media_id"],
                        cues=[(cue.start_ms, cue.end_ms, cue.text) for cue in cues])
    c.set_draft(draft)
    return {"fitted": True, "sentences": len(lines), "pace": round(pace * tempo, 3),
            "speech_ms": sum(line.duration_ms for line in lines), "srt": srt_entry["filename"],
            "reply": describe(lines, voice, language, pace * tempo, video_ms, lowered, trimmed, srt_entry, draft)}


def fit_cues(lines: list[Line], video_ms: int) -> int:
    """Lines with fixed cue times must not run into the next one or past the video: trim them.
    Returns how many were trimmed."""
    trimmed = 0
    for line, following in zip(lines, [*lines[1:], None], strict=True):
        limit = (following.start_ms if following else video_ms) - (0 if following is None else 50)
        if line.start_ms + line.duration_ms > limit:
            line.duration_ms = max(200, limit - line.start_ms)
            trimmed += 1
    return trimmed


def lower_original(draft: Draft) -> bool:
    """Lower the video's own sound under a new voiceover (to 25%), unless the user set it."""
    lowered = False
    for seg in draft.segments_of(VIDEO):
        if seg.get("v", 100) == 100:
            seg.set_volume(25)
            lowered = True
    return lowered


def describe(lines: list[Line], voice: Any, language: str, pace: float, video_ms: int, lowered: bool,
             trimmed: int, srt_entry: dict[str, Any], draft: Draft) -> str:
    speech = sum(line.duration_ms for line in lines) / 1000
    name = language_name(language)
    first = lines[0]
    parts = [f"Added an {name} voiceover: {len(lines)} sentences, {speech:.1f} s of speech over the "
             f"{video_ms / 1000:.1f} s video, voice {voice_name(voice)}, pace {pace:.2f}×. It starts at "
             f"{intents.seconds_text(first.start_ms)} with “{intents.shorten(first.text, 60)}”."]
    coverage = speech * 1000 / max(1, video_ms)
    if coverage < 0.5:
        missing = int((video_ms * 0.8 / 1000 - speech) * 2.5)
        parts.append(f"The script is short: the voice fills {coverage:.0%} of the video; about {missing} more words "
                     "would cover it.")
    if trimmed:
        parts.append(f"{trimmed} line(s) were longer than their subtitle slot and were cut short.")
    if lowered:
        parts.append("I lowered the original sound to 25% under the voice.")
    parts.append(f"The captions are saved as {srt_entry['filename']}.")
    parts.append("Next: burn in the captions, add background music, or make a 9:16 version. "
                 "Preview in timeline, then click Export.")
    return " ".join(parts)
