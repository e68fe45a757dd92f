"""The whole pipeline: message → ``Reading`` (intents in order), and the readers the payload step uses.

normalise → payloads out → instruction form → clauses (typos corrected, numbers as digits) → one intent
per clause → the message as a whole: modifiers joined to the intent they modify, complaints dropped when
the same message says what to do, one frame when several are named, "don't change anything" honoured.
"""
from __future__ import annotations

import json

from nemo_nb.local.understanding import payload as payloads
from nemo_nb.local.understanding import slots as slot_reader
from nemo_nb.local.understanding.clauses import Clause, split
from nemo_nb.local.understanding.context import Context, intent_for
from nemo_nb.local.understanding.frames import resolve
from nemo_nb.local.understanding.hearing import asks_transcript, captions_of_speech, translation_reply
from nemo_nb.local.understanding.intent import Intent, Reading, Scene
from nemo_nb.local.understanding.normalise import instruction_form, normalise
from nemo_nb.local.understanding.times import read_when
from nemo_nb.local.understanding.words import lex

EDITS_HELD = frozenset({"question", "chat", "ask", "unsupported", "modifier", "held", "transcript"})
TEXT_WORDS = frozenset({"script", "translation", "translated", "transcript", "copy", "lines", "text", "words",
                        "version", "is", "says", "say", "reads", "read", "narrate", "message", "line", "台词", "文案",
                        "脚本", "翻译", "说"})
IMPERATIVE_LEADS = frozenset({"also", "then", "and", "please", "pls", "plz", "now", "so", "oh", "finally", "next",
                              "lastly", "and then", "plus", "just", "can", "could", "would", "will"})
MODIFIER_WORDS = frozenset({"at", "in", "on", "for", "from", "to", "of", "the", "a", "very", "screen", "video", "clip",
                            "corner", "left", "right", "and", "with", "colour", "color", "font", "until", "till",
                            "between", "over", "during", "starting", "s", "sec", "secs", "second", "seconds", "m",
                            "min", "minute", "minutes", "mark", "side", "part", "frame", "text", "letters", "big",
                            "small", "bold", "large", "it", "please", "pls", "across", "throughout", "whole", "near",
                            "beginning", "start", "end", "ending", "first", "last", "final", "top", "bottom"})
JSON_TEXT_KEYS = frozenset({"text", "title", "script", "words", "caption", "subtitle", "voiceover", "translation"})


class _Reader:
    """The questions the payload step asks (``payload.Reader``)."""

    def introduces(self, words: str) -> str | None:
        lexed = lex(instruction_form(words)[-120:])
        languages = lexed.values("language")
        targets = set(lexed.values("target"))
        verbs = set(lexed.values("verb"))
        takes_text = bool(targets & {"voice", "captions", "title", "presenter"} or verbs & {"speak", "dub", "translate"}
                          or TEXT_WORDS & set(lexed.tokens))
        if languages and (takes_text or self.is_language_label(words)):
            return f"lang:{languages[-1]} " + " ".join(lexed.tokens)
        return " ".join(lexed.tokens) if takes_text else None

    def is_instruction(self, sentence: str) -> bool:
        form = instruction_form(sentence)
        clauses = split(form, correct=False)  # a foreign script's "voici" is not a typo of "voice"
        if not clauses:
            return False
        first = clauses[0]
        lead = first.lexed.matches[0] if first.lexed.matches else None
        imperative = lead is not None and lead.start == 0 and (lead.value("verb") is not None or lead.has("polite"))
        imperative = imperative or (bool(first.tokens) and first.tokens[0] in IMPERATIVE_LEADS)
        if not imperative:
            return False
        scene = Scene(video=True, music=True, voiceover=True, captions=True, titles=1)
        quoted = [payloads.Payload("…", "quote")] * payloads.MAX_PAYLOADS
        for clause in clauses:
            found = resolve(clause, Context(quoted, scene))
            if any(i.kind not in ("modifier", "ask") for i in found):
                return True
        return False

    def is_modifier(self, words: str) -> bool:
        lexed = lex(instruction_form(words))
        covered: set[int] = set()
        for m in lexed.matches:
            if any(m.has(c) for c in ("position", "colour", "ordinal", "filler")):
                covered |= set(range(m.start, m.end))
        rest = [t for i, t in enumerate(lexed.tokens) if i not in covered and t not in MODIFIER_WORDS
                and not t.replace(".", "", 1).replace(":", "").isdigit() and t.isalnum()]
        meaningful = lexed.has("position") or lexed.has("colour") or any(t[0].isdigit() for t in lexed.tokens) \
            or {"start", "end", "beginning", "ending"} & set(lexed.tokens)
        return not rest and bool(meaningful)

    def is_language_label(self, words: str) -> bool:
        lexed = lex(instruction_form(words))
        named = {i for m in lexed.matches if m.has("language") for i in range(m.start, m.end)}
        rest = [t for i, t in enumerate(lexed.tokens) if i not in named and t not in ("in", "the", "(", ")", "en",
                                                                                       "auf", "version")]
        return bool(named) and not rest


