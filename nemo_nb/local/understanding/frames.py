"""Step 5b: one intent per clause — what it acts on (its target), given what the session holds (``Scene``);
``targets`` then says what it asks of that target. A clause without a target of its own continues the
previous one ("… and fade it out over 3 seconds"); a clause with only slots adds them to the previous intent
("… but don't crop"); a description is acted on only as a complaint ("the music is too loud").
"""
from __future__ import annotations

from nemo_nb.local.understanding import slots as slot_reader
from nemo_nb.local.understanding.clauses import Clause
from nemo_nb.local.understanding.context import (
    AUDIO,
    AUDIO_FILES,
    REMOVE,
    SPOKEN,
    TRIM,
    UNSUPPORTED_NOTES,
    Context,
    has_slots,
    intent_for,
)
from nemo_nb.local.understanding.intent import Intent, Level, Pace, Slots
from nemo_nb.local.understanding.targets import by_target
from nemo_nb.local.understanding.times import When


def _payload_text(clause: Clause, ctx: Context) -> tuple[str | None, str]:
    for index in clause.payloads:
        if index < len(ctx.payloads):
            payload = ctx.payloads[index]
            return payload.text, payload.introducer
    return None, ""


def primary_target(clause: Clause, slots: Slots, ctx: Context) -> str | None:
    """The thing the clause acts on (see the module docstring for the order of preference)."""
    targets = clause.targets()
    verbs = set(clause.verbs()) | set(ctx.inherited_verbs if not clause.verbs() else ())
    words = set(clause.tokens)
    if "presenter" in targets:
        return "presenter"
    if "loudness" in targets or (slots.loudness is not None and not set(targets) - {"sound", "video"}):
        return "loudness"  # "normalize to -16 LUFS", "make the audio podcast-ready"
    if "script" in words and (words & {"video", "movie"} or "mp 4" in clause.text) \
            and not (ctx.scene.video or ctx.scene.pending) \
            and verbs & {"make", "add", "change", "speak"}:
        return "presenter"  # "turn my script into a video": a presenter speaks it
    if clause.verbs()[:1] == ["speak"] and "captions" in targets:
        return "voice"  # "voice the subtitles"
    if "captions" in targets and "dub" not in verbs and "translate" in verbs:
        return "captions"  # "translate the captions to Italian": captions in that language
    if verbs & {"dub", "translate"} or ("version" in words and slots.languages):
        return "dub"
    if _captions_meant(clause, targets, words):
        return "captions"
    if any(f.endswith(AUDIO_FILES) for f in clause.files()) and not {"voice", "captions", "title"} & set(targets):
        return "music"  # "put song.mp3 under the video"
    if "voice" in targets and "title" in targets and not clause.payloads and verbs & {"add"}:
        return "captions"  # "show the narration as text on the screen"
    specific = [t for t in targets if t in ("music", "original", "voice", "title", "captions")]
    if specific:
        if "voice" in specific and "title" in specific and slots.text and verbs & {"speak"}:
            return "voice"
        return specific[0]
    if "sound" in targets:
        return "sound"
    if "canvas" in targets or slots.ratio or slots.exact_size or slots.size or slots.fit:
        return "canvas"
    if "video" in targets or clause.lexed.has("pronoun"):
        return "video"
    return None


def _captions_meant(clause: Clause, targets: list[str], words: set[str]) -> bool:
    """Captions rather than a title: named first, or "subtitles", or words "as they're spoken", or no text given."""
    spoken = any(w in words for w in SPOKEN)
    if "captions" not in targets:
        return "title" in targets and spoken
    return ("title" not in targets or targets.index("captions") < targets.index("title") or spoken
            or bool(words & {"subtitles", "subtitle"}) or not clause.payloads)


