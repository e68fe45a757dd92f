"""What every step of reading a clause shares: the verb groups, the clause's context (payloads, session,
the intent before it), and how an intent is made from a clause."""
from __future__ import annotations

from dataclasses import dataclass

from nemo_nb.local.understanding.clauses import Clause
from nemo_nb.local.understanding.intent import Intent, Scene, Slots
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


def intent_for(kind: str, clause: Clause, slots: Slots, target: str | None = None, **extra: object) -> Intent:
    """An intent of ``kind`` made from ``clause`` (its words and actions kept for the skills)."""
    intent = Intent(kind, clause.text, slots, target, **extra)  # type: ignore[arg-type]
    intent.verbs = tuple(clause.verbs())
    return intent


def has_slots(slots: Slots) -> bool:
    """Whether the clause says anything besides its action and target."""
    return any((slots.level, slots.when, slots.colour, slots.position, slots.languages, slots.gender, slots.pace,
                slots.ratio, slots.size, slots.exact_size, slots.fit, slots.mood, slots.fade_in, slots.fade_out,
                slots.fade_change, slots.text, slots.spread, slots.duck is not None))