READER = _Reader()


def flatten_json(text: str) -> str:
    """A JSON object sent as a message → words ("add_title", text "…", position top)."""
    stripped = text.strip()
    if not (stripped.startswith("{") and stripped.endswith("}")) or len(stripped) > 5000:
        return text
    try:
        data = json.loads(stripped)
    except ValueError:
        return text
    if not isinstance(data, dict):
        return text
    out = []
    for key, value in data.items():
        name = str(key).replace("_", " ")
        shown = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        out.append(f'{name} "{shown}"' if str(key).lower() in JSON_TEXT_KEYS else f"{name} {shown.replace('_', ' ')}")
    return " ".join(out)


def understand(text: str, scene: Scene, *, go_ahead: bool = False) -> Reading:
    """Read a message (see the module docstring). ``go_ahead``: the user said "do it" to this message, held back
    or answered last time: what it held back is asked for now, and a frame it asked about is made."""
    if scene.awaiting and (reply := translation_reply(text, scene)) is not None:
        return Reading([reply], text=text)  # the translated lines a dub of the clip's speech waits for
    parts = payloads.extract(normalise(flatten_json(text)), READER)
    clauses = split(instruction_form(parts.instruction))
    hold = any(c.lexed.has("hold") for c in clauses) and not go_ahead
    intents: list[Intent] = []
    previous: Intent | None = None
    previous_verbs: tuple[str, ...] = ()
    when = None
    targets: tuple[str, ...] = ()
    for clause in clauses:
        if previous is not None and clause.tokens[:1] in (["with"], ["using"], ["featuring"]) \
                and set(clause.targets()) - {"captions", previous.target}:
            clause.lexed.tokens[0] = "."  # "…, with upbeat music at 20%": a request of its own
        elif previous is not None and clause.tokens[:1] in (["with"], ["using"], ["featuring"]):
            # "create a 9:16 avatar video with a friendly presenter, with captions: …": more of the same request
            previous.slots.merge(slot_reader.read(clause))
            previous.slots.text = previous.slots.text or _first_text(clause, parts.payloads)
            previous.clause = f"{previous.clause} {clause.text}"
            continue
        found = _read_clause(clause, Context(parts.payloads, scene, previous, (), when, targets), previous_verbs,
                             go_ahead)
        when = read_when(clause.tokens) or when
        targets = tuple(clause.targets()) or targets
        if previous is not None and any(i.kind == "modifier" and not applies(i, previous) for i in found):
            clause.first_in_sentence = True  # "✂ first 5s + 🎵 chill music + 📱 vertical": a frame is no music's
            found = _read_clause(clause, Context(parts.payloads, scene, None, (), when, targets), (), go_ahead)
        for intent in found:
            if intent.kind == "modifier" or _continues(intent, previous, clause) or _says(intent, previous, clause):
                if previous is not None and previous.kind not in ("question", "chat"):
                    previous.slots.merge(intent.slots)
                    answered(previous)
                continue
            intents.append(intent)
            if intent.kind not in ("chat", "question"):
                previous = intent
        if clause.verbs():
            previous_verbs = tuple(clause.verbs())
    settled = _settle(intents, hold)
    confirm = any(i.kind == "confirm" for i in settled)
    return Reading([i for i in settled if i.kind != "confirm"] or [Intent("chat", "", note="ack")] if confirm
                   else settled, hold, text, confirm)


