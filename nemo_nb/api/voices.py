"""The embedded backend's voices (``GET /api/voices``, ours): which voice speaks each language and gender,
and whether it is a neural voice or the robotic fallback synth (espeak-ng)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class VoiceChoice:
    """The voice the agent speaks ``language`` in for ``gender``, as its replies name it."""

    language: str       # "en"
    language_name: str  # "English"
    gender: str         # "male" | "female"
    voice: str          # the voice's id
    label: str          # "Joe (neural)" / "espeak-ng (robotic fallback synth)"
    neural: bool

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> VoiceChoice:
        return cls(str(data.get("language", "")), str(data.get("language_name", "")), str(data.get("gender", "")),
                   str(data.get("voice", "")), str(data.get("label", "")), bool(data.get("neural")))


@dataclass
class Voices:
    """``Nemo.voices()``: ``choices`` (one per language and gender), every voice's row (``voices``, dicts), the
    voice files that could not be used (``problems``) and the folders searched (``folders``)."""

    choices: list[VoiceChoice]
    voices: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Voices:
        def strings(key: str) -> list[str]:
            return [str(x) for x in data.get(key) or [] if isinstance(x, (str, int, float))]

        return cls([VoiceChoice.from_data(c) for c in data.get("choices") or [] if isinstance(c, dict)],
                   [v for v in data.get("voices") or [] if isinstance(v, dict)], strings("problems"),
                   strings("folders"))

    @property
    def neural(self) -> list[VoiceChoice]:
        """The choices spoken by a neural voice."""
        return [c for c in self.choices if c.neural]

    @property
    def df(self) -> Any:
        """One row per language and gender: language, gender, voice, kind (pandas is imported only now)."""
        import pandas as pd

        return pd.DataFrame([{"language": c.language_name, "gender": c.gender, "voice": c.label,
                              "kind": "neural" if c.neural else "robotic fallback synth (espeak-ng)",
                              "code": c.language, "id": c.voice} for c in self.choices],
                            columns=["language", "gender", "voice", "kind", "code", "id"])

    def __str__(self) -> str:
        width = max((len(c.language_name) for c in self.choices), default=8)
        lines = [f"{c.language_name:<{width}}  {c.gender:<6}  {c.label}" for c in self.choices]
        lines += [f"not used: {p}" for p in self.problems]
        return "\n".join(lines) or "no voices (pip install 'nemo-nb[voice]')"

    def __repr__(self) -> str:
        return f"Voices({len(self.neural)} of {len(self.choices)} language/gender pairs neural)"
