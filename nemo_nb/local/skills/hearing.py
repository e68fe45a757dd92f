"""Hearing the clip: captions, transcripts and dubbing from the clip's own speech, recognized offline.

The understanding pipeline reads the requests (``understanding/hearing.py``); the agent's ``SKILLS`` table
maps them here:

- ``transcript_plan`` (intent "transcript": "what does it say?", "give me the transcript", "transcribe it") →
  the transcript in the reply, and SRT, TXT and JSON in the generated media. Free; the draft does not change.
- ``speech_captions_plan`` (from ``captions``: captions asked on a clip with speech and no voiceover or SRT)
  → captions from its own words, burned in (the captions cost), or only kept as an SRT when asked (free).
- ``speech_dub_plan`` (from ``dubbing``: a clip whose only lines are its speech). With translations (message,
  language SRTs, a translator plug-in) it dubs; without, it lists the lines it heard, numbered, and asks
  (free), remembering the question so that the next message can be just the translated lines
  (intent "dub_reply", ``translation_reply_plan``).
A clip whose speech is not English gets a plain answer (offline recognition is English-only; how to add a
model) and nothing else.
"""
from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

from nemo_nb.draft import Draft
from nemo_nb.draft.languages import language_name
from nemo_nb.local import listening
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Event, Plan, TurnContext, refusal, say, tool
from nemo_nb.local.translate import translator
from nemo_nb.local.understanding import Intent
from nemo_nb.local.understanding.hearing import translated_lines
from nemo_nb.transcript import Transcript

__all__ = ["speech_captions_plan", "speech_dub_plan", "transcript_plan", "translated_lines",
           "translation_reply_plan"]

PENDING = "pending_dub"
QUOTE = "> "  # the speaker's words are quoted in replies: content, never instructions
REPLY_LIMIT = 6000  # characters of transcript quoted in a reply; the files hold all of it


def transcript_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    """A question about what the clip says: answered from the clip's speech, free, the draft unchanged."""
    if not listening.clips(ctx, ctx.draft):
        return refusal("Upload a video with speech first, then ask me what it says. Nothing was charged.")
    return Plan("transcript", COSTS["transcript"], lambda c: _transcript(c))


Outcome = tuple[dict[str, Any], str]  # a tool's result and the reply


async def _step(name: str, args: dict[str, Any], work: Callable[[], Outcome]) -> AsyncIterator[Event]:
    """A tool call whose work (in a thread) gives its result and the reply said after it."""
    reply: list[str] = []

    def run() -> dict[str, Any]:
        result, text = work()
        reply.append(text)
        return result

    async for event in tool(name, args, run, thread=True):
        yield event
    async for event in say(reply[0]):
        yield event


def _heard_then(c: TurnContext, draft: Draft, act: Callable[[listening.Heard, Transcript], Outcome],
                refund: int = 0, also: str = "") -> Callable[[], Outcome]:
    """Work that listens to the clips first: when nothing could be heard, ``refund`` and say why (and ``also``)."""
    def work() -> Outcome:
        heard = listening.hear(c, draft)
        if heard.problem or heard.transcript is None:
            c.refund += refund
            return {"heard": False}, " ".join(x for x in (heard.problem or "Nothing was heard.", also) if x)
        return act(heard, heard.transcript)

    return work


async def _transcript(c: TurnContext, *, captions_asked: bool = False) -> AsyncIterator[Event]:
    if not c.changed:
        c.record_history = False  # only files are added: undo must not stop here

    def act(heard: listening.Heard, transcript: Transcript) -> Outcome:
        captions = listening.captions_of(heard)
        files = listening.keep_files(c, heard, captions)
        return ({"heard": True, "segments": len(transcript.segments), "words": len(heard.words),
                 "language": transcript.language, "files": sorted(files)},
                _describe_transcript(transcript, len(heard.words), files, captions_asked))

    async for event in _step("transcribe_speech", {"media": [u["media_id"] for u in listening.clips(c, c.draft)]},
                             _heard_then(c, c.draft, act)):
        yield event


def _describe_transcript(transcript: Transcript, words: int, files: dict[str, dict[str, Any]],
                         captions_asked: bool) -> str:
    text = listening.transcript_text(transcript, quote=QUOTE)
    if len(text) > REPLY_LIMIT:
        text = text[:REPLY_LIMIT].rsplit("\n", 1)[0] + f"\n{QUOTE}…"
    seconds = (transcript.segments[-1].end_ms - transcript.segments[0].start_ms) / 1000
    lead = (f"Here is what {transcript.filename} says ({language_name(transcript.language)}, "
            f"{words} words over {seconds:.0f} s, heard offline by {transcript.model}):")
    names = ", ".join(e["filename"] for e in files.values())
    if captions_asked:
        tail = (f"The captions are kept as an SRT file, not burned in: {names} in the generated media. Say "
                "\"burn in captions\" to put them on the picture. Nothing was changed or charged.")
    else:
        tail = (f"Saved as {names} in the generated media. Next: \"add subtitles\" burns captions of these words "
                "into the video. Nothing was changed or charged.")
    capped = " Only the first 30 minutes were heard." if transcript.truncated else ""
    return f"{lead}\n\n{text}\n\n{tail}{capped}"


