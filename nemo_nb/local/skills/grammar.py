"""Small grammar for replies: "a"/"an" by sound, plurals, and "a, b and c" lists."""
from __future__ import annotations

from collections.abc import Iterable

_VOWEL_SOUND_LETTERS = set("aefhilmnorsx")  # letters whose names start with a vowel sound: "an SRT", "an MP4"
_AN_EXCEPTIONS = ("hour", "honest", "honou", "heir", "8", "11", "18", "80", "800")
_A_EXCEPTIONS = ("uni", "use", "usu", "eu", "one", "once", "ubiq", "ukr", "uti", "ura")


def article(phrase: str) -> str:
    """``"a"`` or ``"an"`` for the phrase that follows it: an English voiceover, a Spanish one, an MP4, an hour."""
    word = phrase.strip().split(" ", 1)[0]
    lowered = word.lower()
    if not lowered:
        return "a"
    if lowered.startswith(_AN_EXCEPTIONS):
        return "an"
    if lowered.startswith(_A_EXCEPTIONS) or lowered[0].isdigit():
        return "a"
    if len(word) > 1 and word.upper() == word and word[0].isalpha():  # an acronym, said letter by letter: an MP4
        return "an" if lowered[0] in _VOWEL_SOUND_LETTERS else "a"
    return "an" if lowered[0] in "aeiou" else "a"


def with_article(phrase: str) -> str:
    return f"{article(phrase)} {phrase}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``plural(1, "line")`` → ``1 line``; ``plural(3, "sentence")`` → ``3 sentences``."""
    return f"{count} {word if count == 1 else many or word + 's'}"


def listing(items: Iterable[str], conjunction: str = "and") -> str:
    """``a``; ``a and b``; ``a, b and c``."""
    words = [item for item in items if item]
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def sentence(text: str) -> str:
    """The text with a capital first letter and a full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text[-1] in ".!?…" else text + "."
