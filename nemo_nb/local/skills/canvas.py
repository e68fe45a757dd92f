"""Aspect ratio: 16:9, 9:16 or 1:1; the picture over a blurred copy of itself (the default), with bars, or
cropped to fill the frame."""
from __future__ import annotations

import re
from typing import Any

from nemo_nb.draft import CANVAS_PRESETS
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Message, Plan, TurnContext, say, tool
from nemo_nb.local.skills.placement import ensure_video

RATIO_WORDS = {
    "9:16": r"\b9\s*[:x/]\s*16\b|\bvertical\b|\bportrait\b|\btiktok\b|\breels?\b|\bshorts\b|\bstor(y|ies)\b|竖屏",
    "1:1": r"\b1\s*[:x/]\s*1\b|\bsquare\b|\binstagram (post|feed)\b|方形",
    "16:9": r"\b16\s*[:x/]\s*9\b|\blandscape\b|\bhorizontal\b|\bwidescreen\b|\byoutube\b|横屏",
}
FILL = r"\b(fill|crop|cropped|zoom|full[- ]?screen)\b|裁切"
FIT = r"\b(fit|pad|padded|letterbox(ed)?|pillarbox(ed)?|bars|whole frame)\b"


def ratio_of(message: Message) -> str | None:
    for ratio, pattern in RATIO_WORDS.items():
        if re.search(pattern, message.instruction, re.IGNORECASE):
            return ratio
    return None


def canvas_plan(message: Message, ctx: TurnContext) -> Plan | None:
    ratio = ratio_of(message)
    if ratio is None or not (ctx.draft.is_renderable or ctx.uploaded("video")):
        return None
    fit = "fill" if message.says(FILL) else "fit" if message.says(FIT) else "blur"
    width, height = CANVAS_PRESETS[ratio]

    async def run(c: TurnContext) -> Any:
        draft, placed = ensure_video(c)
        before = draft.canvas or {}

        def work() -> dict[str, Any]:
            draft.set_canvas(width, height, fit)
            c.set_draft(draft)
            return {"width": width, "height": height, "fit": fit}

        async for ev in tool("set_aspect_ratio", {"ratio": ratio, "fit": fit}, work):
            yield ev
        how = {"fill": "filled: the picture is cropped to cover the frame, the crop placed on what it shows",
               "fit": "fitted: the whole picture shows, with black bars where the shapes differ",
               "blur": "the whole picture shows over a blurred copy of itself, with no black bars"}[fit]
        was = f" (was {before.get('w')}x{before.get('h')})" if before else ""
        lead = f"{placed} " if placed else ""
        other = ("say \"fill\" to crop instead" if fit != "fill"
                 else "say \"fit\" to keep the whole picture, with bars")
        async for ev in say(f"{lead}The frame is now {ratio}, {width}x{height}{was}, {how}; {other}. "
                            "Open the Export panel when you are ready."):
            yield ev

    return Plan("aspect_ratio", COSTS["aspect_ratio"], run)
