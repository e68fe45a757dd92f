"""Where videos go: each platform's names, the frame it wants, and what to tell people about it.

One table for the agent's canvas changes ("make it for TikTok") and its answers ("what size for Shorts?").
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    name: str
    names: str            # phrases, "a | b"
    ratio: str            # the frame the agent makes
    also: tuple[str, ...] = ()  # other frames the platform takes
    advice: str = ""


PLATFORMS: tuple[Platform, ...] = (
    Platform("YouTube Shorts", "youtube shorts | yt shorts | shorts", "9:16",
             advice="vertical 9:16 (1080x1920), up to 3 minutes"),
    Platform("TikTok", "tiktok | tik tok | tiktoks", "9:16",
             advice="vertical 9:16 (1080x1920); videos can run up to 10 minutes, though most that do well are "
                    "under a minute"),
    Platform("Instagram Reels", "reels | reel | instagram reels | ig reels", "9:16",
             advice="vertical 9:16 (1080x1920), up to 3 minutes"),
    Platform("Instagram Stories", "story | stories | instagram story | instagram stories | ig story", "9:16",
             advice="vertical 9:16 (1080x1920), 60 seconds a story"),
    Platform("Snapchat", "snapchat", "9:16", advice="vertical 9:16 (1080x1920)"),
    Platform("Douyin", "抖音 | douyin", "9:16", advice="竖屏 9:16 (1080x1920) — vertical, like TikTok"),
    Platform("Kuaishou", "快手 | kuaishou", "9:16", advice="竖屏 9:16 (1080x1920) — vertical"),
    Platform("Xiaohongshu", "小红书 | xiaohongshu | rednote | red note", "3:4", ("9:16",),
             advice="3:4 (1080x1440) is the usual 小红书 frame; 9:16 (1080x1920) full-screen also works"),
    Platform("Instagram feed", "instagram feed | instagram post | ig feed | ig post | instagram | insta | ig",
             "4:5", ("1:1",), advice="4:5 portrait (1080x1350) fills the most of the feed; 1:1 (1080x1080) works "
                                      "too"),
    Platform("Facebook feed", "facebook | fb", "4:5", ("1:1", "16:9"),
             advice="4:5 (1080x1350) or 1:1 (1080x1080) in the feed"),
    Platform("LinkedIn", "linkedin | linked in", "1:1", ("4:5", "16:9"),
             advice="1:1 square (1080x1080) or 4:5 (1080x1350) do best in the feed; 16:9 works for longer videos"),
    Platform("X", "twitter | x twitter | x/twitter", "16:9", ("1:1",),
             advice="16:9 (1920x1080) or 1:1 (1080x1080)"),
    Platform("Pinterest", "pinterest", "2:3", ("9:16",), advice="2:3 (1080x1620) pins; 9:16 also works"),
    Platform("YouTube", "youtube | yt | youtube video", "16:9",
             advice="16:9 landscape, 1920x1080 (1080p) or 3840x2160 (4K)"),
)
BY_NAME: Mapping[str, Platform] = {p.name: p for p in PLATFORMS}


def entries() -> list[tuple[str, str, str]]:
    """Phrase-index entries: ("platform", name, phrases)."""
    return [("platform", p.name, p.names) for p in PLATFORMS]
