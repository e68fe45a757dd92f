"""Dubbing: the source lines (with their timings) spoken again in other languages, each line fitted to
its slot — borrow the following silence, then speed up to 1.5×, then trim and say so.

Translations come from the message ("Spanish: Hola …"), from uploaded subtitles named by language
(``talk.es.srt``), or from a translator plug-in (``nemo_nb.translators`` entry points, see
``nemo_nb.local.translate``). With none, the agent says exactly what it needs: it never invents a
translation and never charges for asking.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from nemo_nb.draft import AUDIO, VIDEO, Draft
from nemo_nb.draft.languages import NAMED, UNDERSTOOD, language_name
from nemo_nb.local import intents, srt
from nemo_nb.local.credits import COSTS
from nemo_nb.local.library import inspect
from nemo_nb.local.media.speech_length import check_speech_fits
from nemo_nb.local.skills.base import Message, Plan, TurnContext, refusal, say, tool, video_end_ms
from nemo_nb.local.skills.voiceover import planned_video_ms, stretch
from nemo_nb.local.translate import translator

DUB = (r"\bdub(s|bed|bing)?\b", (r"\btranslat(e|ion)\b", r"\b(voice|audio|speech|video)\b"), r"译制|配音成")
MAX_SPEEDUP = 1.5
REMOVE_ORIGINAL = r"\b(remove|replace|drop|mute|without) (the )?(original|english|source) (voice|speech|audio)\b"


@dataclass
class SourceLine:
    start_ms: int
    end_ms: int
    text: str


@dataclass
class Dub:
    """One target language: its lines (aligned with the source or self-timed) and what became of them."""

    language: str
    texts: list[str]
    origin: str
    timed: list[srt.Cue] = field(default_factory=list)   # from a language SRT: its own timings
    trimmed: int = 0
    sped_up: int = 0


def source_lines(ctx: TurnContext, draft: Draft) -> tuple[list[SourceLine], str, str] | None:
    """(lines, where from, source language): the session's voiceover, else an uploaded SRT/TXT."""
    voice = [s for t in draft.tracks if t.type == AUDIO and t.name == "Voiceover" for s in t.segments]
    if voice:
        meta = draft.voiceover or {}
        lines = [SourceLine(s.start_ms, s.end_ms, str(s.get("n") or "")) for s in voice]
        return lines, "the voiceover", str(meta.get("language") or "en")
    for upload in reversed(ctx.uploaded("document")):
        name = upload["filename"].lower()
        if language_of_file(name):
            continue  # a translation, not the source
        content = ctx.document_text(upload) or ""
        if name.endswith(".srt") and (cues := srt.parse(content)):
            return [SourceLine(c.start_ms, c.end_ms, c.text) for c in cues], upload["filename"], ctx.language
        if name.endswith((".txt", ".md", ".pdf", ".docx")) and (sentences := intents.sentences(content)):
            return spread(sentences, video_end_ms(draft)), upload["filename"], ctx.language
    return None


def spread(sentences: list[str], total_ms: int) -> list[SourceLine]:
    """Untimed sentences over the video, in proportion to their length."""
    weights = [len(s) for s in sentences]
    out, at = [], 0
    for sentence, weight in zip(sentences, weights, strict=True):
        length = int(total_ms * weight / sum(weights))
        out.append(SourceLine(at, at + length, sentence))
        at += length
    return out


def language_of_file(name: str) -> str | None:
    """``talk.es.srt`` → "es"."""
    match = re.search(r"\.([a-z]{2})(?:[-_][a-z]{2})?\.(srt|txt|md)$", name.lower())
    return match.group(1) if match and match.group(1) in UNDERSTOOD else None


def language_blocks(text: str) -> dict[str, str]:
    """``Spanish: Hola a todos. … French: Bonjour …`` → {"es": "Hola a todos. …", "fr": "Bonjour …"}."""
    names = "|".join(sorted((re.escape(n) for n in NAMED), key=len, reverse=True))
    pattern = re.compile(rf"(?:^|[\s\n;|])({names})\s*[:：]\s*(.+?)(?=(?:[\s\n;|](?:{names})\s*[:：])|$)",
                         re.IGNORECASE | re.DOTALL)
    return {NAMED[name.lower()]: body.strip().strip("\"“”") for name, body in pattern.findall(text)}


def message_translations(message: Message) -> dict[str, list[str]]:
    """The translations a message gives, by language, as sentences (see ``language_blocks``)."""
    blocks = {code: intents.sentences(body) for code, body in language_blocks(message.text).items()}
    return {code: sentences for code, sentences in blocks.items() if sentences}


