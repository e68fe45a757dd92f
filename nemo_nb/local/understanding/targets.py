"""Step 5c: what a clause asks of the thing it acts on — one reader per target (the clip, its sound, music, the
voice, captions, a title, the frame, a dub, a presenter), each mapping the clause's actions and slots, and
what the session holds, to an intent kind (a row of the agent's skill table)."""
from __future__ import annotations

from nemo_nb.local.understanding.clauses import Clause
from nemo_nb.local.understanding.context import (
    ADD,
    CHANGE,
    LEVEL_VERBS,
    REMOVE,
    TRIM,
    Context,
    has_slots,
    intent_for,
)
from nemo_nb.local.understanding.intent import Intent, Level, Pace, Scene, Slots


def by_target(target: str, clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    scene = ctx.scene
    if target == "sound":
        target = _which_sound(clause, slots, verbs, scene)
        if target == "ask":
            return [intent_for("ask", clause, slots, note="sound")]
    if clause.lexed.has("everything") and clause.lexed.has("except"):
        if not verbs & (LEVEL_VERBS | {"lower", "raise"}) and not slots.level:
            return [intent_for("ask", clause, slots, note="remove")]
        return _everything_except(clause, slots, verbs, scene)
    handler = {"presenter": _presenter, "dub": _dub, "captions": _captions, "title": _title, "voice": _voice,
               "music": _music, "original": _original, "canvas": _canvas, "video": _video,
               "loudness": _loudness}[target]
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
    return [intent_for(kinds[sound], clause, slots, sound) for sound in scene.sounds if sound not in spared]


def _presenter(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    if verbs & REMOVE:
        note = "removing a presenter (say \"undo\" right after adding one)"
        return [intent_for("unsupported", clause, slots, note=note)]
    return [intent_for("presenter", clause, slots, "presenter")]


def _dub(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    return [intent_for("dub", clause, slots, "dub")]


def _captions(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    there = ctx.scene.captions
    if verbs & REMOVE or (clause.lexed.has("no") and not verbs):
        return [intent_for("remove_captions", clause, slots, "captions")]
    if there and (slots.colour or slots.position or slots.big) and not slots.text and not slots.languages:
        return [intent_for("style_captions", clause, slots, "captions")]
    if there and not (verbs & ADD or slots.text or slots.languages) and not verbs & CHANGE:
        return []
    return [intent_for("captions", clause, slots, "captions")]


def _title(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    titles = ctx.scene.titles
    if verbs & REMOVE or (clause.lexed.has("no") and not verbs):
        return [intent_for("remove_title", clause, slots, "title")]
    if verbs and verbs <= {"keep"}:
        return []
    restyle = bool(slots.position or slots.colour or slots.when or slots.big)
    editing = titles and (verbs & {"change", "move", "set", "make"} or (not slots.text and (restyle or not verbs))) \
        and not (verbs & {"add"} and slots.text)
    if editing:
        direction = clause.lexed.first("direction")
        if direction and not slots.position and "move" in verbs | {"move"}:
            slots.position = "down" if direction == "down" else "up"
        return [intent_for("edit_title", clause, slots, "title")]
    if slots.text is None:
        return [intent_for("ask", clause, slots, "title", note="title_words")]
    return [intent_for("title", clause, slots, "title")]


def _voice(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    there = ctx.scene.voiceover
    if verbs & REMOVE and not slots.text:
        return [intent_for("remove_voiceover", clause, slots, "voice")]
    if slots.text or not there or (verbs & {"add", "speak"} and not (slots.gender or slots.pace)):
        if there and not slots.text and not verbs & {"add", "speak", "replace"} and slots.level:
            return [intent_for("voice_level", clause, slots, "voice")]
        return [intent_for("voiceover", clause, slots, "voice")]
    if slots.languages and verbs & {"translate", "dub", "change"}:
        return [intent_for("dub", clause, slots, "dub")]
    if verbs & {"speed"} and not slots.pace:
        slots.pace = Pace(direction="slower" if "slow" in clause.tokens else "faster")
    if slots.gender or slots.pace:
        return [intent_for("revoice", clause, slots, "voice")]
    if slots.level or verbs & LEVEL_VERBS:
        if "mute" in verbs:
            slots.level = Level(percent=0)
        return [intent_for("voice_level", clause, slots, "voice")]
    if verbs & {"change", "swap"}:
        return [intent_for("revoice", clause, slots, "voice")]
    return []


def _music(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    there = ctx.scene.music
    if (clause.lexed.has("no") and not verbs) or (verbs & REMOVE and not slots.level):
        return [intent_for("remove_music", clause, slots, "music")]
    if verbs & {"keep"} and not slots.level:
        return []
    if "mute" in verbs:
        slots.level = Level(percent=0)
    adding = verbs & {"add", "change"} or not there or (slots.mood and not slots.level) or slots.uploads
    fading = slots.fade_in is not None or slots.fade_out is not None or slots.fade_change
    if there and not adding and fading and (slots.level is None or slots.level.percent is None):
        slots.level = None
        return [intent_for("music_fade", clause, slots, "music")]
    if there and not (verbs & {"add", "change"} or slots.uploads) and (slots.level or verbs & LEVEL_VERBS):
        return [intent_for("music_level", clause, slots, "music")]
    if there and not adding:
        return []
    return [intent_for("music", clause, slots, "music")]


def _original(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    if verbs & {"mute", "remove"} or (clause.lexed.has("no") and not verbs):
        slots.level = Level(percent=0)
    elif "restore" in verbs:
        return [intent_for("original_level", clause, slots, "original", note="restore")]
    elif verbs & {"keep"} and not slots.level:
        return []
    if slots.level is None:
        return []
    return [intent_for("original_level", clause, slots, "original")]


def _loudness(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    """The exports' loudness: a level in LUFS, an outlet's ("for a podcast"), the default, or off ("don't
    normalize", "turn off loudness normalisation")."""
    negated = clause.lexed.has("negation") or bool({"no", "without"} & set(clause.tokens))
    if negated and not any(t.startswith("normali") for t in clause.tokens):
        return []  # "don't touch the loudness": nothing to do
    off = negated or bool(verbs & REMOVE) or ("keep" in verbs and slots.loudness is None)  # "keep it as it is"
    return [intent_for("loudness", clause, slots, "loudness", note="off" if off else "")]


def _canvas(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    if slots.platform and not (slots.ratio or slots.size) and clause.descriptive:
        return []
    if not (slots.ratio or slots.size or slots.exact_size or slots.fit or slots.platform):
        return [intent_for("ask", clause, slots, "canvas", note="canvas")]
    found = [intent_for("canvas", clause, slots, "canvas")]
    if slots.when is not None and (slots.when.total or slots.when.anchor in ("first", "last")):
        found.append(intent_for("trim", clause, slots, "video"))  # "need this as a 15s cut for Stories"
    return found


def _video(clause: Clause, slots: Slots, verbs: set[str], ctx: Context) -> list[Intent]:
    scene = ctx.scene
    if slots.ratio or slots.size or slots.exact_size or slots.fit:
        return _canvas(clause, slots, verbs, ctx)
    if "one of" in clause.text and len(scene.clips) > 1:
        return [intent_for("ask", clause, slots, "video", note="remove" if verbs & REMOVE else "which_clip")]
    if verbs & {"mute"} or ("sound" in clause.targets() and verbs & REMOVE):
        slots.level = Level(percent=0)
        return [intent_for("original_level", clause, slots, "original")]
    if verbs & {"speed"}:
        if ctx.scene.voiceover and ctx.previous is not None and ctx.previous.target == "voice":
            return _voice(clause, slots, verbs, ctx)
        return [intent_for("unsupported", clause, slots, note="slow motion and speed changes")]
    if slots.when is None and verbs & TRIM and ctx.previous_when is not None and clause.lexed.has("pronoun"):
        slots.when = ctx.previous_when
    if slots.when is not None and verbs & (TRIM | {"keep", "make", "start", "end", "set"}):
        return [intent_for("trim", clause, slots, "video")]
    if verbs & {"trim"} or (verbs & {"make"} and any(w in clause.tokens for w in ("shorter", "short"))):
        return [intent_for("ask", clause, slots, "video", note="trim")]
    if verbs & {"speak"} and (slots.text or not clause.payloads):
        return _voice(clause, slots, verbs, ctx)
    if slots.text and verbs & {"add", "make"}:
        return [intent_for("title", clause, slots, "title")]
    if verbs & REMOVE:
        if slots.uploads or slots.ordinal:
            return [intent_for("remove_clip", clause, slots, "video")]
        return [intent_for("ask", clause, slots, "video", note="remove")]
    if verbs & {"add", "keep"} and scene.pending:
        return [intent_for("place", clause, slots, "video")]
    if slots.level or verbs & LEVEL_VERBS:
        if len(scene.sounds) > 1 and not verbs & {"restore"}:
            return [intent_for("ask", clause, slots, note="sound")]
        return _original(clause, slots, verbs, ctx)
    if verbs & {"change"} and ("swap" in clause.tokens or "them" in clause.tokens):
        return [intent_for("ask", clause, slots, "video", note="order")]
    if slots.when is not None and slots.when.total is not None:
        return [intent_for("trim", clause, slots, "video")]
    if verbs & {"make", "change"} and clause.lexed.has("pronoun") and not has_slots(slots):
        return [intent_for("ask", clause, slots, note="vague")]
    return [intent_for("modifier", clause, slots)] if has_slots(slots) else []
