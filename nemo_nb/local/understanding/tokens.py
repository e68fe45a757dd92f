"""Tokens and the phrases they form.

``tokenize`` splits an instruction (already lower case, see ``normalise.instruction_form``) into words,
numbers (``1.5``, ``0:10``, ``00:01:05``, ``9:16``), hex colours, file names, payload markers, single
Chinese characters and single marks, with one linear regular expression. ``PhraseIndex`` finds the
lexicon's phrases in a token list, longest first, left to right: every token is looked at once.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

FILE_EXTENSIONS = ("mp4|mov|m4v|avi|webm|mkv|mp3|wav|m4a|aac|ogg|flac|txt|md|srt|vtt|pdf|docx|png|jpe?g|gif|webp")
_TOKEN = re.compile(
    r"⟪\d{1,5}⟫"
    r"|#[0-9a-f]{6}(?![0-9a-z])|#[0-9a-f]{3}(?![0-9a-z])"
    rf"|[a-z0-9][a-z0-9_-]{{0,80}}\.(?:{FILE_EXTENSIONS})(?![a-z0-9])"
    r"|\d{1,9}(?:[.:]\d{1,9}){0,3}"
    r"|[\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af]"  # Chinese, Japanese, Korean: a token a character
    r"|[^\W\d_\u3400-\u9fff\uf900-\ufaff\u3040-\u30ff\uac00-\ud7af][^\W\d_\u3400-\u9fff\u3040-\u30ff\uac00-\ud7af"
    r"\u0900-\u097f]*(?:'[^\W\d_]+)?[\u0900-\u097f]*"  # words in any other letters (español, русский)
    r"|[\u0900-\u097f]+"
    r"|[^\s\w]|_",
)
_FILE = re.compile(rf"[a-z0-9][a-z0-9_-]*\.(?:{FILE_EXTENSIONS})$")
CONTRACTIONS = frozenset({"it's", "that's", "what's", "let's", "here's", "there's", "he's", "she's", "who's",
                          "where's", "how's"})


def tokenize(text: str) -> list[str]:
    """The tokens of ``text``; a possessive ``clip's`` becomes ``clip``, ``'s``."""
    out: list[str] = []
    for token in _TOKEN.findall(text):
        if token.endswith("'s") and token not in CONTRACTIONS and len(token) > 2:
            out += [token[:-2], "'s"]
        else:
            out.append(token)
    return out


def is_file(token: str) -> bool:
    return bool(_FILE.match(token))


def phrase_tokens(phrase: str) -> tuple[str, ...]:
    return tuple(tokenize(phrase.strip().lower()))


@dataclass(frozen=True)
class Match:
    """Tokens ``start:end`` say ``meanings``: (category, value) pairs."""

    start: int
    end: int
    meanings: tuple[tuple[str, str], ...]

    def has(self, category: str, value: str | None = None) -> bool:
        return any(c == category and (value is None or v == value) for c, v in self.meanings)

    def value(self, category: str) -> str | None:
        return next((v for c, v in self.meanings if c == category), None)


class PhraseIndex:
    """Phrases by first token; ``find`` returns the longest phrase at each place."""

    def __init__(self, entries: Iterable[tuple[str, str, str]]):
        table: dict[tuple[str, ...], list[tuple[str, str]]] = {}
        for category, value, phrases in entries:
            for phrase in phrases.split("|"):
                words = phrase_tokens(phrase)
                if words and (category, value) not in table.setdefault(words, []):
                    table[words].append((category, value))
        self.by_first: dict[str, list[tuple[tuple[str, ...], tuple[tuple[str, str], ...]]]] = {}
        for words, meanings in table.items():
            self.by_first.setdefault(words[0], []).append((words, tuple(meanings)))
        for options in self.by_first.values():
            options.sort(key=lambda item: -len(item[0]))
        self.words = frozenset(w for words in table for w in words if w.isalpha())

    def find(self, tokens: list[str]) -> list[Match]:
        found: list[Match] = []
        i = 0
        while i < len(tokens):
            for words, meanings in self.by_first.get(tokens[i], ()):
                if tuple(tokens[i:i + len(words)]) == words:
                    found.append(Match(i, i + len(words), meanings))
                    i += len(words)
                    break
            else:
                i += 1
        return found


def entries(category: str, table: Mapping[str, str]) -> list[tuple[str, str, str]]:
    """``{value: "phrase | phrase"}`` as index entries of one category."""
    return [(category, value, phrases) for value, phrases in table.items()]