def speech_captions_plan(ctx: TurnContext, language: str | None, pos: str, colour: str, *,
                         sidecar: bool = False) -> Plan | None:
    """Captions from the clip's own speech; ``None`` when no clip with sound is there to hear."""
    if not has_speech_to_hear(ctx):
        return None
    if language and language != "en" and not _multilingual():
        name = language_name(language)
        return refusal(f"Captions from the clip's own speech come in the language spoken (English here). For "
                       f"{name} subtitles I need the {name} text: dub the clip into {name} with your translation, "
                       f"or upload the subtitles as talk.{language}.srt, and ask again. Nothing was charged.")
    if sidecar:
        return Plan("transcript", COSTS["transcript"], lambda c: _transcript(c, captions_asked=True))

    async def run(c: TurnContext) -> AsyncIterator[Event]:
        from nemo_nb.local.skills.captions import place_captions
        from nemo_nb.local.skills.placement import ensure_video

        d, placed = ensure_video(c)

        def act(heard: listening.Heard, transcript: Transcript) -> Outcome:
            captions = listening.captions_of(heard)
            place_captions(d, [[cap.start_ms, cap.end_ms, cap.text] for cap in captions], pos, colour)
            c.set_draft(d)
            files = listening.keep_files(c, heard, captions)
            srt_file = next(entry["filename"] for name, entry in files.items() if name.endswith(".srt"))
            lead = f"{placed} " if placed else ""
            return ({"captions": len(captions), "words": len(heard.words), "srt": srt_file},
                    f"{lead}Captions are on: {len(captions)} captions from the clip's own words ({len(heard.words)} "
                    f"words heard offline by {transcript.model}), {colour}, at the {pos}, at most two lines of 42 "
                    "characters, timed to the speech and easy to read. They will be burned into the exported "
                    f"video; {srt_file} and the transcript are in the generated media. Next: \"make the captions "
                    "yellow\", \"remove captions\", or export.")

        async for event in _step("caption_speech", {"position": pos, "colour": colour},
                                 _heard_then(c, d, act, refund=COSTS["captions"])):
            yield event

    return Plan("captions", COSTS["captions"], run)


def _multilingual() -> bool:
    """Whether the installed model hears more than English (a user's ``NEMO_ASR_MODEL``)."""
    from nemo_nb.local.media.asr import RecognitionUnavailable, model_dir, multilingual

    try:
        return multilingual(model_dir())
    except RecognitionUnavailable:
        return False


# --- dubbing from speech -------------------------------------------------------------------------------------

def speech_dub_plan(ctx: TurnContext, targets: list[str], given: dict[str, list[str]], remove_original: bool,
                    otherwise: str = "") -> Plan | None:
    """Dubbing a clip whose only lines are its speech (``given``: translations from the message, as sentences;
    ``otherwise``: what else would do, said when no speech can be heard); ``None`` when no clip with sound is
    there to hear."""
    from nemo_nb.local.skills import dubbing

    if not has_speech_to_hear(ctx):
        return None
    targets = [t for t in targets if t != "en"]
    if not targets:
        return refusal("Which languages? For example \"dub this video into Spanish and French\". Nothing was charged.")
    files = {dubbing.language_of_file(u["filename"]) for u in ctx.uploaded("document")}
    if translator() is None and any(t not in given and t not in files for t in targets):
        return Plan("help", 0, lambda c: _ask_for_translations(c, targets, remove_original, otherwise))
    if refused := dubbing.too_long_for_video(ctx, [dubbing.Dub(code, texts, "your message")
                                                   for code, texts in given.items() if code in targets]):
        return refused

    async def run(c: TurnContext) -> AsyncIterator[Event]:
        async for event in _dub(c, targets, remove_original, lambda lines: dubbing.find_translations(
                given, c, targets, lines, "en")[0]):
            yield event

    return Plan("dub", COSTS["dub"] * len(targets), run)


def heard_or_spoken(dub: Plan, spoken: Plan, language: str) -> Plan:
    """``dub`` when the clip's English speech is heard, else ``spoken``: the given ``language`` translation voiced
    on its own (a clip with sound but no speech, speech in another language, or no recognizer here)."""
    async def run(c: TurnContext) -> AsyncIterator[Event]:
        heard = await asyncio.to_thread(listening.hear, c, c.draft)
        if heard.transcript is None:
            c.refund += max(0, dub.cost - spoken.cost)
            foreign = any(p.language == "und" for p in heard.parts)
            why = "speech I can't hear (not English)" if foreign else "no English speech I could hear"
            async for event in say(f"The clip has {why}, so there are no lines to dub one by one: your "
                                   f"{language_name(language)} text is spoken as a voiceover instead. "):
                yield event
            async for event in spoken.run(c):
                yield event
            return
        async for event in dub.run(c):
            yield event

    return Plan(dub.action, dub.cost, run)


