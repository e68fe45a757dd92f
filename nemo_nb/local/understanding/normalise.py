"""Step 1: one canonical form of a message, so later steps see one spelling of each mark.

Every quote mark becomes ``"`` or ``'``, every dash ``-``, a full-width colon ``:``, runs of spaces one space,
line breaks ``\\n``. Case and characters are kept: a script or title is used as typed. ``instruction_form``
then reads the instruction alone (never the quoted or introduced text): Unicode NFKC (full-width letters,
digits and punctuation become ASCII: ``９：１６`` → ``9:16``), lower case, the emoji that say something as words
(✂ cut, 🔇 mute, 🎵 music, 📱 vertical), and without what carries no instruction: other emoji, markdown
emphasis, web addresses, list numbers.
"""
from __future__ import annotations

import re
import unicodedata

MAX_CHARS = 20_000
MARKER = re.compile(r"⟪(\d{1,5})⟫")  # a payload's place in the instruction (see ``payload``)

_QUOTES = str.maketrans({
    "“": '"', "”": '"', "„": '"', "‟": '"', "«": '"', "»": '"', "「": '"', "」": '"', "『": '"', "』": '"',
    "〝": '"', "〞": '"', "″": '"', "‘": "'", "’": "'", "‚": "'", "‛": "'", "`": "'", "´": "'", "′": "'",
    "–": "-", "—": "-", "―": "-", "−": "-", "‐": "-", "‑": "-", "⁓": "~", "〜": "~",
    "⟪": "(", "⟫": ")",  # reserved for payload markers
    "：": ":", "＂": '"', "＇": "'", "\u3000": " ", "\u00a0": " ", "－": "-", "﹣": "-",
})
_SPACES = re.compile(r"[^\S\n]+")
_LINES = re.compile(r" ?\n[\s]*")
# control and format characters (zero-width joiners, variation selectors, bidi marks), and emoji
_INVISIBLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufe00-\ufe0f\ufeff]")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\u2190-\u21ff\u2300-\u23ff\u25a0-\u25ff]")
_WRAPPED = re.compile(r"(?<=[^\s.!?:;。！？：；,，])\n(?![ \t]*(?:\d{1,2}[.)]|[-*•]\s))")
_URL = re.compile(r"\bhttps?://\S{1,2000}|\bwww\.\S{1,2000}", re.IGNORECASE)
_EMPHASIS = re.compile(r"\*{1,3}")
# "1." at the start of a line, "2)" after a comma or colon: list numbers, not amounts
_LIST_NUMBER = re.compile(r"(?m)^\d{1,2}[.)] |(?<=[,;:] )\d{1,2}\) ")


def normalise(text: str) -> str:
    """One form of quotes, dashes and colons, single spaces, ``\\n`` line breaks; at most ``MAX_CHARS``.
    (NFKC waits for the instruction: a title or script keeps the characters it was typed with.)"""
    text = text[:MAX_CHARS].translate(_QUOTES)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _LINES.sub("\n", text).strip()
    return _WRAPPED.sub(" ", text)  # a line wrapped mid-sentence goes on; a list item or a new sentence does not


EMOJI_WORDS = str.maketrans({"✂": " cut ", "🔇": " mute ", "🎵": " music ", "🎶": " music ", "📱": " vertical ",
                             "🔊": " loud ", "🔉": " quieter ", "⬇": " down ", "⬆": " up ", "🔼": " up ",
                             "🔽": " down ", "❌": " no ", "🚫": " no "})


def instruction_form(text: str) -> str:
    """The instruction as the parser reads it: lower case, no emoji, no emphasis marks, no web addresses,
    no list numbers ("1)", "2.") — payload markers ``⟪n⟫`` kept."""
    text = _URL.sub(" ", unicodedata.normalize("NFKC", text))
    text = _EMOJI.sub(" ", text.translate(EMOJI_WORDS))  # the emoji that say something become words
    text = _EMPHASIS.sub("", text)
    text = _LIST_NUMBER.sub(" ", text)
    return _SPACES.sub(" ", text.lower()).strip()
