"""``GET /api/voices`` (ours): which voice speaks each language and gender, and whether it is neural.

The answer's ``data``: ``choices`` (one row per language with a voice and per gender: the voice the agent
uses, as the reply names it), ``voices`` (every voice, the user's installed Piper voices first),
``problems`` (voice files that cannot be used, and why) and ``folders`` (where voices are looked for).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from nemo_nb.local.media import tts, voices
from nemo_nb.local.media.voices import describe_voice

FALLBACK = "robotic fallback synth (espeak-ng)"


def voice_list(data_dir: Path) -> dict[str, Any]:
    """What ``GET /api/voices`` answers for a backend over ``data_dir``."""
    with voices.data_dir_bound(data_dir):
        found = voices.discover()
        catalogue = tts.voices()
        picked = [_choice(language, gender) for language in tts.LANGUAGES for gender in voices.GENDERS]
    choices = [c for c in picked if c is not None]
    usable = {v.id for v in catalogue}
    problems = list(found.problems) + [
        f"{v.model.name}: no voice support for language {v.language!r} here (languages: {', '.join(tts.LANGUAGES)})"
        for v in found.voices if v.id not in usable]
    return {
        "choices": choices,
        "voices": [_row(v, [f"{c['language']} {c['gender']}" for c in choices if c["voice"] == v.id])
                   for v in catalogue],
        "problems": problems,
        "folders": [str(folder) for folder in found.folders],
    }


def _choice(language: str, gender: str) -> dict[str, Any] | None:
    try:
        voice = tts.pick_voice(language, gender)
    except tts.TTSError:  # no engine installed at all
        return None
    return {"language": language, "language_name": tts.LANGUAGES[language], "gender": gender, "voice": voice.id,
            "label": describe_voice(voice), "neural": voice.engine == "piper"}


def _row(voice: tts.Voice, used_for: list[str]) -> dict[str, Any]:
    neural = voice.engine == "piper"
    return {
        "id": voice.id, "name": voice.name or voice.id, "language": voice.language,
        "language_name": tts.LANGUAGES.get(voice.language, voice.language), "gender": voice.gender,
        "engine": voice.engine, "neural": neural, "kind": "neural" if neural else FALLBACK,
        "label": describe_voice(voice),
        "source": "installed" if voice.model else "bundled" if neural else "espeak-ng",
        "file": Path(voice.model).name if voice.model else "", "used_for": used_for,
    }
