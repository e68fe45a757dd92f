"""Step 2: typos corrected against the agent's own vocabulary, with rapidfuzz.

Only instruction words are corrected (never quoted or introduced text, never file names). A word is
corrected when it is not in the vocabulary, is not a common English word (``known_words.txt``: the
English words close to the vocabulary, e.g. "made", "tile", "lover", which must stay as typed), and
one vocabulary word is one edit away (a swap of two letters is one edit), or two for words of eight letters or
more whose letters mostly agree.
"""
from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files

from rapidfuzz import process
from rapidfuzz.distance import OSA, Indel

# Words of instructions that are in no lexicon phrase but are worth correcting.
COMMAND_WORDS = ("please", "timeline", "seconds", "second", "minutes", "minute", "percent", "first", "last",
                 "final", "background", "colour", "color", "bottom", "middle", "volume", "quieter", "louder",
                 "make", "change", "remove", "burn", "version", "between", "until", "total", "long", "only",
                 "english", "spanish", "french", "german", "italian", "portuguese", "chinese", "japanese",
                 "korean", "russian", "dutch", "arabic", "hindi", "polish", "turkish", "swedish", "translation",
                 "script", "upload", "uploaded", "export", "credits", "square", "vertical", "landscape", "portrait",
                 "female", "male", "voice", "subtitles", "captions", "music", "title", "trim", "undo", "mute",
                 "original", "audio", "sound", "yellow", "purple", "orange", "gradient", "presenter", "professional",
                 "friendly", "casual", "modern", "style", "avatar", "transcript", "subtitle", "caption")


class Speller:
    """Corrects words to the nearest vocabulary word (see the module docstring)."""

    def __init__(self, vocabulary: Iterable[str], known: Iterable[str], preferred: Iterable[str] = COMMAND_WORDS):
        self.vocabulary = frozenset(w for w in vocabulary if w.isalpha() and w.isascii())
        self.preferred = frozenset(preferred)
        self.choices = sorted(w for w in self.vocabulary if len(w) >= 3)
        self.known = frozenset(known) - self.vocabulary
        self.correct = lru_cache(maxsize=16384)(self._correct)

    def _correct(self, word: str) -> str:
        if len(word) < 3 or not word.isascii() or not word.isalpha() or word in self.vocabulary or word in self.known:
            return word
        limit = 1 if len(word) < 8 else 2
        found = process.extract(word, self.choices, scorer=OSA.distance, score_cutoff=limit, limit=8)
        if not found:
            return word
        best = min(distance for _, distance, _ in found)
        tied = [choice for choice, distance, _ in found if distance == best]
        if best == 2:  # two edits: only when the letters mostly agree ("verticle", not "gradient" → grading)
            tied = [w for w in tied if Indel.normalized_similarity(word, w) >= 0.85]
        if len(word) == 3:  # "mak", "mke": only to a longer word that keeps the first letter
            tied = [w for w in tied if len(w) == 4 and w[0] == word[0]]
        if not tied:
            return word
        # "tittle": title (same first letter) rather than little; "lst": last (a command word) rather than lost;
        # "lowr": lower rather than low
        return max(tied, key=lambda w: (w[0] == word[0], w in self.preferred, len(w), w))


def known_words() -> frozenset[str]:
    text = files("nemo_nb.local.understanding").joinpath("known_words.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))
