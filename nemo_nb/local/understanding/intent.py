"""What understanding produces: intents with typed slots, one per clause, and the message's reading."""
from __future__ import annotations

from dataclasses import dataclass, field

from nemo_nb.local.understanding.times import When


@dataclass(frozen=True)
class Level:
    """A volume asked for: ``percent`` (absolute), else a ``factor`` of the current level, else ``points``
    up or down; ``direction`` is "up" or "down" for a change."""

    percent: int | None = None
    factor: float | None = None
    points: int | None = None
    direction: str | None = None

    def apply(self, current: int) -> int:
        """The new level from ``current`` (0–200; lowering never raises, raising never lowers)."""
        if self.percent is not None:
            if self.direction == "down" and current and self.percent >= current:
                return max(0, round(current * (1 - min(self.percent, 100) / 100)))  # "down 50%": by half
            if self.direction == "up" and self.percent <= current:
                return min(200, round(current * (1 + self.percent / 100)))  # "up 20%"
            return max(0, min(200, self.percent))
        if self.factor is not None:
            value = current * self.factor
        elif self.points is not None:
            value = current + (self.points if self.direction != "down" else -abs(self.points))
        else:
            value = current
        if self.direction == "up" and current == 0:
            value = max(value, 50)
        new = max(0, min(200, round(value)))
        if self.direction == "down" and current > 0:
            new = min(new, current - 1) if current > 1 else 0
        if self.direction == "up":
            new = max(new, current + 1)
        return new


@dataclass(frozen=True)
class Pace:
    """A speaking pace: a ``multiplier`` (1.2x), or ``direction`` slower/faster with a ``step``."""

    multiplier: float | None = None
    direction: str | None = None
    step: float = 0.1

    def apply(self, current: float) -> float:
        if self.multiplier is not None:
            return self.multiplier
        change = self.step if self.direction == "faster" else -self.step
        return round(max(0.7, min(1.4, current * (1 + change))), 3)


@dataclass
class Slots:
    """Everything a clause says besides its action and its target. Unset slots are None (or empty)."""

    level: Level | None = None
    when: When | None = None
    colour: str | None = None
    position: str | None = None
    languages: list[str] = field(default_factory=list)
    gender: str | None = None
    pace: Pace | None = None
    ratio: str | None = None
    size: int | None = None               # the short side: 720, 1080, 2160
    exact_size: tuple[int, int] | None = None
    fit: str | None = None
    mood: str | None = None
    fade_in: int | None = None            # ms
    fade_out: int | None = None
    fade_change: str | None = None        # "longer" / "shorter" (no number given)
    uploads: list[str] = field(default_factory=list)   # file names named
    ordinal: int | None = None            # "the second clip" → 1, "the last" → -1
    text: str | None = None               # the payload (script, title words)
    translations: dict[str, str] = field(default_factory=dict)  # language → text given for it
    platform: str | None = None
    spread: bool = False
    big: int = 0                          # title size: 1 big, -1 small
    duck: bool | None = None
    negated: bool = False
    sidecar: bool = False                 # captions kept as a file only ("as an SRT", "don't burn them in")
    replace_original: bool = False        # a dub that removes the original speech
    loudness: float | None = None         # LUFS asked for ("-16 LUFS", "for a podcast")

    def merge(self, other: Slots) -> None:
        """Fill what is unset here from ``other`` (a modifier clause: "… and make them yellow")."""
        for name in self.__dataclass_fields__:
            mine, theirs = getattr(self, name), getattr(other, name)
            if isinstance(mine, Level) and isinstance(theirs, Level) and theirs.percent is not None \
                    and mine.percent is None:
                self.level = Level(percent=theirs.percent, direction=mine.direction)  # "more low, maybe 20 percent"
            elif isinstance(mine, When) and isinstance(theirs, When):
                self.when = When(**{key: getattr(mine, key) if getattr(mine, key) is not None else getattr(theirs, key)
                                    for key in ("start", "end", "duration", "anchor", "total")})
            elif isinstance(mine, list):
                mine.extend(x for x in theirs if x not in mine)
            elif isinstance(mine, dict):
                for key, value in theirs.items():
                    mine.setdefault(key, value)
            elif mine in (None, False, 0) and theirs not in (None, False, 0):
                setattr(self, name, theirs)


@dataclass
class Intent:
    """One thing a message asks: ``kind`` (a row of the agent's skill table), the words it came from
    (``clause``), its ``slots``, and for notes and questions what to say (``note``)."""

    kind: str
    clause: str
    slots: Slots = field(default_factory=Slots)
    target: str | None = None
    weak: bool = False                    # a complaint ("the music is too loud") rather than a request
    note: str = ""
    verbs: tuple[str, ...] = ()           # the clause's actions (lexicon.VERBS keys)

    @property
    def words(self) -> set[str]:
        return set(self.clause.split())

    def __repr__(self) -> str:
        return f"Intent({self.kind!r}, {self.clause!r})"


@dataclass
class Reading:
    """A message understood: its intents in order, whether it forbids changes (``hold``), its questions."""

    intents: list[Intent]
    hold: bool = False
    text: str = ""
    confirm: bool = False  # "yes, do it": the go-ahead for what was held back or offered last time

    @property
    def kinds(self) -> list[str]:
        return [i.kind for i in self.intents]


@dataclass(frozen=True)
class Scene:
    """What the session holds, as far as understanding needs it (which readings make sense)."""

    video: bool = False            # a clip or image on the timeline
    pending: tuple[str, ...] = ()  # uploaded pictures not on the timeline yet
    clips: tuple[str, ...] = ()    # names of the clips on the timeline, in order
    video_ms: int = 0
    music: bool = False
    voiceover: bool = False
    captions: bool = False
    titles: int = 0
    dubs: tuple[str, ...] = ()
    documents: tuple[str, ...] = ()   # uploaded scripts and subtitles
    audio: tuple[str, ...] = ()       # uploaded songs
    presenter: bool = False
    last_target: str | None = None    # what the previous turn changed: "actually make it red"
    awaiting: tuple[str, ...] = ()    # languages a dub of the clip's speech waits a translation for
    awaiting_lines: int = 0           # … and how many lines it listed

    @property
    def sounds(self) -> list[str]:
        """The sounds there are: original (the clip's own), music, voice."""
        return [name for name, there in (("original", self.video), ("music", self.music),
                                         ("voice", self.voiceover)) if there]
