"""Piper voices the user installed: found in voice folders, described honestly.

A voice is a Piper model ``NAME.onnx`` with its config ``NAME.onnx.json`` next to it, in a folder named by
``NEMO_VOICES_DIR`` (several joined with ``os.pathsep``) or in ``voices/`` under the embedded backend's data
directory (``data_dir_bound``; a context variable, so two backends in one process each see their own).

What a voice is for comes from its config: the language from ``language.code`` (``en_US`` → ``en``, else the
first part of ``espeak.voice``), its name from ``dataset`` (else the file name). Gender, which Piper configs
do not record, is read in this order: a ``"gender"`` key in the config (``"male"``/``"female"``), then the word
``female`` or ``male`` in the file name or the dataset name (``en_GB-southern_english_female-low``,
``es_ES-maria-medium-female.onnx``); otherwise it is ``unknown`` and the voice speaks only when no gender is
asked. Files that cannot be used are reported as ``problems`` (never raised): `%nemo voices` shows them.
"""
from __future__ import annotations

import contextvars
import json
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VOICES_ENV = "NEMO_VOICES_DIR"
FOLDER_NAME = "voices"
GENDERS = ("male", "female")
UNKNOWN = "unknown"
MAX_FILES = 500               # .onnx files looked at per folder
MAX_CONFIG_BYTES = 2 << 20    # a Piper config is a few kB; anything far bigger is not one
_REQUIRED = ("num_symbols", "num_speakers", "phoneme_id_map")
_WORDS = re.compile(r"[^a-z]+")
_DATA_DIR: contextvars.ContextVar[Path | None] = contextvars.ContextVar("nemo_voices_data_dir", default=None)
_PARSED: dict[tuple[str, int, int], InstalledVoice | str] = {}  # config path, mtime, size → voice or problem


@dataclass(frozen=True)
class InstalledVoice:
    """A Piper voice found in a voice folder."""

    id: str          # the file name without ``.onnx``, lower case
    name: str        # for people: "Amy"
    language: str    # a lower-case base code: "en"
    gender: str      # "male" | "female" | "unknown"
    gender_from: str  # how the gender was known: "config", "file name", "dataset name", or "" (unknown)
    model: Path
    config: Path


@dataclass(frozen=True)
class Found:
    """What the voice folders hold: usable voices, and the files that could not be used (with why)."""

    voices: tuple[InstalledVoice, ...]
    problems: tuple[str, ...]
    folders: tuple[Path, ...]


@contextmanager
def data_dir_bound(data_dir: Path | None) -> Iterator[None]:
    """Inside the block, and in the tasks and threads started from it, look in ``data_dir/voices`` too."""
    token = _DATA_DIR.set(data_dir)
    try:
        yield
    finally:
        _DATA_DIR.reset(token)


def folders() -> tuple[Path, ...]:
    """The voice folders of this context: ``NEMO_VOICES_DIR``'s, then the bound data directory's."""
    named = [Path(p).expanduser() for p in os.environ.get(VOICES_ENV, "").split(os.pathsep) if p.strip()]
    data_dir = _DATA_DIR.get()
    if data_dir is not None:
        named.append(Path(data_dir) / FOLDER_NAME)
    return tuple(dict.fromkeys(named))


def discover(where: tuple[Path, ...] | None = None) -> Found:
    """Every usable voice in ``where`` (default ``folders()``); the first of two with one id wins."""
    where = folders() if where is None else where
    found: dict[str, InstalledVoice] = {}
    problems: list[str] = []
    for folder in where:
        if not folder.is_dir():
            continue
        try:
            models = sorted(p for p in folder.iterdir() if p.name.lower().endswith(".onnx"))[:MAX_FILES]
        except OSError as exc:
            problems.append(f"{folder}: cannot be read ({type(exc).__name__})")
            continue
        for model in models:
            voice = _read(model)
            if isinstance(voice, str):
                problems.append(f"{model.name}: {voice}")
            elif voice.id in found:
                problems.append(f"{model.name}: the id {voice.id!r} is taken by {found[voice.id].model}")
            else:
                found[voice.id] = voice
    return Found(tuple(found.values()), tuple(problems), where)


def _read(model: Path) -> InstalledVoice | str:
    """The voice of ``model`` (checked), or why it cannot be used."""
    config = model.with_name(model.name + ".json")
    try:
        if not model.is_file():
            return "not a file"
        stat = config.stat()
    except OSError:
        return f"no {config.name} next to it (Piper voices come as .onnx + .onnx.json)"
    key = (str(config), stat.st_mtime_ns, stat.st_size)
    if key not in _PARSED:
        if len(_PARSED) >= MAX_FILES:
            _PARSED.clear()
        _PARSED[key] = _parse(model, config, stat.st_size)
    return _PARSED[key]


def _parse(model: Path, config: Path, size: int) -> InstalledVoice | str:
    if size > MAX_CONFIG_BYTES:
        return f"{config.name} is {size} bytes: not a Piper config"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"{config.name} is not readable JSON"
    if not isinstance(data, dict) or any(k not in data for k in _REQUIRED):
        return f"{config.name} is not a Piper voice config (no {', '.join(_REQUIRED)})"
    espeak = _text(_get(data, "espeak", "voice"))
    language = _language(_text(_get(data, "language", "code")) or espeak)
    if not language or not espeak:
        return f"{config.name} names no language (language.code or espeak.voice)"
    stem = model.name[: -len(".onnx")]
    dataset = _text(data.get("dataset"))
    gender, source = _gender(data, stem, dataset)
    if gender is None:
        return f"{config.name}: \"gender\" must be \"male\" or \"female\""
    name = (dataset or stem).replace("_", " ").strip().title()[:60] or stem
    return InstalledVoice(stem.lower(), name, language, gender, source, model, config)


def _get(data: dict[str, Any], *keys: str) -> Any:
    value: Any = data
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    return value.strip()[:40] if isinstance(value, str) else ""


def _language(code: str) -> str:
    """``en_US`` / ``es-419`` / ``cmn`` → ``en`` / ``es`` / ``cmn`` (lower case letters only), or ``""``."""
    base = re.split(r"[-_]", code.strip().lower())[0]
    return base if re.fullmatch(r"[a-z]{2,3}", base) else ""


def _gender(data: dict[str, Any], stem: str, dataset: str) -> tuple[str | None, str]:
    """(gender, how it was known); ``(None, …)`` for a ``"gender"`` key with another value."""
    declared = data.get("gender")
    if declared is not None:
        value = declared.strip().lower() if isinstance(declared, str) else ""
        return (value, "config") if value in GENDERS else (None, "config")
    for text, source in ((stem, "file name"), (dataset, "dataset name")):
        words = set(_WORDS.split(text.lower()))
        for gender in ("female", "male"):
            if gender in words:
                return gender, source
    return UNKNOWN, ""


def describe_voice(voice: Any) -> str:
    """What a reply calls a voice: ``"Joe (neural)"``, or ``"espeak-ng (robotic fallback synth)"``."""
    if getattr(voice, "engine", "") == "piper":
        return f"{getattr(voice, 'name', '') or str(voice.id).title()} (neural)"
    return "espeak-ng (robotic fallback synth)"
