"""Step 4: an instruction split into clauses, and each clause read into what it says.

Clauses end at sentence marks, commas, "and", "then", "also", "but", "+", "&" and their Chinese
equivalents — but not inside "between 3 and 7 seconds" or "fade in and out" (payloads are markers by
now, so scripts and titles are never split). ``Clause`` lists the clause's actions (with their
negation), targets, slots and how it is said (a question, a request, a description, small talk).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from nemo_nb.local.understanding import words as vocabulary
from nemo_nb.local.understanding.tokens import is_file
from nemo_nb.local.understanding.words import Lexed

STOPS = frozenset({".", "!", "?", ";", "。", "！", "？", "；", "\n"})
SOFT = frozenset({",", "，", "、", "+", "&", "and", "then", "also", "but", "plus", "然后", "再", "并且", "同时", "还有",
                  "另外", "以及", "接着", "并", "和", "跟", "/"})
MARKER = re.compile(r"⟪(\d{1,5})⟫$")
ARTICLES = frozenset({"the", "a", "an", "at", "from", "to", "till", "until", "by", "its", "my"})
LEADS = frozenset({"just", "now", "also", "then", "so", "ok", "okay", "and", "pls", "please", "first", "next",
                   "finally", "i", "we", "you"})
MAX_TOKENS = 400  # an instruction longer than this (after repeats are folded) is read at its start and end
LATER = frozenset({"later", "someday", "eventually", "once", "future", "tomorrow", "next week"})


@dataclass
class Clause:
    """One clause: its tokens and phrases, and the payloads (indices) it holds."""

    lexed: Lexed
    ends_with: str = ""
    payloads: list[int] = field(default_factory=list)
    in_question: bool = False  # the sentence it is in ends with a question mark
    aside: bool = False        # in parentheses: "(gaming + tech reviews, 40k subs)"
    first_in_sentence: bool = True

    @property
    def tokens(self) -> list[str]:
        return self.lexed.tokens

    @property
    def text(self) -> str:
        return " ".join(t for t in self.tokens if not MARKER.match(t))

    def verbs(self) -> list[str]:
        """Actions, in order, without the negated ones."""
        return [v for v, negated in self.actions() if not negated]

    def negated(self) -> list[str]:
        return [v for v, negated in self.actions() if negated]

    def actions(self) -> list[tuple[str, bool]]:
        """(action, negated) in order: an action right after "don't"/"no need to"/"never" is negated. A word
        that is also a thing ("voice") is an action only where a command starts ("voice this: …")."""
        out = []
        negation_at = -10
        lead = self._lead()
        for m in self.lexed.matches:
            if m.has("negation"):
                negation_at = m.end
            verb = m.value("verb")
            if verb in ("start", "end") and m.start and self.tokens[m.start - 1] in ARTICLES:
                continue  # "at the start", "by the end": a time, not an action
            described = self.tokens[m.end:m.end + 1] in (["is"], ["was"], ["sounds"], ["'s"], ["seems"], ["gets"],
                                                        ["up"], ["down"], ["louder"], ["quieter"], ["at"], ["to"],
                                                        ["volume"], ["level"]) or self.tokens[m.end:m.end + 1] == [] \
                or self.tokens[m.end][:1].isdigit()  # "voice up", "voice at 80%": the thing, not the verb
            if verb and (not m.has("target") or (m.start <= lead and not described)):
                out.append((verb, 0 <= m.start - negation_at <= 2))
        return out

    def _lead(self) -> int:
        """Where the clause's command would start: after fillers and polite words ("please", "can you")."""
        at = 0
        for m in self.lexed.matches:
            if m.start == at and (m.has("polite") or " ".join(self.tokens[m.start:m.end]) in LEADS):
                at = m.end
        return at

    def targets(self) -> list[str]:
        return self.lexed.values("target")

    def files(self) -> list[str]:
        return [t for t in self.tokens if is_file(t)]

    @property
    def is_question(self) -> bool:
        """Asks something (not a request such as "can you lower it?" or "turn it up a little?")."""
        first = self.lexed.matches[0] if self.lexed.matches else None
        marked = self.ends_with in ("?", "？") or "吗" in self.tokens[-2:] or "呢" in self.tokens[-2:]
        wh = (self.first_in_sentence and any(m.start <= 2 and m.has("question", "wh") for m in self.lexed.matches[:3])
              and self.tokens[1:3] not in (["i", "need"], ["i", "want"], ["we", "need"], ["we", "want"])) \
            or bool({"whether", "wondering", "curious"} & set(self.tokens))
        aux = first is not None and first.start <= 1 and (first.has("question", "aux") or first.has("polite"))
        marked = marked or (self.in_question and aux)
        if not (wh or marked):
            return False
        if first is not None and first.start == 0 and first.value("verb") and not first.has("question"):
            return False  # an imperative: "turn it up a little?"
        polite = self.lexed.has("polite")
        later = bool(LATER & set(self.tokens))
        wishes = any(m.has(c) for m in self.lexed.matches for c in ("direction", "pace", "colour", "position", "shape"))
        if polite and (self.verbs() or wishes) and not later and not wh:
            return False  # "can you lower it?", "can be more slow?"
        if self.tokens[:1] in (["can"], ["could"], ["would"], ["will"]) and self.tokens[1:2] not in (["i"], ["we"]) \
                and wishes and self.targets() and not later:
            return False  # "could the song be a little less loud?", "can the music sit further back?"
        return wh or aux or marked

    @property
    def is_small_talk(self) -> bool:
        """Only greetings, thanks, acknowledgements and filler words."""
        kinds = ("greeting", "thanks", "ack", "filler", "describe", "pronoun")
        chatty = any(m.has("greeting") or m.has("thanks") or m.has("ack") for m in self.lexed.matches)
        covered = set()
        for m in self.lexed.matches:
            if any(m.has(kind) for kind in kinds):
                covered |= set(range(m.start, m.end))
        rest = [t for i, t in enumerate(self.tokens) if i not in covered and t.isalnum()]
        return chatty and len(rest) <= 1 and not self.targets() and not self.verbs()

    @property
    def descriptive(self) -> bool:
        """Says how things are ("the music is too loud", "my nephew filmed this") rather than asking."""
        if not self.lexed.has("describe"):
            return False
        first_verb = next((m.start for m in self.lexed.matches if m.value("verb") and (
            not m.has("target") or m.start <= self._lead())), None)
        first_described = next(m.start for m in self.lexed.matches if m.has("describe"))
        return first_verb is None or (first_described < first_verb and not self.lexed.has("polite"))


