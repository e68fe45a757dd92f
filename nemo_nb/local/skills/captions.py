"""Captions: the voiceover's (or an uploaded SRT's) cues burned into the picture on request; a clip with
only its own speech is heard instead (``hearing``)."""
from __future__ import annotations

from typing import Any

from nemo_nb.draft import TEXT, Draft, Track
from nemo_nb.draft.languages import language_name
from nemo_nb.local import intents, srt
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Message, Plan, TurnContext, refusal, say, tool

CAPTIONS = (r"\bcaptions?\b", r"\bsubtitles?\b", r"\bsubs\b", r"字幕")
REMOVE = r"\b(remove|delete|drop|hide|turn off|no)\b|删除|去掉"


def is_captions(track: Track) -> bool:
    return track.type == TEXT and track.name == "Captions"


def cues_for(ctx: TurnContext, draft: Draft, language: str | None = None) -> tuple[list[list[Any]], str] | None:
    """Caption cues: a dub's (when a dubbed language is named), else the voiceover's, else an uploaded SRT's."""
    dub = draft.dub(language) if language else None
    if language and dub is not None and dub.get("cues"):
        return dub["cues"], f"the {language_name(language)} dub"
    voiceover = draft.voiceover
    if voiceover is not None and voiceover.get("cues"):
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
    colour = intents.colour(message.instruction) or "white"
    pos = intents.position(message.instruction) or "bottom"
    if not after_voiceover and cues_for(ctx, ctx.draft, language) is None:
        from nemo_nb.local.skills.hearing import speech_captions_plan

        return speech_captions_plan(message, ctx, language, pos, colour) or refusal(
            "Captions come from the clip's own speech, a voiceover's script or an uploaded .srt, and this clip has "
            "no sound: add a voiceover first, e.g. \"add a voiceover: …\". Nothing was charged.")

    async def run(c: TurnContext) -> Any:
        d = c.draft
        found = cues_for(c, d, language)
        if found is None:
            async for ev in say("There is no script to caption yet."):
                yield ev
            return
        cues, source = found

        def work() -> dict[str, Any]:
            place_captions(d, cues, pos, colour)
            c.set_draft(d)
            return {"cues": len(cues), "source": source}

        async for ev in tool("burn_captions", {"position": pos, "colour": colour}, work):
            yield ev
        async for ev in say(f"Captions are on: {len(cues)} cues from {source}, {colour}, at the {pos}, timed to "
                            "the speech. They will be burned into the exported video (the SRT stays in the "
                            "generated media for players and platforms)."):
            yield ev

    return Plan("captions", COSTS["captions"], run)


def place_captions(draft: Draft, cues: list[list[Any]], pos: str, colour: str) -> None:
    """The captions track of ``draft`` replaced by ``cues`` ([start_ms, end_ms, text], text may hold line breaks)."""
    draft.remove_tracks(is_captions)
    track = draft.track(TEXT, "Captions")
    height = int((draft.canvas or {}).get("h", 1080))
    for start, end, words in cues:
        track.add_text("caption", words, int(start), int(end) - int(start), pos=pos, colour=colour,
                       font_px=max(14, height // 22))


async def remove_captions(c: TurnContext) -> Any:
    d = c.draft

    def work() -> dict[str, Any]:
        d.remove_tracks(is_captions)
        c.set_draft(d)
        return {"removed": True}

    async for ev in tool("remove_captions", {}, work):
        yield ev
    async for ev in say("Captions removed from the picture; the SRT file is still in the generated media."):
        yield ev
