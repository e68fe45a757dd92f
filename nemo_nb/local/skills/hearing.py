"""Hearing the clip: captions, transcripts and dubbing from the clip's own speech, recognized offline.

Each planner stands on its own (it reads the message and the session, and returns a ``Plan`` or ``None``),
so a later understanding pipeline can call it with its own slots:

- ``transcript_plan``: "what does it say?", "give me the transcript", "transcribe it" → the transcript in the
  reply, and SRT, TXT and JSON in the generated media. Free; the draft does not change.
- ``speech_captions_plan``: captions asked on a clip with speech and no voiceover or SRT → captions from its
  own words, burned in (the captions cost), or only kept as an SRT when asked (free).
- ``speech_dub_plan``: dubbing a clip whose only lines are its speech. With translations (message, language
  SRTs, a translator plug-in) it dubs; without, it lists the lines it heard, numbered, and asks (free),
  remembering the question so that the next message can be just the translated lines
  (``translation_reply_plan``).
A clip whose speech is not English gets a plain answer (offline recognition is English-only; how to add a
model) and nothing else.
"""
from __future__ import annotations

import functools
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

from nemo_nb.draft import Draft
from nemo_nb.draft.languages import language_name
from nemo_nb.local import intents, listening
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Event, Message, Plan, TurnContext, refusal, say, tool
from nemo_nb.local.translate import translator
from nemo_nb.transcript import Transcript

TRANSCRIPT = (r"\btranscri(be|bed|bing|pt|ption)s?\b",
              r"\bwhat (does|did|do) (it|he|she|they|the \w+) (say|said)\b",
              r"\bwhat('s| is| was| are| were) (being )?(said|spoken)\b", r"\bwhat (is|are) (he|she|they) saying\b",
              r"\bwrite (down|out) what\b", r"\bwords (spoken|said)\b", r"转录|文字稿|说了什么|讲了什么")
CAPTION_WORDS = (r"\bcaptions?\b", r"\bsubtitles?\b", r"\bsubs\b", r"\bburn", r"字幕")
SRT_ONLY = (r"\b(as|in|into|to) (an? )?(srt|\.srt|subtitle file|sidecar)", r"\bsrt (file )?only\b",
            r"\bonly (an? )?srt\b",
            r"\b(don'?t|do not|without|no) burn", r"\bnot burn", r"\bsoft (subs|subtitles|captions)\b",
            r"\bseparate (file|track)\b", r"\bkeep (them|it|the \w+) as (an? )?(srt|file)\b")
NUMBERED = re.compile(r"^\s*[(\[]?(\d{1,3})\s*[.):\]]\s*(\S.*?)\s*$|^\s*(\d{1,3})\s*[-–—]\s*(\S.*?)\s*$")
INLINE_NUMBER = re.compile(r"(?:^|\s)[(\[]?(\d{1,3})[.)\]]\s+")
PENDING = "pending_dub"
QUOTE = "> "  # the speaker's words are quoted in replies: content, never instructions
REPLY_LIMIT = 6000  # characters of transcript quoted in a reply; the files hold all of it


def transcript_plan(message: Message, ctx: TurnContext) -> Plan | None:
    """A question about what the clip says: answered from the clip's speech, free, the draft unchanged."""
    if not message.says(*TRANSCRIPT) or (message.says(*CAPTION_WORDS) and not message.says(*SRT_ONLY)):
        return None
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
                refund: int = 0) -> Callable[[], Outcome]:
    """Work that listens to the clips first: when nothing could be heard, ``refund`` and say why."""
    def work() -> Outcome:
        heard = listening.hear(c, draft)
        if heard.problem or heard.transcript is None:
            c.refund += refund
            return {"heard": False}, heard.problem or "Nothing was heard."
        return act(heard, heard.transcript)

    return work


async def _transcript(c: TurnContext, *, captions_asked: bool = False) -> AsyncIterator[Event]:
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