def find_translations(message: Message, ctx: TurnContext, targets: list[str], lines: list[SourceLine],
                      source_language: str) -> tuple[dict[str, Dub], list[str]]:
    """A Dub per target language that has a translation; the languages that have none."""
    given = message_translations(message)
    files = {language_of_file(u["filename"]): u for u in ctx.uploaded("document") if language_of_file(u["filename"])}
    plugin = translator()
    dubs, missing = {}, []
    for language in targets:
        if language in given:
            dubs[language] = Dub(language, given[language], "your message")
        elif language in files:
            upload = files[language]
            content = ctx.document_text(upload) or ""
            cues = srt.parse(content) if upload["filename"].lower().endswith(".srt") else []
            texts = [c.text for c in cues] or intents.sentences(content)
            dubs[language] = Dub(language, texts, upload["filename"], timed=cues)
        elif plugin is not None:
            dubs[language] = Dub(language, plugin([line.text for line in lines], source_language, language),
                                 f"the translator plug-in {plugin.__name__}")
        else:
            missing.append(language)
    return dubs, missing


def needs_text(missing: list[str], lines: list[SourceLine], source: str) -> str:
    names = ", ".join(language_name(m) for m in missing)
    example = language_name(missing[0])
    return (f"I can dub the {len(lines)} lines of {source}, but I need the {names} text: I don't translate on my own "
            f"here, and I never make a translation up. Send it in the message, one block per language, e.g. "
            f"\"dub into {example} — {example}: <your translation, {len(lines)} sentences>\", or upload subtitles "
            f"named by language (e.g. talk.{missing[0]}.srt), or install a translator plug-in. Nothing was charged.")


def dubbing_plan(message: Message, ctx: TurnContext) -> Plan | None:
    if not message.says(*DUB):
        return None
    targets = intents.languages(message.instruction) or list(message_translations(message))
    draft = ctx.draft
    if not (draft.is_renderable or ctx.uploaded("video")):
        return refusal("Upload the video to dub first, then ask again. Nothing was charged.")
    found = source_lines(ctx, draft)
    if found is None:
        from nemo_nb.local.skills.hearing import speech_dub_plan

        return speech_dub_plan(message, ctx, targets) or refusal(
            "To dub I need the words spoken and when: add a voiceover first, or upload the transcript as subtitles "
            "(an .srt with timings, or a .txt). Nothing was charged.")
    lines, source, source_language = found
    targets = [t for t in targets if t != source_language]
    if not targets:
        return refusal("Which languages? For example \"dub this video into Spanish, French and German\". "
                       "Nothing was charged.")
    dubs, missing = find_translations(message, ctx, targets, lines, source_language)
    if missing:
        return refusal(needs_text(missing, lines, source))
    video_ms = planned_video_ms(ctx)
    for dub in dubs.values():
        if video_ms and (too_long := check_speech_fits(dub.texts, video_ms / 1000, MAX_SPEEDUP)):
            name = language_name(dub.language)
            return refusal(f"The {name} text ({dub.origin}) is too long for this {video_ms / 1000:.1f} s video: "
                           f"{too_long}. Shorten it by about {too_long.cut_words} words and ask again. "
                           "Nothing was charged.")
    remove_original = message.says(REMOVE_ORIGINAL)

    async def run(c: TurnContext) -> Any:
        from nemo_nb.local.skills.placement import ensure_video

        d, placed = ensure_video(c)
        names = ", ".join(language_name(lang) for lang in dubs)
        async for ev in say(f"{placed + ' ' if placed else ''}Dubbing {len(lines)} lines from {source} into "
                            f"{names}. "):
            yield ev
        report: dict[str, Any] = {}

        def work() -> dict[str, Any]:
            report.update(make_dubs(c, d, lines, list(dubs.values()), source_language, remove_original))
            return {k: v for k, v in report.items() if k != "reply"}

        async for ev in tool("dub_video", {"languages": list(dubs), "lines": len(lines), "source": source}, work,
                             thread=True):
            yield ev
        async for ev in say(report["reply"]):
            yield ev

    return Plan("dub", COSTS["dub"] * len(dubs), run)