def resolve(clause: Clause, ctx: Context) -> list[Intent]:
    """The intents of one clause (usually one; none for a clause that asks nothing)."""
    verbs = clause.verbs() or list(ctx.inherited_verbs)
    trim = bool(set(verbs) & TRIM | {"keep", "make"} & set(verbs))
    slots = slot_reader.read(clause, trim=trim)
    slots.text, introducer = _payload_text(clause, ctx)
    for index in clause.payloads:
        payload = ctx.payloads[index] if index < len(ctx.payloads) else None
        if payload and (language := _language_of(payload.introducer)):
            slots.translations.setdefault(language, payload.text)
    if slots.text and not slots.translations and len(slots.languages) == 1 and introducer:
        slots.translations[slots.languages[0]] = slots.text
    if "undo" in verbs:
        return [intent_for("undo", clause, slots)]
    if "remove" in verbs and _names_volume(clause):  # "drop the music volume a touch": lower it
        verbs = [v for v in verbs if v != "remove"] + ["lower"]
        slots.level = slots.level or slot_reader.level_for("down", clause)
    if clause.aside and not clause.verbs():
        return []
    if clause.lexed.has("negation") and not clause.verbs() and "loudness" in clause.targets():
        return by_target("loudness", clause, slots, set(verbs), ctx)  # "don't normalize the audio": off
    if clause.lexed.has("negation") and not clause.verbs():  # "don't remove it", "don't touch the title": nothing
        return [intent_for("modifier", clause, slots)] if slots.sidecar else []  # "… don't burn them in": a file
    if clause.descriptive and clause.payloads:
        return [intent_for("modifier", clause, slots)]  # "the French text is '…'", "here is the copy: …"
    if clause.descriptive or _is_complaint(clause, verbs, ctx):
        return _complaint(clause, slots, ctx)
    unsupported = clause.lexed.values("unsupported")
    if unsupported == ["an intro or outro"] and set(verbs) & TRIM:  # "chop off the intro": a trim at one end
        outro = any(t in ("outro", "片尾") for t in clause.tokens)
        slots.when = slots.when or When(anchor="last" if outro else "first")
        return [intent_for("trim", clause, slots, "video")]
    if unsupported and verbs:
        what = unsupported[0]
        return [intent_for("unsupported", clause, slots, note=UNSUPPORTED_NOTES.get(what, what))]
    target = primary_target(clause, slots, ctx)
    standalone = clause.first_in_sentence or ctx.previous is None or ctx.previous.kind in ("ask", "unsupported")
    if not verbs and not clause.targets() and not standalone and not slots.translations:
        return [intent_for("modifier", clause, slots)]  # "4:5 but don't crop", "… yellow and black"
    if target is None and not verbs and ctx.previous is None and has_slots(slots):
        target = next((t for t in ctx.previous_targets if t in (*AUDIO, "title", "captions")), None)  # "music: softer"
    if target == "sound" and _names_volume(clause) and ctx.previous is not None \
            and ctx.previous.target in AUDIO and not (set(clause.targets()) - {"sound"}):
        return [intent_for("modifier", clause, slots)]  # "… add music calm, volume 30 percent"
    if target is None and not verbs and slots.translations:
        target = "dub"  # "Spanish: Hola a todos …": a translation given on its own
    if target is None and verbs:
        target = "video"  # "cut the first 2 seconds", "put 'NEW' in red at the top"
    if target is None:
        return [intent_for("modifier", clause, slots)] if has_slots(slots) else []
    named = next((t for t in ctx.previous_targets if t in (*AUDIO, "title", "captions", "sound")), None)
    last_turn = ctx.scene.last_target if not set(verbs) & REMOVE and _suits(ctx.scene.last_target, slots) else None
    earlier = ctx.previous.target if ctx.previous is not None else named or last_turn
    earlier = "original" if earlier == "sound" else earlier  # "the sound is bad, please delete it"
    if target in ("video", "sound") and earlier in (*AUDIO, "title", "captions") and _refers_back(clause) \
            and not clause.targets():
        target = earlier  # "lower it", "make them yellow", and in the next message "actually make it red"
    return by_target(target, clause, slots, set(verbs), ctx)


def _suits(target: str | None, slots: Slots) -> bool:
    """Whether what the last turn changed can take these slots ("actually make it red" → a title, not music)."""
    if target in AUDIO:
        return slots.level is not None or slots.fade_in is not None or slots.fade_out is not None
    if target in ("title", "captions"):
        return bool(slots.colour or slots.position or slots.big or slots.when or slots.text)
    return False


def _refers_back(clause: Clause) -> bool:
    """"lower it", "make them yellow", "turn it up": the clause acts on what was just named."""
    return bool({"it", "them", "those", "this", "that", "它"} & set(clause.tokens))


def _names_volume(clause: Clause) -> bool:
    return any(m.has("target", "sound") and " ".join(clause.tokens[m.start:m.end]) in ("volume", "level", "音 量")
               for m in clause.lexed.matches)


def _language_of(introducer: str) -> str | None:
    from nemo_nb.local.understanding.words import lex

    found = lex(introducer[-80:]).values("language") if introducer else []
    return found[-1] if found else None


COMPLAINTS = ("too", "hear", "drown", "overpower", "compet", "distract", "disturb", "lost", "太", "听")


def _is_complaint(clause: Clause, verbs: list[str], ctx: Context) -> bool:
    """No command, only how a sound is: "can barely hear the narration", "music way too loud", "(music is nice
    but) a tad loud"."""
    if verbs:
        return False
    if not clause.targets() and clause.lexed.first("level") in ("60", "20") and not clause.first_in_sentence \
            and set(ctx.previous_targets) & set(AUDIO) and (clause.lexed.has("magnitude") or "too" in clause.tokens):
        return True  # "… but a tad loud"
    return any(m.has("direction") and any(w in " ".join(clause.tokens[m.start:m.end]) for w in COMPLAINTS)
               for m in clause.lexed.matches)


def _complaint(clause: Clause, slots: Slots, ctx: Context) -> list[Intent]:
    """A description: only a complaint about a sound's level or the voice's pace is acted on ("the music is too
    loud", "the voiceover is too fast")."""
    if "voice" in clause.targets() and slots.pace and slots.pace.direction and {"too", "very", "so", "really",
                                                                                  "way"} & set(clause.tokens):
        slower = slots.pace.direction == "faster"
        slots.pace = Pace(direction="slower" if slower else "faster")
        return [intent_for("revoice", clause, slots, "voice", weak=True)]
    direction = clause.lexed.first("direction")
    named = clause.lexed.first("level")
    if direction is None and named in ("60", "20"):
        direction = "down" if named == "60" else "up"  # "the music is very strong", "the voice is so quiet"
    if direction is None:
        return []
    targets = [t for t in clause.targets() if t in (*AUDIO, "sound")]
    target = targets[0] if targets else (ctx.previous.target if ctx.previous and clause.lexed.has("pronoun") else None)
    if target is None and not clause.targets():
        target = next((t for t in ctx.previous_targets if t in AUDIO), None)
    if target == "sound":
        target = "original"
    if target not in AUDIO:
        return []
    kind = {"original": "original_level", "music": "music_level", "voice": "voice_level"}[target]
    if slots.level is None or slots.level.percent is None or named:  # "loud" is not 60% here; "… make it 20%" is
        slots.level = Level(factor=0.6 if direction == "down" else 1.5, direction=direction)
    return [intent_for(kind, clause, slots, target, weak=True)]
