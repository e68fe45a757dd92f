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
    Language("en", "eng", "English", "English", ("英语", "英文", "inglés", "anglais", "englisch")),
    Language("es", "spa", "Spanish", "español", ("espanol", "castellano", "西班牙语", "西语")),
    Language("fr", "fre", "French", "français", ("francais", "法语", "法文")),
    Language("de", "ger", "German", "Deutsch", ("德语", "德文")),
    Language("it", "ita", "Italian", "italiano", ("意大利语", "意语")),
    Language("pt", "por", "Portuguese", "português", ("portugues", "葡萄牙语", "葡语")),
    Language("zh", "chi", "Chinese", "中文", ("mandarin", "汉语", "普通话", "国语", "华语")),
    Language("ja", "jpn", "Japanese", "日本語", ("日语", "日文", "nihongo")),
    Language("ko", "kor", "Korean", "한국어", ("韩语", "韩文")),
    Language("hi", "hin", "Hindi", "हिन्दी", ("印地语",)),
    Language("ru", "rus", "Russian", "русский", ("俄语", "俄文")),
    Language("ar", "ara", "Arabic", "العربية", ("阿拉伯语",)),
    Language("nl", "dut", "Dutch", "Nederlands", ("荷兰语",)),
    Language("pl", "pol", "Polish", "polski", ("波兰语",)),
    Language("tr", "tur", "Turkish", "Türkçe", ("turkce", "土耳其语")),
    Language("sv", "swe", "Swedish", "svenska", ("瑞典语",)),
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
