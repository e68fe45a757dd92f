"""Voiceover: a script (from the message or an uploaded TXT/MD/SRT) spoken over the video, sentence by
sentence: from near the start, one line after another with natural pauses (spread over the whole video only
when asked), sped up (to 1.25×) only when it would not fit; its captions are kept as SRT. Also: the same
script spoken again in another voice or pace, and the voiceover removed."""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nemo_nb.draft import AUDIO, VIDEO, Draft
from nemo_nb.draft.languages import language_name
from nemo_nb.local import srt
from nemo_nb.local.credits import COSTS
from nemo_nb.local.library import inspect
from nemo_nb.local.media.probe import wav_info
from nemo_nb.local.media.speech_length import check_speech_fits
from nemo_nb.local.skills.base import Plan, TurnContext, refusal, say, tool, video_end_ms
from nemo_nb.local.skills.grammar import plural, with_article
from nemo_nb.local.skills.placement import ensure_video, pick_upload
from nemo_nb.local.skills.texts import script_language, seconds_text, sentences, shorten
from nemo_nb.local.understanding import Intent

PACE_RANGE = (0.8, 1.25)  # what a user may ask for
GAP_MS = 300              # the shortest pause between lines
PAUSE_MS = 800            # the longest natural pause between lines
LEAD_MS = 400             # where the first line starts
ASK_FOR_SCRIPT = ("What should the voice say? To make a voiceover I need the words to say: send the script after a "
                  "colon, e.g. \"add a voiceover: Welcome to our app. …\", or upload a .txt, .md or .srt file and ask "
                  "again. Tip: sentences under 20 words sound most natural. Nothing was charged.")


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


def script_of(intent: Intent, ctx: TurnContext) -> tuple[list[Line], str] | None:
    """The lines to speak and where they came from: the message, else the uploaded document it names (or the
    latest one)."""
    text = intent.slots.text or next(iter(intent.slots.translations.values()), None)
    if text:
        return [Line(s) for s in sentences(text)], "your message"
    documents = ctx.uploaded("document")
    named = pick_upload(" ".join(intent.slots.uploads), documents) if intent.slots.uploads else None
    for upload in [named] if named else list(reversed(documents)):
        content = ctx.document_text(upload)
        if not content:
            continue
        if upload["filename"].lower().endswith(".srt"):
            cues = srt.parse(content)
            if cues:
                return [Line(c.text, c.start_ms) for c in cues], upload["filename"]
        plain = re.sub(r"^#+\s*|[*_`>]", "", content, flags=re.MULTILINE)  # markdown marks
        lines = [Line(s) for s in sentences(plain)]
        if lines:
            return lines, upload["filename"]
    return None


def language_of(intent: Intent, lines: list[Line], ctx: TurnContext) -> str:
    """The language to speak: the translation's, else the one named last, else what the script's words say."""
    slots = intent.slots
    if slots.translations:
        return next(iter(slots.translations))
    spoken = script_language(" ".join(line.text for line in lines))
    named = [code for code in slots.languages if code != "en" or spoken in (None, "en")]
    return named[-1] if named else spoken or ctx.language or "en"


def voice_name(voice: Any) -> str:
    """``Joe (neural)`` / ``espeak-ng (robotic fallback synth)``: what replies call a voice."""
    from nemo_nb.local.media.voices import describe_voice

    return describe_voice(voice)


def speaker_for(language: str, gender: str | None, voice_id: str | None = None) -> Any:
    """The voice for ``language`` and ``gender``, or a free refusal naming the languages there are."""
    from nemo_nb.local.media.tts import pick_voice

    try:
        return pick_voice(language, gender=gender, voice=voice_id)
    except ValueError as exc:
        return refusal(f"{exc}. Nothing was charged.")


def stretch(path: Path, tempo: float) -> None:
    """Change a WAV's pace in place with ffmpeg's atempo (pitch kept)."""
    stretch_all([path], tempo)


def stretch_all(paths: list[Path], tempo: float) -> None:
    """Change the pace of several WAVs in place, in one ffmpeg run (one process, not one per sentence)."""
    from nemo_nb.local.media import children
    from nemo_nb.local.media.ffmpeg import ffmpeg_exe

    if not paths:
        return
    outs = [path.with_name(path.stem + ".tempo.wav") for path in paths]
    args = [arg for path in paths for arg in ("-i", str(path))]
    for index, out in enumerate(outs):
        args += ["-map", f"{index}:a:0", "-filter:a", f"atempo={tempo:.4f}", str(out)]  # options of this output
    children.run([ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args],
                 check=True, timeout=120)
    for path, out in zip(paths, outs, strict=True):
        out.replace(path)