WITHOUT = frozenset({"without", "no", "remove", "mute", "drop", "replace", "minus"})
ADDS = {"music": "music", "title": "title", "captions": "captions", "voice": "voiceover"}


def _continues(intent: Intent, previous: Intent | None, clause: Clause) -> bool:
    """"add calm music and fade it out over 3 seconds": the second clause finishes what the first adds."""
    return (previous is not None and intent.target is not None and intent.target == previous.target
            and ADDS.get(previous.target) == previous.kind and bool({"it", "them", "its"} & set(clause.tokens)))


TAKES = {  # the slots each kind of intent can take from a clause that only adds details
    "canvas": {"ratio", "size", "exact_size", "fit", "platform", "when"}, "trim": {"when"},
    "title": {"text", "colour", "position", "when", "big"}, "edit_title": {"text", "colour", "position", "when", "big"},
    "captions": {"text", "colour", "position", "languages", "translations", "big", "when", "sidecar"},
    "style_captions": {"colour", "position", "big"},
    "voiceover": {"text", "languages", "translations", "gender", "pace", "spread", "when"},
    "revoice": {"gender", "pace", "languages"}, "dub": {"languages", "translations", "text", "replace_original"},
    "music": {"level", "mood", "fade_in", "fade_out", "fade_change", "duck", "uploads", "when"},
    "loudness": {"loudness"},
    "music_level": {"level"}, "music_fade": {"fade_in", "fade_out", "fade_change"}, "original_level": {"level"},
    "voice_level": {"level"},
    "presenter": {"text", "position", "gender", "pace", "languages", "ratio", "size", "colour"},
}


def applies(modifier: Intent, previous: Intent) -> bool:
    """Whether a clause of details can belong to the previous intent (its slots are ones that intent takes)."""
    given = {name for name, value in vars(modifier.slots).items() if value not in (None, [], {}, False, 0)}
    takes = TAKES.get(previous.kind)
    return takes is None or not given or bool(given & takes)


ANSWERS = {"trim": ("when", "trim"), "canvas": ("ratio", "canvas"), "title_words": ("text", "title")}


def answered(intent: Intent) -> None:
    """A question the agent would ask, answered by the next clause: "make it more short, only 10 seconds"."""
    if intent.kind == "ask" and intent.note in ANSWERS:
        slot, kind = ANSWERS[intent.note]
        if getattr(intent.slots, slot):
            intent.kind, intent.note = kind, ""


def _first_text(clause: Clause, found: list[payloads.Payload]) -> str | None:
    return next((found[i].text for i in clause.payloads if i < len(found)), None)


def _says(intent: Intent, previous: Intent | None, clause: Clause) -> bool:
    """"add a presenter in the corner, who says: …", "…，说：…": the words belong to what was just added."""
    return (previous is not None and previous.kind in ("presenter", "voiceover", "title") and not previous.slots.text
            and intent.slots.text is not None and set(clause.verbs()) <= {"speak"} and not clause.targets())


