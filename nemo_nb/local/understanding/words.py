"""The phrase index over the whole vocabulary, the speller built from it, and ``lex``: instruction text →
corrected tokens with digits for number words → the phrases found in them."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from nemo_nb.draft.colours import ALIASES, COLOURS
from nemo_nb.draft.languages import NAMED
from nemo_nb.local.understanding import lexicon, numbers, platforms
from nemo_nb.local.understanding.spelling import COMMAND_WORDS, Speller, known_words
from nemo_nb.local.understanding.times import HOUR_UNITS, MINUTE_UNITS, SECOND_UNITS
from nemo_nb.local.understanding.tokens import Match, PhraseIndex, entries, tokenize

WH_STARTS = ("what | what's | whats | which | how | how's | why | when | where | who | whose | remind me | tell me | "
             "let me know | explain | 多少 | 什么 | 哪 | 几 | 怎么 | 如何 | 为什么")
AUX_STARTS = ("is | are | was | were | does | do | did | can i | could i | may i | should | should i | will it | "
              "will there | would it | am i | have i | has | is there | are there | can | 是否 | 是不是 | 有没有 | "
              "能不能 | 可不可以")
POLITE = ("please | pls | plz | kindly | can you | could you | would you | will you | can u | could u | can we | "
          "could we | is possible to | it is possible to | is it ok to | can be | could be | can it be | could it be | "
          "i want you to "
          "| i'd like you to | i need you to | let's | go ahead and | is it possible to | are you able to | "
          "would you mind | 请 | 帮我 | 麻烦 | 给我 | 帮忙 | 能不能帮 | 可以帮")
DESCRIPTIVE = ("is | are | was | were | looks | look | sounds | seems | seem | feel | feels | love | loved | i like | "
               "we like | liked | hate | think | thought | filmed | shot | made | recorded | showed | said | tried | "
               "gave | run | works | worked | has | have | had | it's | that's | there's | enjoy | competes | gets | "
               "got | 是 | 觉得 | 喜欢 | 拍")
PRONOUNS = "it | them | this | that | these | those | both | its | 它 | 这个"
ORDINALS = {"1": "first | 1st | 第一", "2": "second | 2nd | 第二", "3": "third | 3rd | 第三", "4": "fourth | 4th",
            "5": "fifth | 5th", "-1": "last | final | 最后"}
FILLERS = ("out loud | aloud | so | much | very | really | there | the | a | an | and | just | all | again | "
           "guys | man | 'll | today | buddy | mate | folks | team | friend | haha | everyone | for | now | you | "
           "for now | this | everything | it | looks | is | my | so much | 了 | 啊 | 呀 | 哦 | 吧")


def _index() -> PhraseIndex:
    found = [entry for category, table in (("verb", lexicon.VERBS), ("target", lexicon.TARGETS),
                                           ("unsupported", lexicon.UNSUPPORTED)) for entry in entries(category, table)]
    for category, table in lexicon.MODIFIERS.items():
        found += entries(category, table)
    found += [("colour", name, name) for name in COLOURS]
    found += [("colour", name, name) for name in ALIASES]
    found += [("language", code, name) for name, code in NAMED.items()]
    found += platforms.entries()
    found += [("ordinal", value, phrases) for value, phrases in ORDINALS.items()]
    found += [("hold", "hold", lexicon.HOLD), ("greeting", "hi", lexicon.GREETINGS),
              ("thanks", "thanks", lexicon.THANKS), ("ack", "ok", lexicon.ACKS), ("confirm", "yes", lexicon.CONFIRM),
              ("question", "wh", WH_STARTS), ("question", "aux", AUX_STARTS), ("polite", "please", POLITE),
              ("describe", "is", DESCRIPTIVE), ("pronoun", "it", PRONOUNS), ("filler", "so", FILLERS)]
    return PhraseIndex(found)


INDEX = _index()
UNITS = SECOND_UNITS | MINUTE_UNITS | HOUR_UNITS
SPELLER = Speller(INDEX.words | set(COMMAND_WORDS) | set(numbers.SMALL) | set(numbers.TENS)
                  | {u for u in UNITS if u.isalpha() and len(u) > 3}, known_words())


@dataclass
class Lexed:
    """Tokens (corrected, numbers as digits) and the phrases found in them."""

    tokens: list[str]
    matches: list[Match]

    def values(self, category: str) -> list[str]:
        return [v for m in self.matches for c, v in m.meanings if c == category]

    def has(self, category: str, value: str | None = None) -> bool:
        return any(m.has(category, value) for m in self.matches)

    def first(self, category: str) -> str | None:
        return next(iter(self.values(category)), None)

    def at(self, index: int) -> Match | None:
        return next((m for m in self.matches if m.start <= index < m.end), None)

    @property
    def text(self) -> str:
        return " ".join(self.tokens)


def correct_tokens(tokens: list[str]) -> list[str]:
    return [SPELLER.correct(t) if t.isascii() and t.isalpha() else t for t in tokens]


def fold(tokens: list[str], limit: int) -> list[str]:
    """Immediate repeats folded ("please please please" → "please", "0: 0: 0:" → "0:"), then at most ``limit``
    tokens: the first and last halves. Keeps every later step linear and short on hostile messages."""
    out: list[str] = []
    for token in tokens:
        out.append(token)
        for period in (1, 2, 3, 4, 5, 6):
            if len(out) >= 2 * period and out[-period:] == out[-2 * period:-period]:
                del out[-period:]
                break
    if len(out) > limit:
        out = [*out[:limit // 2], ".", *out[-limit // 2:]]
    return out


KEEP_FORM = frozenset({"starting", "ending", "beginning", "opening", "closing", "needs", "needed", "wants", "wanted",
                       "likes", "liked", "seconds", "minutes", "titled", "named", "called"})


def base_form(word: str) -> str:
    """A verb or noun of the vocabulary under its ending: keeping → keep, lowering → lower, trimmed → trim,
    removing → remove; other words as they are."""
    if word in INDEX.words or len(word) < 5 or not word.isascii() or word in KEEP_FORM:
        return word
    for ending, back in (("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"), ("es", ""), ("s", "")):
        if word.endswith(ending):
            stem = word[: -len(ending)] + back
            if stem in INDEX.words:
                return stem
            if len(stem) > 3 and stem[-1] == stem[-2] and stem[:-1] in INDEX.words:  # trimmed, dubbing
                return stem[:-1]
    return word


PARTICLE_VERBS = frozenset({"take", "cut", "turn", "switch", "bring", "get", "pump", "crank", "tone", "dial", "fade",
                            "chop", "strip", "snip", "trim", "clear"})
PARTICLES = frozenset({"out", "off", "away", "down", "up", "back"})
CLAUSE_ENDS = frozenset({",", ".", ";", "!", "?", "and", "but", "then", "，", "。"})


def particles(tokens: list[str]) -> list[str]:
    """"take the last 6 seconds out" → "take out the last 6 seconds", "turn the music down" → "turn down the
    music": a verb's particle is read next to it (within five words, in the same clause)."""
    out = list(tokens)
    for i, word in enumerate(out):
        if word not in PARTICLE_VERBS or i + 1 >= len(out) or out[i + 1] in PARTICLES:
            continue
        for j in range(i + 2, min(len(out), i + 7)):
            if out[j] in CLAUSE_ENDS or out[j].startswith("⟪"):
                break
            ends = out[j + 1:j + 3] in (["the", "start"], ["the", "end"], ["the", "beginning"])  # "1 s off the start"
            if out[j] in PARTICLES and not out[j - 1][:1].isdigit() and not ends:
                out.insert(i + 1, out.pop(j))
                break
    return out


def prepare(text: str, *, correct: bool = True, limit: int = 100_000) -> list[str]:
    """Tokens of an instruction (lower case), corrected (unless not ``correct``), verbs in their base form, with
    number words as digits."""
    tokens = fold(tokenize(text), limit)
    if correct:
        tokens = [base_form(t) for t in correct_tokens(tokens)]
    return particles(numbers.chinese(numbers.english(tokens)))


def lex_tokens(tokens: list[str]) -> Lexed:
    return Lexed(tokens, INDEX.find(tokens))


@lru_cache(maxsize=2048)
def _lex_cached(text: str) -> tuple[tuple[str, ...], tuple[Match, ...]]:
    tokens = prepare(text)
    return tuple(tokens), tuple(INDEX.find(tokens))


def lex(text: str) -> Lexed:
    """``text`` (an instruction in lower case) read into tokens and phrases (short texts are cached)."""
    if len(text) <= 2000:
        tokens, matches = _lex_cached(text)
        return Lexed(list(tokens), list(matches))
    prepared = prepare(text)
    return Lexed(prepared, INDEX.find(prepared))