def layout(lines: list[Line], start_ms: int, end_ms: int, *, spread: bool = False) -> None:
    """Place the lines without fixed times: one after another from ``start_ms`` with natural pauses (0.3–0.8 s),
    or, when ``spread``, evenly over [start, end]. Cue times are kept where given."""
    free = [line for line in lines if line.at_ms is None]
    if not free:
        return
    speech = sum(line.duration_ms for line in free)
    room = (end_ms - start_ms - speech) // max(1, len(free) - 1) if len(free) > 1 else 0
    gap = max(GAP_MS, room) if spread else max(GAP_MS, min(PAUSE_MS, room))
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


def too_long(lines: list[Line], source: str, ctx: TurnContext, pace: float) -> Plan | None:
    """A free refusal, before anything is spoken, when the lines cannot fit the video even at the fastest pace
    the fitting allows (``media.speech_length``); None when they may fit (checked again once spoken)."""
    video_ms = planned_video_ms(ctx)
    over = check_speech_fits([line.text for line in lines], video_ms / 1000, max(pace, PACE_RANGE[1])) \
        if video_ms else None
    if over is None:
        return None
    return refusal(f"The script from {source} is too long for this {video_ms / 1000:.1f} s video: {over}. "
                   f"Cut about {over.cut_words} words (or use a longer video) and ask again. Nothing was charged.")


def voiceover_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    if not (ctx.uploaded("video") or ctx.draft.is_renderable):
        return refusal("Upload the video to voice first (MP4, MOV, AVI, WebM or MKV), then ask again. "
                       "Nothing was charged.")
    found = script_of(intent, ctx)
    if found is None:
        return refusal(ASK_FOR_SCRIPT)
    lines, source = found
    language = language_of(intent, lines, ctx)
    voice = speaker_for(language, intent.slots.gender)
    if isinstance(voice, Plan):
        return voice
    pace = intent.slots.pace.apply(1.0) if intent.slots.pace else 1.0
    return too_long(lines, source, ctx, pace) or voice_plan(lines, source, language, voice, pace,
                                                            spread=intent.slots.spread)


def voice_plan(lines: list[Line], source: str, language: str, voice: Any, pace: float, *, spread: bool = False,
               verb: str = "Writing") -> Plan:
    """Speak ``lines`` over the video (replacing any voiceover)."""
    async def run(c: TurnContext) -> Any:
        draft, placed = ensure_video(c)
        video_ms = video_end_ms(draft)
        lead = f"{placed} " if placed else ""
        async for ev in say(f"{lead}{verb} the voiceover from {source}… "):
            yield ev
        outcome: dict[str, Any] = {}

        def work() -> dict[str, Any]:
            outcome.update(speak_and_place(c, draft, lines, voice, language, pace, video_ms, spread))
            return {k: v for k, v in outcome.items() if k != "reply"}

        async for ev in tool("generate_voiceover", {"language": language, "voice": voice.id, "sentences": len(lines),
                                                    "source": source}, work, thread=True):
            yield ev
        async for ev in say(outcome["reply"]):
            yield ev

    return Plan("voiceover", COSTS["voiceover"], run)


def revoice_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    """The voiceover's script spoken again: another voice ("a woman's voice"), or pace ("a bit faster")."""
    meta = ctx.draft.voiceover
    cues = (meta or {}).get("cues") or []
    if not meta or not cues:
        return refusal("There is no voiceover yet; say e.g. \"add a voiceover: Welcome to …\". Nothing was charged.")
    lines = [Line(str(text)) for text in dict.fromkeys(str(cue[2]) for cue in cues)]
    language = str(meta.get("language") or "en")
    current = str(meta.get("voice") or "")
    slots = intent.slots
    was_female = "+f" in current or "female" in current
    another = not (slots.gender or slots.pace)  # "change the voice": the other voice
    gender = slots.gender or (("male" if was_female else "female") if another else ("female" if was_female else None))
    voice = speaker_for(language, gender)
    if isinstance(voice, Plan):
        return voice
    pace_now = float(meta.get("pace") or 1.0)
    pace = slots.pace.apply(pace_now) if slots.pace else pace_now
    return too_long(lines, "the current script", ctx, pace) or voice_plan(lines, "the current script", language,
                                                                        voice, pace, verb="Re-recording")