def make_dubs(c: TurnContext, draft: Draft, lines: list[SourceLine], dubs: list[Dub], source_language: str,
              remove_original: bool) -> dict[str, Any]:
    """Speak, fit, place and caption every language; tag the source voice with its language."""
    video_ms = video_end_ms(draft)
    draft.remove_tracks(lambda t: t.type == AUDIO and t.name.startswith("Dub "))
    own_voice = [t for t in draft.tracks if t.type == AUDIO and t.name == "Voiceover"]
    for track in own_voice:
        for seg in track.segments:
            seg.set_lang(source_language)
    for seg in draft.segments_of(VIDEO):
        if remove_original:
            seg.set_volume(0)
        else:
            seg.set_duck(True)
    for dub in dubs:
        placed = speak_language(c, draft, dub, lines, video_ms)
        cues = [srt.Cue(start, end, text) for start, end, text in placed]
        item = c.new_file(f"dub.{dub.language}.srt")
        item.path.write_text(srt.format_srt(cues), encoding="utf-8")
        entry = c.register(item, inspect(item.path), kind="subtitles", language=dub.language)
        draft.set_dub(dub.language, origin=dub.origin, srt=entry["media_id"], cues=placed)
    draft.set_languages([d.language for d in dubs] + ([source_language] if own_voice else []))
    c.set_draft(draft)
    return {"languages": [d.language for d in dubs], "trimmed": {d.language: d.trimmed for d in dubs},
            "reply": describe(dubs, lines, source_language, own_voice != [], remove_original)}


def speak_language(c: TurnContext, draft: Draft, dub: Dub, lines: list[SourceLine], video_ms: int
                   ) -> list[tuple[int, int, str]]:
    """One language's track: each line in its slot (or the SRT's own timing). Returns placed cues."""
    from nemo_nb.local.media.tts import engine, pick_voice

    voice = pick_voice(dub.language)
    if dub.timed:
        slots = [(cue.start_ms, cue.end_ms) for cue in dub.timed]
    elif len(dub.texts) == len(lines):
        slots = [(line.start_ms, line.end_ms) for line in lines]
    else:  # a different number of sentences: spread them over the source's speech
        span = spread(dub.texts, lines[-1].end_ms - lines[0].start_ms)
        slots = [(s.start_ms + lines[0].start_ms, s.end_ms + lines[0].start_ms) for s in span]
    track = draft.track(AUDIO, f"Dub {language_name(dub.language)}")
    placed = []
    for index, (text, (start, _)) in enumerate(zip(dub.texts, slots, strict=False)):
        following = slots[index + 1][0] if index + 1 < len(slots) else video_ms
        room = max(200, following - start - 80)       # the slot plus the silence after it
        item = c.new_file(f"dub-{dub.language}-{index + 1:02d}.wav")
        speech = engine().synthesize(text, item.path, language=dub.language, voice=voice.id)
        length = int(speech.duration_s * 1000)
        if length > room:
            tempo = min(MAX_SPEEDUP, length / room)
            stretch(item.path, tempo)
            dub.sped_up += 1
            length = int(length / tempo)
        if length > room:
            length = room
            dub.trimmed += 1
        entry = c.register(item, inspect(item.path), kind="dub", language=dub.language, text=text)
        track.add_audio("voiceover", start, length, src=entry["media_id"], url=entry["cdn_url"], name=text,
                        lang=dub.language)
        placed.append((start, start + length, text))
    return placed


def describe(dubs: list[Dub], lines: list[SourceLine], source_language: str, kept_source: bool,
             remove_original: bool) -> str:
    names = ", ".join(language_name(d.language) for d in dubs)
    parts = [f"Done: {names} dubs, {len(lines)} lines each, every line placed where the original is spoken."]
    for dub in dubs:
        notes = []
        if dub.sped_up:
            notes.append(f"{dub.sped_up} line(s) sped up (at most {MAX_SPEEDUP:g}×)")
        if dub.trimmed:
            notes.append(f"{dub.trimmed} line(s) still too long and cut short — a shorter translation would fit")
        if notes:
            parts.append(f"{language_name(dub.language)} (from {dub.origin}): "
                         f"{'; '.join(notes)}.")
    parts.append("The original speech is removed." if remove_original else
                 "The original sound is ducked while a dub speaks; music and ambience stay.")
    source = language_name(source_language)
    tracks = names + (f" and the original {source}" if kept_source else "")
    parts.append(f"Export gives one MP4 per language and one MP4 carrying {tracks} as language-tagged audio tracks; "
                 "the subtitles are saved per language (dub.<lang>.srt). Next: burn in subtitles for one "
                 "language, or export.")
    return " ".join(parts)
