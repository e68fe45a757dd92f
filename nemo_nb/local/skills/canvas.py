"""The frame: an aspect ratio (16:9, 9:16, 1:1, 4:5, 4:3, 21:9, 2:3, …) or a platform's, a size (720p, 1080p,
4K, or exact pixels); a picture of another shape over a blurred copy of itself (the default), with bars, or
cropped to fill the frame."""
from __future__ import annotations

from fractions import Fraction
from typing import Any

from nemo_nb.draft import CANVAS_PRESETS, FieldError
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Plan, TurnContext, refusal, say, tool
from nemo_nb.local.skills.placement import ensure_video, videos_on_timeline
from nemo_nb.local.understanding import Intent

KEPT_SHAPES = {"1:1", "4:5", "5:4", "2:3", "3:2", "21:9", "9:21", "16:9", "9:16"}  # a size keeps these shapes
FITTED = "fitted: the whole picture shows, with black bars where the shapes differ"
BLURRED = "the whole picture shows over a blurred copy of itself, with no black bars"
FILLED = "filled: the picture is cropped to cover the frame, the crop placed on what it shows"


def frame_size(intent: Intent, current: dict[str, Any] | None, first_upload: dict[str, Any] | None
               ) -> tuple[int, int] | None:
    """(width, height) asked for: an exact size, a ratio's preset scaled to a short side, or the current shape at
    a new short side ("4K please")."""
    slots = intent.slots
    if slots.exact_size:
        return slots.exact_size
    if slots.ratio in CANVAS_PRESETS:
        width, height = CANVAS_PRESETS[slots.ratio]
    elif current and current.get("w") and current.get("h"):
        width, height = int(current["w"]), int(current["h"])
    elif first_upload and first_upload.get("width") and first_upload.get("height"):
        width, height = int(first_upload["width"]), int(first_upload["height"])
    else:
        width, height = CANVAS_PRESETS["16:9"]
    if slots.size:
        short = min(width, height)
        if slots.ratio not in CANVAS_PRESETS and _ratio(width, height) not in KEPT_SHAPES:
            portrait = height > width  # "1080p" alone: 1920x1080, or 1080x1920 for a vertical video
            width, height = (9, 16) if portrait else (16, 9)
            short = 9
        scale = slots.size / short
        width, height = round(width * scale / 2) * 2, round(height * scale / 2) * 2
    return width, height


def _ratio(width: int, height: int) -> str:
    ratio = Fraction(width, height).limit_denominator(25)
    return f"{ratio.numerator}:{ratio.denominator}"


def canvas_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    if not (ctx.draft.is_renderable or ctx.uploaded("video") or ctx.uploaded("image")):
        return refusal("Upload a video first; then I can change its frame. Nothing was charged.")
    slots = intent.slots
    current = ctx.draft.canvas
    pictures = ctx.uploaded("video") or ctx.uploaded("image")
    upload = pictures[-1] if pictures else None
    only_fit = slots.fit and not (slots.ratio or slots.size or slots.exact_size)
    size = (int(current["w"]), int(current["h"])) if only_fit and current else frame_size(intent, current, upload)
    if size is None:
        return None
    width, height = size
    fit = slots.fit or str((current or {}).get("fit") or "blur")
    try:
        from nemo_nb.draft import Draft

        Draft().set_canvas(width, height, fit)
    except FieldError:
        return refusal(f"I can't make a {width}x{height} frame: sizes go up to 3840x2160. Nothing was charged.")

    async def run(c: TurnContext) -> Any:
        draft, placed = ensure_video(c)
        before = draft.canvas or {}

        def work() -> dict[str, Any]:
            draft.set_canvas(width, height, fit)
            c.set_draft(draft)
            return {"width": width, "height": height, "fit": fit}

        async for ev in tool("set_aspect_ratio", {"ratio": slots.ratio, "width": width, "height": height, "fit": fit},
                             work):
            yield ev
        how = {"fill": FILLED, "fit": FITTED}.get(fit, BLURRED)
        was = f" (was {before.get('w')}x{before.get('h')})" if before and videos_on_timeline(ctx.draft) else ""
        lead = f"{placed} " if placed else ""
        ratio = f"{slots.ratio}, " if slots.ratio else ""
        platform = f" for {slots.platform}" if slots.platform else ""
        other = ("say \"fill\" to crop instead" if fit != "fill"
                 else "say \"fit\" to keep the whole picture, with bars")
        async for ev in say(f"{lead}The frame is now {ratio}{width}x{height}{platform}{was}, {how}; {other}. "
                            "Open the Export panel when you are ready."):
            yield ev

    return Plan("aspect_ratio", COSTS["aspect_ratio"], run)