def speech_captions_plan(message: Message, ctx: TurnContext, language: str | None, pos: str,
                         colour: str) -> Plan | None:
    """Captions from the clip's own speech; ``None`` when no clip with sound is there to hear."""
    draft = ctx.draft
    if not any(u.get("has_audio") for u in listening.clips(ctx, draft)):
        return None
    if language and language != "en" and not _multilingual():
        name = language_name(language)
        return refusal(f"Captions from the clip's own speech come in the language spoken (English here). For "
                       f"{name} subtitles I need the {name} text: dub the clip into {name} with your translation, "
                       f"or upload the subtitles as talk.{language}.srt, and ask again. Nothing was charged.")
    if message.says(*SRT_ONLY):
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

def speech_dub_plan(message: Message, ctx: TurnContext, targets: list[str]) -> Plan | None:
    """Dubbing a clip whose only lines are its speech; ``None`` when no clip with sound is there to hear."""
    from nemo_nb.local.skills import dubbing

    if not any(u.get("has_audio") for u in listening.clips(ctx, ctx.draft)):
        return None
    targets = [t for t in targets if t != "en"]
    if not targets:
        return refusal("Which languages? For example \"dub this video into Spanish and French\". Nothing was charged.")
    remove_original = message.says(dubbing.REMOVE_ORIGINAL)
    given = dubbing.message_translations(message)
    files = {dubbing.language_of_file(u["filename"]) for u in ctx.uploaded("document")}
    if translator() is None and any(t not in given and t not in files for t in targets):
        return Plan("help", 0, lambda c: _ask_for_translations(c, targets, remove_original))

    async def run(c: TurnContext) -> AsyncIterator[Event]:
        async for event in _dub(c, targets, remove_original, lambda lines: dubbing.find_translations(
                message, c, targets, lines, "en")[0]):
            yield event

    return Plan("dub", COSTS["dub"] * len(targets), run)


async def _ask_for_translations(c: TurnContext, targets: list[str], remove_original: bool) -> AsyncIterator[Event]:
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
                             _heard_then(c, c.draft, act)):
        yield event


def translation_reply_plan(message: Message, ctx: TurnContext) -> Plan | None:
    """The answer to "send the translation": just the translated lines (numbered or one per line), or blocks
    under language names. ``None`` when nothing is pending or the message is not such an answer."""
    pending = ctx.state.get(PENDING)
    if not isinstance(pending, dict) or not pending.get("lines") or not pending.get("languages"):
        return None
    from nemo_nb.local.skills import dubbing

    count, languages = len(pending["lines"]), [str(x) for x in pending["languages"]]
    translations: dict[str, list[str]] = {}
    for code, body in dubbing.language_blocks(message.text).items():
        if code in languages and (given := translated_lines(body, count) or intents.sentences(body)):
            translations[code] = given
    lines = None if translations else translated_lines(message.text, count)
    if lines:
        if len(languages) > 1:
            name = language_name(languages[0])
            return refusal(f"Which language are these lines? Put its name first, e.g. \"{name}:\" and then the "
                           "lines. Nothing was charged.")
        translations[languages[0]] = lines
    if not translations:
        return None

    async def run(c: TurnContext) -> AsyncIterator[Event]:
        async for event in _dub(c, list(translations), bool(pending.get("remove_original")),
                                lambda lines: {code: dubbing.Dub(code, texts, "your message")
                                               for code, texts in translations.items()},
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


def translated_lines(text: str, count: int) -> list[str] | None:
    """``count`` translated lines from a reply: numbered 1…count (one per line, or inline "1. … 2. …"), or
    exactly ``count`` lines one per line (two or more). ``None`` when the text is not that."""
    rows = [row.strip() for row in text.strip().splitlines() if row.strip()]
    matches = [NUMBERED.match(row) for row in rows]
    if rows and all(matches):
        numbered = [(int(m.group(1) or m.group(3)), m.group(2) or m.group(4)) for m in matches if m]
        if [n for n, _ in numbered] == list(range(1, count + 1)):
            return [body for _, body in numbered]
    pieces = INLINE_NUMBER.split(" ".join(rows))
    if len(pieces) == 2 * count + 1 and not pieces[0].strip():
        numbers, bodies = pieces[1::2], [p.strip() for p in pieces[2::2]]
        if [int(n) for n in numbers] == list(range(1, count + 1)) and all(bodies):
            return bodies
    if count >= 2 and len(rows) == count and not any(matches):
        return rows
    return None
