"""What a message asks of the clip's own speech: its transcript ("what does he say?", "transcribe it"),
captions of it kept out of the picture ("as an SRT file", "don't burn them in"), and the answer to a dub
waiting for its translation — just the translated lines, numbered or one per line, or blocks under language
names. Token checks and linear regular expressions only (a hostile message stays linear)."""
from __future__ import annotations

import re
from itertools import islice

from nemo_nb.draft.languages import NAMED
from nemo_nb.local.understanding.clauses import Clause
from nemo_nb.local.understanding.intent import Intent, Scene, Slots

TRANSCRIBE = frozenset({"transcribe", "transcribed", "transcript", "transcripts", "transcription", "transcriptions",
                        "转录", "文字稿"})
SAY = frozenset({"say", "says", "said", "saying", "spoken", "speaking", "talk", "talking", "narrate", "说", "讲"})
SPEAKERS = frozenset({"it", "he", "she", "they", "i", "we", "this", "that", "the", "video", "clip", "speaker",
                      "person", "guy", "man", "woman", "people", "everyone", "someone", "host", "my", "in", "does",
                      "did", "do", "is", "are", "was", "were", "'s", "be", "being", "been", "just", "actually"})
WHAT = frozenset({"what", "what's", "whats"})
SIDECAR_AFTER = frozenset({"as", "in", "into", "to"})
SIDECAR_WORDS = frozenset({"srt", "sidecar", "file"})
CHINESE_ASKS = ("说了什么", "讲了什么", "说的什么")


def said_by_clip(clause: Clause) -> bool:
    """"what does he say", "what is being said in the video", "write down what she says", "words spoken": the
    clause asks what the clip's speaker says (not what the voiceover or a title says)."""
    tokens = clause.tokens
    for i, word in enumerate(tokens):
        if word in WHAT:
            for j in range(i + 1, min(len(tokens), i + 6)):
                if tokens[j] in SAY:
                    between = tokens[i + 1:j]
                    return all(t in SPEAKERS for t in between) and not set(clause.targets()) & {"voice", "title"}
                if tokens[j] not in SPEAKERS:
                    break
        if word == "words" and tokens[i + 1:i + 2] in (["spoken"], ["said"]):
            return True
    return any(ask in "".join(tokens) for ask in CHINESE_ASKS)


def asks_transcript(clause: Clause) -> bool:
    """A request for the transcript: "transcribe it", "give me the transcript as srt", "what does it say?"."""
    if clause.payloads or set(clause.tokens) & {"cost", "costs", "price", "credits", "which", "how"}:
        return False  # "Transcript: …" gives text; "how much does a transcript cost?" is a question
    if set(clause.tokens) & TRANSCRIBE:
        return "captions" not in clause.targets() or sidecar(clause)
    return said_by_clip(clause) and "captions" not in clause.targets()


def captions_of_speech(clause: Clause) -> bool:
    """"caption what I say", "subtitle what she says": captions of the speech, not a question."""
    return "captions" in clause.targets() and said_by_clip(clause)


def sidecar(clause: Clause) -> bool:
    """Captions kept out of the picture, as a file: "as an SRT file", "srt only", "don't burn them in", "soft
    subtitles", "in a separate file"."""
    tokens = clause.tokens
    for i, word in enumerate(tokens):
        rest = tokens[i + 1:i + 4]
        if word in SIDECAR_AFTER and rest and (rest[0] in SIDECAR_WORDS - {"file"} or (
                rest[0] in ("a", "an") and rest[1:2] and rest[1] in SIDECAR_WORDS - {"file"})
                or rest[:2] in (["subtitle", "file"], ["a", "subtitle"]) or rest[:3] == ["a", "separate", "file"]):
            return True
        if word == "srt" and (tokens[i + 1:i + 2] == ["only"] or tokens[i - 1:i] == ["only"]
                               or tokens[i + 1:i + 3] == ["file", "only"]):
            return True
        if word == "burn" and set(tokens[max(0, i - 3):i]) & {"don't", "dont", "not", "never", "without", "no"}:
            return True
        if word == "soft" and tokens[i + 1:i + 2] and tokens[i + 1] in ("subs", "subtitles", "captions"):
            return True
        if word == "separate" and tokens[i + 1:i + 2] and tokens[i + 1] in ("file", "track"):
            return True
    return False


# --- the answer to a dub waiting for its translation ----------------------------------------------------------

NUMBERED = re.compile(r"[(\[]?(\d{1,3})\s{0,8}[.):\]]\s*(\S.*)|(\d{1,3})\s{0,8}[-–—]\s*(\S.*)")
INLINE_NUMBER = re.compile(r"(?:^|\s)[(\[]?(\d{1,3})[.)\]]\s+")
_NAMES = "|".join(sorted((re.escape(n) for n in NAMED), key=len, reverse=True))
_LABEL = re.compile(rf"(?:^|(?<=[\s;|]))({_NAMES})\s{{0,8}}[:：]", re.IGNORECASE)
MAX_LABELS = 64


def translated_lines(text: str, count: int) -> list[str] | None:
    """``count`` translated lines from a reply: numbered 1…count (one per line, or inline "1. … 2. …"), or
    exactly ``count`` lines one per line (two or more). ``None`` when the text is not that."""
    rows = [row.strip() for row in text.strip().splitlines() if row.strip()]
    matches = [NUMBERED.fullmatch(row) for row in rows]
    if rows and all(matches):
        numbered = [(int(m.group(1) or m.group(3)), (m.group(2) or m.group(4)).strip()) for m in matches if m]
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


def language_blocks(text: str) -> dict[str, str]:
    """``Spanish: Hola a todos. … French: Bonjour …`` (on one line or under their names) → {"es": "Hola a
    todos. …", "fr": "Bonjour …"}: the text between one language label and the next."""
    labels = list(islice(_LABEL.finditer(text), MAX_LABELS + 1))
    if len(labels) > MAX_LABELS:
        return {}  # "Spanish: Spanish: …" is no translation
    out: dict[str, str] = {}
    for index, label in enumerate(labels):
        end = labels[index + 1].start() if index + 1 < len(labels) else len(text)
        body = text[label.end():end].strip().strip("\"“”").strip()
        if body:
            out.setdefault(NAMED[label.group(1).lower()], body)
    return out


def translation_reply(text: str, scene: Scene) -> Intent | None:
    """The message as the answer to a dub waiting for its translation (``scene.awaiting``): a ``dub_reply``
    intent whose translations hold the lines, one per line; its note is "which_language" when bare lines
    came while several languages wait. ``None`` when the message is something else."""
    from nemo_nb.local.understanding.payload import sentences

    if not scene.awaiting or scene.awaiting_lines < 1:
        return None
    count, waiting = scene.awaiting_lines, list(scene.awaiting)
    given: dict[str, str] = {}
    for code, body in language_blocks(text).items():
        if code in waiting and (block := translated_lines(body, count) or sentences(body)):
            given[code] = "\n".join(block)
    if given:
        return Intent("dub_reply", text, Slots(languages=list(given), translations=given), "dub")
    lines = translated_lines(text, count)
    if lines is None:
        return None
    if len(waiting) > 1:
        return Intent("dub_reply", text, Slots(languages=waiting, text="\n".join(lines)), "dub", note="which_language")
    return Intent("dub_reply", text, Slots(languages=waiting[:1], translations={waiting[0]: "\n".join(lines)}), "dub")
