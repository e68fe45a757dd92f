"""Captions: burned-in text timed to the speech — the voiceover's or a dub's cues, an uploaded SRT's, or text the
user gives ("add Spanish subtitles: …"), laid on the speech's timing; a clip with only its own speech is heard
instead (``hearing``). Restyled or removed on request."""
from __future__ import annotations

from typing import Any

from nemo_nb.draft import TEXT, Draft, Track
from nemo_nb.draft.languages import language_name
from nemo_nb.local import srt
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.base import Plan, TurnContext, refusal, say, tool, video_end_ms
from nemo_nb.local.skills.grammar import plural
from nemo_nb.local.skills.placement import pick_upload
from nemo_nb.local.skills.texts import sentences
from nemo_nb.local.understanding import Intent

Cues = list[list[Any]]
CORNER_FREE = {"top-left": "top", "top-right": "top", "bottom-left": "bottom", "bottom-right": "bottom",
               "corner": "bottom", "up": "top", "down": "bottom"}


def is_captions(track: Track) -> bool:
    return track.type == TEXT and track.name == "Captions"


def spoken_cues(ctx: TurnContext, draft: Draft, language: str | None = None, named: list[str] | None = None
                ) -> tuple[Cues, str] | None:
    """Caption cues: a dub's (when its language is named), else the voiceover's, else an uploaded SRT's."""
    dub = draft.dub(language) if language else None
    if language and dub is not None and dub.get("cues"):
        return dub["cues"], f"the {language_name(language)} dub"
    voiceover = draft.voiceover
    documents = ctx.uploaded("document")
    chosen = pick_upload(" ".join(named), documents) if named else None
    if chosen is None and voiceover is not None and voiceover.get("cues"):
        return voiceover["cues"], "the voiceover"
    for upload in [chosen] if chosen else reversed(documents):
        if upload["filename"].lower().endswith(".srt"):
            cues = srt.parse(ctx.document_text(upload) or "")
            if cues:
                return [[c.start_ms, c.end_ms, c.text] for c in cues], upload["filename"]
    return None


def given_cues(text: str, timing: Cues | None, span: tuple[int, int]) -> Cues:
    """The user's own text as cues: on the speech's timing when the sentences match its lines one to one,
    else spread over ``span`` in proportion to their length."""
    lines = sentences(text) or [text]
    if timing and len(timing) == len(lines):
        return [[start, end, line] for (start, end, _), line in zip(timing, lines, strict=True)]
    start, end = span
    weights = [max(1, len(line)) for line in lines]
    out, at = [], start
    for line, weight in zip(lines, weights, strict=True):
        length = (end - start) * weight // sum(weights)
        out.append([at, at + max(200, length), line])
        at += length
    return out


def captions_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    draft = ctx.draft
    if not (draft.is_renderable or ctx.uploaded("video")):
        return refusal("Upload a video first; then I can caption it. Nothing was charged.")
    slots = intent.slots
    language = slots.languages[-1] if slots.languages else None
    given = slots.translations.get(language) if language else None
    given = given or slots.text
    heard = spoken_cues(ctx, draft, language, slots.uploads)
    if given is None and heard is not None and language and language not in (draft.voiceover or {}).get(
            "language", "en") and draft.dub(language) is None and heard[1] == "the voiceover":
        name = language_name(language)
        return refusal(f"I have no {name} text to caption: send it (\"{name} subtitles: …\") or add a {name} dub "
                       f"first. I never invent a translation. Nothing was charged.")
    colour = slots.colour or "white"
    pos = CORNER_FREE.get(slots.position or "", slots.position) or "bottom"
    if given is None and heard is None and not {"voiceover", "dub", "avatar"} & set(ctx.planned):
        from nemo_nb.local.skills.hearing import speech_captions_plan

        return speech_captions_plan(ctx, language, pos, colour, sidecar=slots.sidecar) or refusal(
            "Captions come from the clip's own speech, the voiceover's script, an uploaded .srt or text you send "
            "(\"add captions: …\"), and this clip has no sound: what should they say? Nothing was charged.")
    if given is None and heard is not None and slots.sidecar and heard[1] == "the voiceover" and not ctx.planned:
        return refusal("The voiceover's captions are already kept as an SRT file in the generated media, not burned "
                       "in. Say \"burn in captions\" to put them on the picture. Nothing was changed or charged.")

    async def run(c: TurnContext) -> Any:
        d = c.draft
        found = spoken_cues(c, d, language, slots.uploads)
        total = video_end_ms(d) or d.duration_ms
        if given is not None:
            speech = found[0] if found else None
            span = (speech[0][0], speech[-1][1]) if speech else (slots.when.span(total, total) if slots.when
                                                                   else (0, total))
            cues, source = given_cues(given, speech, span), "your text"
        elif found is not None:
            cues, source = found
        else:
            async for ev in say("There is no script to caption yet."):
                yield ev
            return

        def work() -> dict[str, Any]:
            place_captions(d, cues, pos, colour)
            c.set_draft(d)
            return {"cues": len(cues), "source": source}

        async for ev in tool("burn_captions", {"position": pos, "colour": colour}, work):
            yield ev
        async for ev in say(f"Captions are on: {plural(len(cues), 'cue')} from {source}, {colour}, at the {pos}, timed "
                            "to the speech. They will be burned into the exported video (the SRT stays in the "
                            "generated media for players and platforms)."):
            yield ev

    return Plan("captions", COSTS["captions"], run)


def place_captions(draft: Draft, cues: list[list[Any]], pos: str, colour: str) -> None:
    """The captions track of ``draft`` replaced by ``cues`` ([start_ms, end_ms, text], text may hold line breaks)."""
    draft.remove_tracks(is_captions)
    track = draft.track(TEXT, "Captions")
    for start, end, words in cues:
        track.add_text("caption", words, int(start), max(1, int(end) - int(start)), pos=pos,
                       colour=colour)  # sized by the renderer from the output frame


def style_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    """Captions restyled: a colour, a place."""
    if not any(is_captions(t) for t in ctx.draft.tracks):
        return captions_plan(intent, ctx)
    slots = intent.slots
    pos = CORNER_FREE.get(slots.position or "", slots.position)

    async def run(c: TurnContext) -> Any:
        d = c.draft

        def work() -> dict[str, Any]:
            height = int((d.canvas or {}).get("h", 1080))
            for track in d.tracks:
                if is_captions(track):
                    for seg in track.segments:
                        if slots.colour:
                            seg.set("c", slots.colour)
                        if pos:
                            seg.set("pos", pos)
                        if slots.big:
                            seg.set("fs", max(14, height // (14 if slots.big > 0 else 30)))
            c.set_draft(d)
            return {"colour": slots.colour, "position": pos}

        async for ev in tool("style_captions", {"colour": slots.colour, "position": pos}, work):
            yield ev
        size = {1: "bigger", -1: "smaller"}.get(slots.big, "")
        what = " and ".join(x for x in (slots.colour, f"at the {pos}" if pos else "", size) if x)
        async for ev in say(f"The captions are now {what}."):
            yield ev

    return Plan("captions", COSTS["captions"], run)


def remove_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    if not any(is_captions(t) for t in ctx.draft.tracks):
        return refusal("There are no captions to remove. Nothing was charged.")
    return Plan("captions", 0, remove_captions)


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