def remove_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    if not any(t.type == AUDIO and t.name == "Voiceover" for t in ctx.draft.tracks):
        return refusal("There is no voiceover to remove. Nothing was charged.")

    async def run(c: TurnContext) -> Any:
        d = c.draft

        def work() -> dict[str, Any]:
            d.remove_tracks(lambda t: t.type == AUDIO and t.name == "Voiceover")
            d.remove_voiceover()
            for seg in d.segments_of(VIDEO):
                if seg.get("v") == LOWERED:
                    seg.set_volume(100)
            c.set_draft(d)
            return {"removed": True}

        async for ev in tool("remove_voiceover", {}, work):
            yield ev
        async for ev in say("Removed the voiceover; the clip's own sound is back at full level."):
            yield ev

    return Plan("voiceover_remove", COSTS["audio_level"], run)


def speak_and_place(c: TurnContext, draft: Draft, lines: list[Line], voice: Any, language: str, pace: float,
                    video_ms: int, spread: bool = False) -> dict[str, Any]:
    """Synthesize, speed up if it would not fit (to 1.25×), place, register files, write the SRT."""
    from nemo_nb.local.media.tts import engine, pick_voice

    items = []
    for index, line in enumerate(lines, 1):
        item = c.new_file(f"voiceover-{language}-{index:02d}.wav")
        speech = engine().synthesize(line.text, item.path, language=language, voice=voice.id, rate=pace)
        if speech.engine != voice.engine:  # the neural voice could not be loaded: the reply names the one heard
            voice = pick_voice(voice=speech.voice)
        line.path, line.duration_ms = item.path, int(speech.duration_s * 1000)
        items.append(item)
    lead = min(LEAD_MS, video_ms // 20)
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
    # speed up as far as 1.25x to fit; never slow down on its own: pauses and silence fill the rest
    tempo = 1.0 if timed else max(1.0, min(tempo, PACE_RANGE[1] / pace))
    if abs(tempo - 1) > 0.03:
        stretch_all([item.path for item in items], tempo)
        for line in lines:
            line.duration_ms = int(line.duration_ms / tempo)
    layout(lines, lead, video_ms - lead, spread=spread)
    trimmed = fit_cues(lines, video_ms)
    draft.remove_tracks(lambda t: t.type == AUDIO and t.name == "Voiceover")
    track = draft.track(AUDIO, "Voiceover")
    entries = []
    for line, item in zip(lines, items, strict=True):
        # The worker wrote this WAV: its header says all (no ffmpeg run per sentence).
        entry = c.register(item, asdict(wav_info(item.path)), kind="voiceover", language=language, text=line.text)
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
            "reply": describe(lines, voice, language, pace * tempo, lowered, trimmed, srt_entry)}


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


LOWERED = 25  # the video's own sound under a new voiceover


def lower_original(draft: Draft) -> bool:
    """Lower the video's own sound under a new voiceover (to 25%), unless the user set it."""
    lowered = False
    for seg in draft.segments_of(VIDEO):
        if seg.get("v", 100) == 100 and not seg.get("box"):
            seg.set_volume(LOWERED)
            lowered = True
    return lowered


def describe(lines: list[Line], voice: Any, language: str, pace: float, lowered: bool, trimmed: int,
             srt_entry: dict[str, Any]) -> str:
    """One sentence of what was added, then the next step."""
    speech = sum(line.duration_ms for line in lines) / 1000
    name = f"{language_name(language)} voiceover"
    first = lines[0]
    quieter = "; the original sound is lowered to 25% under it" if lowered else ""
    parts = [f"Added {with_article(name)}: {plural(len(lines), 'sentence')}, {speech:.1f} s of speech from "
             f"{seconds_text(first.start_ms)} (“{shorten(first.text, 40)}”), voice {voice_name(voice)}, pace "
             f"{pace:.2f}×{quieter}."]
    if trimmed:
        parts.append(f"{plural(trimmed, 'line')} ran longer than their subtitle slot and were cut short.")
    parts.append(f"Next: burn in the captions (saved as {srt_entry['filename']}), add music, or export.")
    return " ".join(parts)