class _Meaning:
    def __init__(self, meanings: tuple[tuple[str, str], ...]):
        self.meanings = meanings

    def has(self, category: str) -> bool:
        return any(c == category for c, _ in self.meanings)


def _split_points(tokens: list[str]) -> list[int]:
    """Indices of tokens that end a clause (they belong to no clause)."""
    cuts = []
    for i, word in enumerate(tokens):
        if word in STOPS or word in ("(", ")", "[", "]"):
            cuts.append(i)
            continue
        if word == ":" and not MARKER.match(tokens[i + 1] if i + 1 < len(tokens) else ""):
            cuts.append(i)  # "what I need: please mute …", "Requests: 1) make it 9:16"
            continue
        if word == "so" and i + 1 < len(tokens) and vocabulary.INDEX.by_first.get(tokens[i + 1]) and any(
                m.has("verb") and not m.has("target") for _, meanings in vocabulary.INDEX.by_first[tokens[i + 1]]
                for m in [_Meaning(meanings)]):
            cuts.append(i)  # "… fumbling with the camera so cut those"
            continue
        if word not in SOFT:
            continue
        before, after = tokens[max(0, i - 4):i], tokens[i + 1:i + 2]
        if word == "and" and "between" in before and after and after[0][:1].isdigit():
            continue  # between 3 and 7 seconds
        if word == "and" and before[-1:] == ["in"] and after == ["out"]:
            continue  # fade in and out
        if word == "and" and before[-1:] in (["1"], ["one"]) and after == ["a"]:
            continue
        if word in ("/", "和", "跟") and not (before and after and before[-1].isalpha()):
            continue
        if word == "/" and before[-1:] == ["x"]:
            continue  # "X / Twitter"
        cuts.append(i)
    return cuts


def split(instruction: str, *, correct: bool = True) -> list[Clause]:
    """The clauses of an instruction (lower case, payload markers in it); ``correct``: fix typos."""
    tokens = vocabulary.prepare(instruction.replace("\n", " . "), correct=correct, limit=MAX_TOKENS)
    cuts = [*_split_points(tokens), len(tokens)]
    clauses: list[Clause] = []
    start = 0
    sentence_start = 0
    aside = False
    for cut in cuts:
        part = tokens[start:cut]
        end = tokens[cut] if cut < len(tokens) else ""
        start = cut + 1
        if part:
            markers = [int(m.group(1)) for t in part if (m := MARKER.match(t))]
            clauses.append(Clause(vocabulary.lex_tokens(part), end, markers, aside=aside,
                                  first_in_sentence=len(clauses) == sentence_start))
        elif clauses and end in ("?", "？", "!", "."):
            clauses[-1].ends_with = clauses[-1].ends_with or end
        aside = end in ("(", "[") or (aside and end not in (")", "]"))
        if end in STOPS or not end:
            for clause in clauses[sentence_start:]:
                clause.in_question = clauses[-1].ends_with in ("?", "？") if clauses else False
            sentence_start = len(clauses)
    return clauses
