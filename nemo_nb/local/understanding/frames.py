"""Step 5b: one intent per clause — what it acts on (its target) and how (its action), given what the
session holds (``Scene``). A clause without a target of its own continues the previous one ("… and fade
it out over 3 seconds"); a clause with only slots adds them to the previous intent ("… but don't crop").
"""
from __future__ import annotations

from dataclasses import dataclass

from nemo_nb.local.understanding import slots as slot_reader
from nemo_nb.local.understanding.clauses import Clause
from nemo_nb.local.understanding.intent import Intent, Level, Pace, Scene, Slots
from nemo_nb.local.understanding.payload import Payload
from nemo_nb.local.understanding.times import When

REMOVE = frozenset({"remove"})
TRIM = frozenset({"trim", "remove"})
LEVEL_VERBS = frozenset({"lower", "raise", "set", "mute", "restore"})
CHANGE = frozenset({"change", "make", "set", "move"})
ADD = frozenset({"add", "make", "speak", "start"})
AUDIO = ("original", "music", "voice")
AUDIO_FILES = (".mp3", ".wav", ".m4a", ".aac", ".ogg", ".flac")
SPOKEN = ("spoken", "talking", "speaks", "speaking", "narrated")
UNSUPPORTED_NOTES = {
    "an intro or outro": "What should it be — a title card? For example: add a title \"Welcome\" for the first "
                         "3 seconds.",
}


@dataclass
class Context:
    """What a clause is read with: the payloads, the session, and the previous intent."""

    payloads: list[Payload]
    scene: Scene
    previous: Intent | None = None
    inherited_verbs: tuple[str, ...] = ()
    previous_when: When | None = None  # "the first two seconds are just me fumbling, so cut those"
    previous_targets: tuple[str, ...] = ()  # the previous clause's things, even when it asked nothing


def _intent(kind: str, clause: Clause, slots: Slots, target: str | None = None, **extra: object) -> Intent:
    intent = Intent(kind, clause.text, slots, target, **extra)  # type: ignore[arg-type]
    intent.verbs = tuple(clause.verbs())
    return intent


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
        return [_intent("undo", clause, slots)]
    if "remove" in verbs and _names_volume(clause):  # "drop the music volume a touch": lower it
        verbs = [v for v in verbs if v != "remove"] + ["lower"]
        slots.level = slots.level or slot_reader.level_for("down", clause)
    if clause.aside and not clause.verbs():
        return []
    if clause.lexed.has("negation") and not clause.verbs():
        return []  # "don't remove it", "don't touch the title": nothing to do
    if clause.descriptive and clause.payloads:
        return [_intent("modifier", clause, slots)]  # "the French text is '…'", "here is the copy: …"
    if clause.descriptive or _is_complaint(clause, verbs, ctx):
        return _complaint(clause, slots, ctx)
    unsupported = clause.lexed.values("unsupported")
    if unsupported == ["an intro or outro"] and set(verbs) & TRIM:  # "chop off the intro": a trim at one end
        outro = any(t in ("outro", "片尾") for t in clause.tokens)
        slots.when = slots.when or When(anchor="last" if outro else "first")
        return [_intent("trim", clause, slots, "video")]
    if unsupported and verbs:
        what = unsupported[0]
        return [_intent("unsupported", clause, slots, note=UNSUPPORTED_NOTES.get(what, what))]
    target = primary_target(clause, slots, ctx)
    standalone = clause.first_in_sentence or ctx.previous is None or ctx.previous.kind in ("ask", "unsupported")
    if not verbs and not clause.targets() and not standalone and not slots.translations:
        return [_intent("modifier", clause, slots)]  # "4:5 but don't crop", "… yellow and black"
    if target is None and not verbs and ctx.previous is None and _has_slots(slots):
        target = next((t for t in ctx.previous_targets if t in (*AUDIO, "title", "captions")), None)  # "music: softer"
    if target == "sound" and _names_volume(clause) and ctx.previous is not None \
            and ctx.previous.target in AUDIO and not (set(clause.targets()) - {"sound"}):
        return [_intent("modifier", clause, slots)]  # "… add music calm, volume 30 percent"
    if target is None and not verbs and slots.translations:
        target = "dub"  # "Spanish: Hola a todos …": a translation given on its own
    if target is None and verbs:
        target = "video"  # "cut the first 2 seconds", "put 'NEW' in red at the top"
    if target is None:
        return [_intent("modifier", clause, slots)] if _has_slots(slots) else []
    named = next((t for t in ctx.previous_targets if t in (*AUDIO, "title", "captions", "sound")), None)
    last_turn = ctx.scene.last_target if not set(verbs) & REMOVE and _suits(ctx.scene.last_target, slots) else None
    earlier = ctx.previous.target if ctx.previous is not None else named or last_turn
    earlier = "original" if earlier == "sound" else earlier  # "the sound is bad, please delete it"
    if target in ("video", "sound") and earlier in (*AUDIO, "title", "captions") and _refers_back(clause) \
            and not clause.targets():
        target = earlier  # "lower it", "make them yellow", and in the next message "actually make it red"
    return _by_target(target, clause, slots, set(verbs), ctx)


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


