"""Text helpers the skills share: sentences of a script, the language its characters give away, times and
numbers as replies show them."""
from __future__ import annotations

import re

_LATIN_HINTS = {  # a few of each language's commonest words, for a script in Latin letters
    "es": {"el", "la", "los", "las", "y", "es", "en", "de", "que", "hola", "para", "con", "una", "todos", "esta"},
    "fr": {"le", "la", "les", "et", "est", "des", "une", "pour", "dans", "vous", "nous", "bonjour", "avec", "à"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "ein", "eine", "mit", "wir", "sie", "hallo", "zu", "für"},
    "it": {"il", "lo", "gli", "e", "è", "di", "che", "per", "una", "con", "ciao", "nel", "della", "sono"},
    "pt": {"o", "os", "as", "e", "é", "de", "que", "para", "uma", "com", "olá", "não", "você", "em"},
    "nl": {"de", "het", "een", "en", "is", "van", "niet", "wij", "welkom", "bij", "onze", "met", "voor"},
    "en": {"the", "and", "is", "to", "of", "a", "you", "we", "for", "with", "this", "our", "your", "welcome"},
}


def sentences(text: str) -> list[str]:
    """A script split into sentences (keeping their punctuation)."""
    text = re.sub(r"\s+", " ", text).strip()
    parts = re.split(r"(?<=[.!?。！？])\s+|(?<=[。！？])", text)
    return [p.strip() for p in parts if p and p.strip()]


def script_language(text: str) -> str | None:
    """The language a script's characters give away (kana, hangul, han, Cyrillic, Arabic, Devanagari), or, for
    Latin letters, the language whose common words it uses most (None when unsure)."""
    if re.search(r"[\u3040-\u30ff]", text):
        return "ja"
    if re.search(r"[\uac00-\ud7af]", text):
        return "ko"
    if re.search(r"[\u3400-\u4dbf\u4e00-\u9fff]", text):
        return "zh"
    if re.search(r"[\u0400-\u04ff]", text):
        return "ru"
    if re.search(r"[\u0600-\u06ff]", text):
        return "ar"
    if re.search(r"[\u0900-\u097f]", text):
        return "hi"
    words = re.findall(r"[^\W\d_]+", text.lower())[:200]
    scores = {code: sum(w in hints for w in words) for code, hints in _LATIN_HINTS.items()}
    best = max(scores, key=lambda code: scores[code])
    ranked = sorted(scores.values(), reverse=True)
    return best if ranked[0] >= 2 and ranked[0] >= 2 * ranked[1] else None


def seconds_text(ms: int) -> str:
    """12500 → ``12.5s``; 12000 → ``12s``."""
    value = ms / 1000
    return f"{value:.0f}s" if abs(value - round(value)) < 0.05 else f"{value:.1f}s"


def clock_text(ms: int) -> str:
    """95000 → ``1:35``."""
    total = round(ms / 1000)
    return f"{total // 60}:{total % 60:02d}"


def shorten(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters, with an ellipsis when cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"