def _read_clause(clause: Clause, ctx: Context, previous_verbs: tuple[str, ...], go_ahead: bool) -> list[Intent]:
    if clause.lexed.has("confirm") and not clause.targets():
        return [Intent("confirm", clause.text)]
    if clause.is_question and go_ahead:  # "would 9:16 be right for TikTok?" … "ok, do it"
        offered = [i for i in resolve(clause, ctx) if i.kind == "canvas"]
        if offered:
            return offered
    if asks_transcript(clause):  # "what does he say?", "transcribe it": free, answered from the clip's speech
        return [Intent("transcript", clause.text)]
    if captions_of_speech(clause):  # "caption what I say"
        return [intent_for("captions", clause, slot_reader.read(clause), "captions")]
    if clause.is_small_talk:
        kind = next(c for m in clause.lexed.matches for c in ("greeting", "thanks", "ack") if m.has(c))
        return [Intent("chat", clause.text, note=kind)]
    if clause.is_question:
        return [Intent("question", clause.text)]
    if set(clause.targets()) - {"video"} and not clause.verbs():  # "remove the title and the captions"
        ctx.inherited_verbs = previous_verbs
    return resolve(clause, ctx)


def _settle(intents: list[Intent], hold: bool) -> list[Intent]:
    """The message as a whole: complaints, repeats, one frame, held edits (see the module docstring)."""
    if any(i.kind not in ("ask", "chat", "question") for i in intents):
        # "make it wide like a movie, 21:9": the vague part goes when another part says what to do
        intents = [i for i in intents if not (i.kind == "ask" and i.note == "vague")]
    for voice in (i for i in intents if i.kind == "voiceover" and not i.slots.text):
        shown = next((i for i in intents if i.kind == "captions" and i.slots.text), None)
        if shown is not None:  # "add a voiceover and captions: …": the captions follow the voice
            voice.slots.text, shown.slots.text = shown.slots.text, None
    strong_targets = {i.target for i in intents if not i.weak}
    for weak in (i for i in intents if i.weak and i.target in strong_targets):
        strong = next(i for i in intents if not i.weak and i.target == weak.target)
        if strong.slots.level is None:
            strong.slots.level = weak.slots.level  # "music's too quiet, crank it"
    kept = [i for i in intents if not (i.weak and (i.target in strong_targets or any(
        not j.weak and j.kind.endswith("_level") for j in intents)))]
    out: list[Intent] = []
    for intent in kept:
        same = next((o for o in out if o.kind == intent.kind and o.target == intent.target
                     and intent.kind not in ("question", "chat", "unsupported", "ask", "title")), None)
        if same is not None:
            same.slots.merge(intent.slots)
            continue
        out.append(intent)
    _original_goes_with_dub(out)
    frames = [i for i in out if i.kind == "canvas" and (i.slots.ratio or i.slots.exact_size)]
    if len({(i.slots.ratio, i.slots.exact_size) for i in frames}) > 1:
        chosen = next((i for i in frames if "first" in i.clause.split()), frames[0])
        for other in frames:
            if other is not chosen:
                other.kind, other.note = "unsupported", "a second frame in the same message (one frame at a time)"
    if hold:
        for intent in out:
            if intent.kind not in EDITS_HELD:
                intent.kind = "held"
    if not out:
        out.append(Intent("hold", "") if hold else Intent("ask", "", note="vague"))
    return out


def _original_goes_with_dub(intents: list[Intent]) -> None:
    """"dub it into Spanish and remove the original voice": the dub replaces the original speech (one edit, made
    when the dub is — not a mute now and a dub later)."""
    dub = next((i for i in intents if i.kind == "dub"), None)
    if dub is None:
        return
    muted = [i for i in intents if i.kind == "original_level" and i.slots.level is not None
             and i.slots.level.percent == 0 and not i.note]
    words = dub.clause.split()
    without = any(w in WITHOUT and set(words[n + 1:n + 3]) & {"original", "english", "source"}
                  for n, w in enumerate(words))  # "dub into German without the original speech"
    if muted or without:
        dub.slots.replace_original = True
        intents[:] = [i for i in intents if i not in muted]