def _has_slots(slots: Slots) -> bool:
    return any((slots.level, slots.when, slots.colour, slots.position, slots.languages, slots.gender, slots.pace,
                slots.ratio, slots.size, slots.exact_size, slots.fit, slots.mood, slots.fade_in, slots.fade_out,
                slots.fade_change, slots.text, slots.spread, slots.duck is not None))


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
        return [_intent("revoice", clause, slots, "voice", weak=True)]
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
    return [_intent(kind, clause, slots, target, weak=True)]


def _by_target(target: str, clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    scene = ctx.scene
    if target == "sound":
        target = _which_sound(clause, slots, verbs, scene)
        if target == "ask":
            return [_intent("ask", clause, slots, note="sound")]
    if clause.lexed.has("everything") and clause.lexed.has("except"):
        if not verbs & (LEVEL_VERBS | {"lower", "raise"}) and not slots.level:
            return [_intent("ask", clause, slots, note="remove")]
        return _everything_except(clause, slots, verbs, scene)
    handler = {"presenter": _presenter, "dub": _dub, "captions": _captions, "title": _title, "voice": _voice,
               "music": _music, "original": _original, "canvas": _canvas, "video": _video}[target]
    return handler(clause, slots, verbs, ctx)


def _which_sound(clause: Clause, slots: Slots, verbs: set[str], scene: Scene) -> str:
    """"the sound", "the audio", "volume": the clip's own sound unless several sounds could be meant."""
    if verbs & {"mute", "remove"} or "video" in clause.targets() or len(scene.sounds) <= 1:
        return "original"
    return "ask" if slots.level else "original"


def _everything_except(clause: Clause, slots: Slots, verbs: set[str], scene: Scene) -> list[Intent]:
    """"lower everything except the voice": every sound there is but the ones named."""
    spared = set(clause.targets())
    kinds = {"original": "original_level", "music": "music_level", "voice": "voice_level"}
    return [_intent(kinds[sound], clause, slots, sound) for sound in scene.sounds if sound not in spared]


def _presenter(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    if verbs & REMOVE:
        note = "removing a presenter (say \"undo\" right after adding one)"
        return [_intent("unsupported", clause, slots, note=note)]
    return [_intent("presenter", clause, slots, "presenter")]


def _dub(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    return [_intent("dub", clause, slots, "dub")]


def _captions(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    there = ctx.scene.captions
    if verbs & REMOVE or (clause.lexed.has("no") and not verbs):
        return [_intent("remove_captions", clause, slots, "captions")]
    if there and (slots.colour or slots.position or slots.big) and not slots.text and not slots.languages:
        return [_intent("style_captions", clause, slots, "captions")]
    if there and not (verbs & ADD or slots.text or slots.languages) and not verbs & CHANGE:
        return []
    return [_intent("captions", clause, slots, "captions")]


def _title(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    titles = ctx.scene.titles
    if verbs & REMOVE or (clause.lexed.has("no") and not verbs):
        return [_intent("remove_title", clause, slots, "title")]
    if verbs and verbs <= {"keep"}:
        return []
    restyle = bool(slots.position or slots.colour or slots.when or slots.big)
    editing = titles and (verbs & {"change", "move", "set", "make"} or (not slots.text and (restyle or not verbs))) \
        and not (verbs & {"add"} and slots.text)
    if editing:
        direction = clause.lexed.first("direction")
        if direction and not slots.position and "move" in verbs | {"move"}:
            slots.position = "down" if direction == "down" else "up"
        return [_intent("edit_title", clause, slots, "title")]
    if slots.text is None:
        return [_intent("ask", clause, slots, "title", note="title_words")]
    return [_intent("title", clause, slots, "title")]


def _voice(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    there = ctx.scene.voiceover
    if verbs & REMOVE and not slots.text:
        return [_intent("remove_voiceover", clause, slots, "voice")]
    if slots.text or not there or (verbs & {"add", "speak"} and not (slots.gender or slots.pace)):
        if there and not slots.text and not verbs & {"add", "speak", "replace"} and slots.level:
            return [_intent("voice_level", clause, slots, "voice")]
        return [_intent("voiceover", clause, slots, "voice")]
    if slots.languages and verbs & {"translate", "dub", "change"}:
        return [_intent("dub", clause, slots, "dub")]
    if verbs & {"speed"} and not slots.pace:
        slots.pace = Pace(direction="slower" if "slow" in clause.tokens else "faster")
    if slots.gender or slots.pace:
        return [_intent("revoice", clause, slots, "voice")]
    if slots.level or verbs & LEVEL_VERBS:
        if "mute" in verbs:
            slots.level = Level(percent=0)
        return [_intent("voice_level", clause, slots, "voice")]
    if verbs & {"change", "swap"}:
        return [_intent("revoice", clause, slots, "voice")]
    return []


def _music(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    there = ctx.scene.music
    if (clause.lexed.has("no") and not verbs) or (verbs & REMOVE and not slots.level):
        return [_intent("remove_music", clause, slots, "music")]
    if verbs & {"keep"} and not slots.level:
        return []
    if "mute" in verbs:
        slots.level = Level(percent=0)
    adding = verbs & {"add", "change"} or not there or (slots.mood and not slots.level) or slots.uploads
    fading = slots.fade_in is not None or slots.fade_out is not None or slots.fade_change
    if there and not adding and fading and (slots.level is None or slots.level.percent is None):
        slots.level = None
        return [_intent("music_fade", clause, slots, "music")]
    if there and not (verbs & {"add", "change"} or slots.uploads) and (slots.level or verbs & LEVEL_VERBS):
        return [_intent("music_level", clause, slots, "music")]
    if there and not adding:
        return []
    return [_intent("music", clause, slots, "music")]


def _original(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    if verbs & {"mute", "remove"} or (clause.lexed.has("no") and not verbs):
        slots.level = Level(percent=0)
    elif "restore" in verbs:
        return [_intent("original_level", clause, slots, "original", note="restore")]
    elif verbs & {"keep"} and not slots.level:
        return []
    if slots.level is None:
        return []
    return [_intent("original_level", clause, slots, "original")]


def _canvas(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    if slots.platform and not (slots.ratio or slots.size) and clause.descriptive:
        return []
    if not (slots.ratio or slots.size or slots.exact_size or slots.fit or slots.platform):
        return [_intent("ask", clause, slots, "canvas", note="canvas")]
    found = [_intent("canvas", clause, slots, "canvas")]
    if slots.when is not None and (slots.when.total or slots.when.anchor in ("first", "last")):
        found.append(_intent("trim", clause, slots, "video"))  # "need this as a 15s cut for Stories"
    return found


def _video(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    scene = ctx.scene
    if slots.ratio or slots.size or slots.exact_size or slots.fit:
        return _canvas(clause, slots, verbs, ctx)
    if "one of" in clause.text and len(scene.clips) > 1:
        return [_intent("ask", clause, slots, "video", note="remove" if verbs & REMOVE else "which_clip")]
    if verbs & {"mute"} or ("sound" in clause.targets() and verbs & REMOVE):
        slots.level = Level(percent=0)
        return [_intent("original_level", clause, slots, "original")]
    if verbs & {"speed"}:
        if ctx.scene.voiceover and ctx.previous is not None and ctx.previous.target == "voice":
            return _voice(clause, slots, verbs, ctx)
        return [_intent("unsupported", clause, slots, note="slow motion and speed changes")]
    if slots.when is None and verbs & TRIM and ctx.previous_when is not None and clause.lexed.has("pronoun"):
        slots.when = ctx.previous_when
    if slots.when is not None and verbs & (TRIM | {"keep", "make", "start", "end", "set"}):
        return [_intent("trim", clause, slots, "video")]
    if verbs & {"trim"} or (verbs & {"make"} and any(w in clause.tokens for w in ("shorter", "short"))):
        return [_intent("ask", clause, slots, "video", note="trim")]
    if verbs & {"speak"} and (slots.text or not clause.payloads):
        return _voice(clause, slots, verbs, ctx)
    if slots.text and verbs & {"add", "make"}:
        return [_intent("title", clause, slots, "title")]
    if verbs & REMOVE:
        if slots.uploads or slots.ordinal:
            return [_intent("remove_clip", clause, slots, "video")]
        return [_intent("ask", clause, slots, "video", note="remove")]
    if verbs & {"add", "keep"} and scene.pending:
        return [_intent("place", clause, slots, "video")]
    if slots.level or verbs & LEVEL_VERBS:
        if len(scene.sounds) > 1 and not verbs & {"restore"}:
            return [_intent("ask", clause, slots, note="sound")]
        return _original(clause, slots, verbs, ctx)
    if verbs & {"change"} and ("swap" in clause.tokens or "them" in clause.tokens):
        return [_intent("ask", clause, slots, "video", note="order")]
    if slots.when is not None and slots.when.total is not None:
        return [_intent("trim", clause, slots, "video")]
    if verbs & {"make", "change"} and clause.lexed.has("pronoun") and not _has_slots(slots):
        return [_intent("ask", clause, slots, note="vague")]
    return [_intent("modifier", clause, slots)] if _has_slots(slots) else []

