"""The one language table: codes, MP4 tags, names and own names, shared by the agent, the voices and the renderer.

Drafts name a language by its ISO 639-1 code (``lang`` on an audio segment, ``m.languages``), optionally
with a region (``"pt-BR"``). MP4 files tag audio tracks with the ISO 639-2/B code. The agent understands
a language named in a message by its English name, its own name or another common name (the languages
with an own name below); the other rows are known to the renderer for tagging and to replies for naming.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

LANGUAGE_CODE = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?")


@dataclass(frozen=True)
class Language:
    """One language: its code, its MP4 tag, its English name and the names the agent understands."""

    code: str  # ISO 639-1
    tag: str  # ISO 639-2/B
    name: str  # in English
    own: str = ""  # its own name; set for the languages the agent understands in messages
    other: tuple[str, ...] = ()  # other names the agent understands ("mandarin", Chinese names)

    @property
    def words(self) -> tuple[str, ...]:
        """The names the agent understands in a message, in lower case (none without an own name)."""
        if not self.own:
            return ()
        return tuple(dict.fromkeys(word.lower() for word in (self.name, self.own, *self.other)))


_UNDERSTOOD = (
    Language("en", "eng", "English", "English", ("英语", "英文")),
    Language("es", "spa", "Spanish", "español", ("西班牙语",)),
    Language("fr", "fre", "French", "français", ("法语",)),
    Language("de", "ger", "German", "Deutsch", ("德语",)),
    Language("it", "ita", "Italian", "italiano", ("意大利语",)),
    Language("pt", "por", "Portuguese", "português", ("葡萄牙语",)),
    Language("zh", "chi", "Chinese", "中文", ("mandarin", "汉语")),
    Language("ja", "jpn", "Japanese", "日本語", ("日语",)),
    Language("ko", "kor", "Korean", "한국어", ("韩语",)),
    Language("hi", "hin", "Hindi", "हिन्दी"),
    Language("ru", "rus", "Russian", "русский", ("俄语",)),
    Language("ar", "ara", "Arabic", "العربية"),
    Language("nl", "dut", "Dutch", "Nederlands"),
    Language("pl", "pol", "Polish", "polski"),
    Language("tr", "tur", "Turkish", "Türkçe"),
    Language("sv", "swe", "Swedish", "svenska"),
)
_TAGGED = {  # code: (ISO 639-2/B, English name)
    "bg": ("bul", "Bulgarian"), "bn": ("ben", "Bengali"), "ca": ("cat", "Catalan"), "cs": ("cze", "Czech"),
    "cy": ("wel", "Welsh"), "da": ("dan", "Danish"), "el": ("gre", "Greek"), "et": ("est", "Estonian"),
    "eu": ("baq", "Basque"), "fa": ("per", "Persian"), "fi": ("fin", "Finnish"), "ga": ("gle", "Irish"),
    "gl": ("glg", "Galician"), "gu": ("guj", "Gujarati"), "he": ("heb", "Hebrew"), "hr": ("hrv", "Croatian"),
    "hu": ("hun", "Hungarian"), "hy": ("arm", "Armenian"), "id": ("ind", "Indonesian"), "is": ("ice", "Icelandic"),
    "ka": ("geo", "Georgian"), "kn": ("kan", "Kannada"), "lt": ("lit", "Lithuanian"), "lv": ("lav", "Latvian"),
    "mk": ("mac", "Macedonian"), "ml": ("mal", "Malayalam"), "mr": ("mar", "Marathi"), "ms": ("may", "Malay"),
    "nb": ("nob", "Norwegian Bokmål"), "no": ("nor", "Norwegian"), "pa": ("pan", "Punjabi"),
    "ro": ("rum", "Romanian"), "sk": ("slo", "Slovak"), "sl": ("slv", "Slovenian"), "sq": ("alb", "Albanian"),
    "sr": ("srp", "Serbian"), "sw": ("swa", "Swahili"), "ta": ("tam", "Tamil"), "te": ("tel", "Telugu"),
    "th": ("tha", "Thai"), "tl": ("tgl", "Tagalog"), "uk": ("ukr", "Ukrainian"), "ur": ("urd", "Urdu"),
    "vi": ("vie", "Vietnamese"),
}
LANGUAGES: Mapping[str, Language] = {
    **{language.code: language for language in _UNDERSTOOD},
    **{code: Language(code, tag, name) for code, (tag, name) in _TAGGED.items()},
}
# Every name the agent understands in a message → its code.
NAMED: Mapping[str, str] = {word: language.code for language in LANGUAGES.values() for word in language.words}
UNDERSTOOD: tuple[str, ...] = tuple(language.code for language in _UNDERSTOOD)


def language_name(code: str) -> str:
    """``"es"`` → ``"Spanish"``; a code not in the table is returned as it is."""
    language = LANGUAGES.get(code)
    return code if language is None else language.name
