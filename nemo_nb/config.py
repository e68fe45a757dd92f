"""Settings shared by the client and the backend: skill profiles (attribution headers), paths, env."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nemo_nb._version import __version__

DEFAULT_API_URL = "https://mega-api-prod.nemovideo.ai"
DEFAULT_WEB_URL = "https://nemovideo.com"
APP_NAME = "nemo-nb"


@dataclass(frozen=True)
class SkillProfile:
    """Who the requests are attributed to: the three ``X-Skill-*`` headers."""

    name: str
    version: str
    description: str = ""

    def headers(self, platform: str | None = None) -> dict[str, str]:
        return {
            "X-Skill-Source": self.name,
            "X-Skill-Version": self.version,
            "X-Skill-Platform": platform or detect_platform(),
        }


SKILLS: dict[str, SkillProfile] = {
    p.name: p
    for p in (
        SkillProfile("ai-voice-over-generator", "1.0.0", "voiceover for silent videos"),
        SkillProfile("ai-voiceover-for", "1.0.0", "AI voiceover for walkthroughs"),
        SkillProfile("multilingual-video-dubbing", "1.0.0", "dub into several languages"),
        SkillProfile("ai-avatar-video-online", "1.0.0", "talking avatar presenter"),
        SkillProfile("nemo-nb", __version__, "nemo_nb's own default profile"),
    )
}
DEFAULT_SKILL = "nemo-nb"
ATTRIBUTION_HEADERS = ("X-Skill-Source", "X-Skill-Version", "X-Skill-Platform")


def skill_profile(name: str | None = None) -> SkillProfile:
    """The named profile; an unknown name is an error listing the known ones."""
    key = name or DEFAULT_SKILL
    try:
        return SKILLS[key]
    except KeyError:
        raise ValueError(f"unknown skill {key!r}; known skills: {', '.join(SKILLS)}") from None


def detect_platform() -> str:
    """``SKILL_SOURCE`` when set (it holds the platform, despite its name), else ``unknown``."""
    return os.environ.get("SKILL_SOURCE", "").strip() or "unknown"


def config_dir() -> Path:
    """``~/.config/nemovideo`` (docs/protocol.md), overridable with ``NEMO_CONFIG_DIR``."""
    override = os.environ.get("NEMO_CONFIG_DIR")
    return Path(override) if override else Path.home() / ".config" / "nemovideo"


def read_json_object(path: Path) -> dict[str, Any]:
    """A JSON object kept in a file (a cache, a list of pending work); ``{}`` when missing or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def default_data_dir() -> Path:
    """Where the embedded backend keeps its state: ``NEMO_DATA_DIR`` or the platform's user data dir."""
    override = os.environ.get("NEMO_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False))