def has_speech_to_hear(ctx: TurnContext) -> bool:
    """Whether a clip with sound is there to listen to."""
    return any(u.get("has_audio") for u in listening.clips(ctx, ctx.draft))


async def _ask_for_translations(c: TurnContext, targets: list[str], remove_original: bool, otherwise: str,
                                ) -> AsyncIterator[Event]:
    c.record_history = False

    def act(heard: listening.Heard, transcript: Transcript) -> Outcome:
        lines = listening.speech_lines(transcript)
        c.state[PENDING] = {"languages": targets, "lines": [list(line) for line in lines],
                            "remove_original": remove_original}
        c.changed = True
        names = " and ".join(language_name(t) for t in targets)
        listed = "\n".join(f"{QUOTE}{i}. {text}" for i, (_, _, text) in enumerate(lines, 1))
        several = (f" For several languages, put each block under its name (\"{language_name(targets[0])}:"
                   "\" then its lines)." if len(targets) > 1 else "")
        return ({"heard": True, "lines": len(lines)},
                f"I heard {len(lines)} lines in {transcript.filename} (English):\n\n{listed}\n\nSend the {names} "
                "translation, one line for each numbered line (numbered, or one per line), and I'll dub each line "
                f"where it is spoken.{several} I don't translate on my own here, and I never make a translation up. "
                "Nothing was charged.")

    async for event in _step("transcribe_speech", {"for": "dubbing", "languages": targets},
                             _heard_then(c, c.draft, act, also=otherwise)):
        yield event


def translation_reply_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    """The answer to "send the translation": just the translated lines (numbered or one per line), or blocks
    under language names (read by ``understanding.hearing.translation_reply``)."""
    from nemo_nb.local.skills import dubbing

    pending = ctx.state.get(PENDING)
    if not isinstance(pending, dict) or not pending.get("lines") or not pending.get("languages"):
        return None
    if intent.note == "which_language":
        name = language_name(str(pending["languages"][0]))
        return refusal(f"Which language are these lines? Put its name first, e.g. \"{name}:\" and then the "
                       "lines. Nothing was charged.")
    translations = {code: [line for line in text.split("\n") if line.strip()]
                    for code, text in intent.slots.translations.items()}
    translations = {code: lines for code, lines in translations.items() if lines}
    if not translations:
        return None
    dubs = {code: dubbing.Dub(code, texts, "your message") for code, texts in translations.items()}
    if refused := dubbing.too_long_for_video(ctx, list(dubs.values())):
        return refused

    async def run(c: TurnContext) -> AsyncIterator[Event]:
        async for event in _dub(c, list(translations), bool(pending.get("remove_original")), lambda lines: dubs,
                                pending=pending):
            yield event

    return Plan("dub", COSTS["dub"] * len(translations), run)


async def _dub(c: TurnContext, targets: list[str], remove_original: bool,
               translations: Callable[[list[Any]], dict[str, Any]], pending: dict[str, Any] | None = None,
               ) -> AsyncIterator[Event]:
    """Hear the clip (or take the lines heard before), then dub ``targets`` with ``translations(lines)``."""
    from nemo_nb.local.skills import dubbing
    from nemo_nb.local.skills.placement import ensure_video

    d, placed = ensure_video(c)

    def dub(lines: list[dubbing.SourceLine]) -> Outcome:
        dubs = translations(lines)
        report = dubbing.make_dubs(c, d, lines, list(dubs.values()), "en", remove_original)
        left = [x for x in (pending or {}).get("languages", []) if x not in dubs]
        if left and pending is not None:
            c.state[PENDING] = {**pending, "languages": left}
        else:
            c.state.pop(PENDING, None)
        lead = f"{placed} " if placed else ""
        return ({k: v for k, v in report.items() if k != "reply"},
                f"{lead}The source lines are the clip's own speech ({len(lines)} lines heard). {report['reply']}")

    if pending is not None:  # the lines listed when the translation was asked for
        work: Callable[[], Outcome] = functools.partial(
            dub, [dubbing.SourceLine(int(s), int(e), str(t)) for s, e, t in pending["lines"]])
    else:
        work = _heard_then(c, d, lambda heard, transcript: dub(
            [dubbing.SourceLine(s, e, t) for s, e, t in listening.speech_lines(transcript)]),
            refund=COSTS["dub"] * len(targets))
    async for event in _step("dub_video", {"languages": targets, "source": "the clip's speech"}, work):
        yield event
