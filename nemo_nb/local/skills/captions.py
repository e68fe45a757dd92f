"""Captions: the voiceover's (or an uploaded SRT's) cues burned into the picture on request."""
from __future__ import annotations

from typing import Any

from nemo_nb.draft import TEXT, Draft
from nemo_nb.local import intents, srt
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Message, Plan, TurnContext, new_segment_id, refusal, say, tool

CAPTIONS = (r"\bcaptions?\b", r"\bsubtitles?\b", r"\bsubs\b", r"字幕")
REMOVE = r"\b(remove|delete|drop|hide|turn off|no)\b|删除|去掉"


def cues_for(ctx: TurnContext, draft: Draft, language: str | None = None) -> tuple[list[list[Any]], str] | None:
    """Caption cues: a dub's (when a dubbed language is named), else the voiceover's, else an uploaded SRT's."""
    dub = (draft.raw["m"].get("dub") or {}).get(language) if language else None
    if isinstance(dub, dict) and dub.get("cues"):
        return dub["cues"], f"the {intents.LANGUAGE_NAMES.get(language, language)} dub"
    voiceover = draft.raw["m"].get("voiceover")
    if isinstance(voiceover, dict) and voiceover.get("cues"):
        return voiceover["cues"], "the voiceover"
    for upload in reversed(ctx.uploaded("document")):
        if upload["filename"].lower().endswith(".srt"):
            cues = srt.parse(ctx.document_text(upload) or "")
            if cues:
                return [[c.start_ms, c.end_ms, c.text] for c in cues], upload["filename"]
    return None


def captions_plan(message: Message, ctx: TurnContext, *, after_voiceover: bool = False,
                  language: str | None = None) -> Plan | None:
    if not message.says(*CAPTIONS):
        return None
    if message.says(REMOVE):
        return Plan("captions", 0, remove_captions)
    language = language or intents.language(message.instruction)
    if not after_voiceover and cues_for(ctx, ctx.draft, language) is None:
        return refusal("Captions come from the voiceover's script (or an uploaded .srt): add a voiceover first, "
                       "e.g. \"add a voiceover: …\". Nothing was charged.")
    colour = intents.colour(message.instruction) or "white"
    pos = intents.position(message.instruction) or "bottom"

    async def run(c: TurnContext) -> Any:
        d = c.draft
        found = cues_for(c, d, language)
        if found is None:
            async for ev in say("There is no script to caption yet."):
                yield ev
            return
        cues, source = found

        def work() -> dict[str, Any]:
            d.raw["t"] = [t for t in d.raw["t"] if not (t.get("tt") == TEXT and t.get("n") == "Captions")]
            track = d.track(TEXT, "Captions")
            for start, end, words in cues:  # no font size: the renderer sizes captions from the output frame
                track.add({"id": new_segment_id(), "k": "caption", "st": int(start), "d": int(end) - int(start),
                           "tx": words, "n": words, "pos": pos, "c": colour})
            c.set_draft(d)
            return {"cues": len(cues), "source": source}

        async for ev in tool("burn_captions", {"position": pos, "colour": colour}, work):
            yield ev
        async for ev in say(f"Captions are on: {len(cues)} cues from {source}, {colour}, at the {pos}, timed to "
                            "the speech. They will be burned into the exported video (the SRT stays in the "
                            "generated media for players and platforms)."):
            yield ev

    return Plan("captions", COSTS["captions"], run)


async def remove_captions(c: TurnContext) -> Any:
    d = c.draft

    def work() -> dict[str, Any]:
        d.raw["t"] = [t for t in d.raw["t"] if not (t.get("tt") == TEXT and t.get("n") == "Captions")]
        c.set_draft(d)
        return {"removed": True}

    async for ev in tool("remove_captions", {}, work):
        yield ev
    async for ev in say("Captions removed from the picture; the SRT file is still in the generated media."):
        yield ev
