"""The embedded backend's agent: a deterministic interpreter of user messages.

``plan()`` reads a message with the understanding pipeline (``nemo_nb.local.understanding``): one intent
per clause, with typed slots. Each intent's kind is a row of ``SKILLS``, the table from intents to the
skills' planners; a planner returns a ``Plan`` (its cost, and the work) with no side effect. The plans run
in the order asked; questions are answered after the edits; what could not be done, and why, is said at
the end and not charged. Questions, small talk and clarifying questions are free and never edit.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from nemo_nb.draft import AUDIO, TEXT, VIDEO
from nemo_nb.local.skills import (
    answers,
    audio,
    avatar,
    canvas,
    captions,
    dubbing,
    edit,
    hearing,
    notes,
    overlays,
    placement,
    voiceover,
)
from nemo_nb.local.skills.base import Event, Plan, TurnContext, text
from nemo_nb.local.understanding import Intent, Reading, Scene, understand

__all__ = ["SKILLS", "Agent", "Event", "Plan", "TurnContext", "scene_of"]

Planner = Callable[[Intent, TurnContext], "Plan | None"]

# Intent kind → the skill's planner. A new skill is one more row here and one more kind in the understanding
# pipeline (hearing: "transcript" and "dub_reply", read in ``understanding/hearing.py``).
SKILLS: dict[str, Planner] = {
    "place": placement.add_plan,
    "remove_clip": placement.remove_clip_plan,
    "canvas": canvas.canvas_plan,
    "trim": edit.trim_plan,
    "voiceover": voiceover.voiceover_plan,
    "revoice": voiceover.revoice_plan,
    "remove_voiceover": voiceover.remove_plan,
    "voice_level": audio.voice_level_plan,
    "captions": captions.captions_plan,
    "style_captions": captions.style_plan,
    "remove_captions": captions.remove_plan,
    "title": overlays.title_plan,
    "edit_title": overlays.edit_plan,
    "remove_title": overlays.remove_plan,
    "music": audio.music_plan,
    "music_level": audio.music_level_plan,
    "music_fade": audio.music_fade_plan,
    "remove_music": audio.remove_music_plan,
    "original_level": audio.original_audio_plan,
    "loudness": audio.loudness_plan,
    "dub": dubbing.dubbing_plan,
    "presenter": avatar.avatar_plan,
    "transcript": hearing.transcript_plan,
    "dub_reply": hearing.translation_reply_plan,
    "undo": edit.undo_plan,
}
NOTES: dict[str, Planner] = {"unsupported": notes.unsupported_plan, "ask": notes.ask_plan}


def scene_of(ctx: TurnContext) -> Scene:
    """What understanding needs to know about the session."""
    draft = ctx.draft
    names = {u.get("media_id"): str(u.get("filename")) for u in ctx.uploads}
    clips = [s for s in draft.segments_of(VIDEO) if not s.get("box")]
    placed = {s.src for s in clips}
    pending = tuple(u["filename"] for u in ctx.uploaded("video") + ctx.uploaded("image") if u["media_id"] not in placed)
    audio_tracks = [t for t in draft.tracks if t.type == AUDIO]
    return Scene(
        video=bool(clips), pending=pending, clips=tuple(names.get(s.src, s.label) for s in clips),
        video_ms=max((s.end_ms for s in clips), default=0),
        music=any(s.kind == "music" for t in audio_tracks for s in t.segments),
        voiceover=any(t.name == "Voiceover" and t.segments for t in audio_tracks),
        captions=any(t.type == TEXT and t.name == "Captions" and t.segments for t in draft.tracks),
        titles=sum(1 for t in draft.tracks if t.type == TEXT for s in t.segments if s.kind == "title"),
        dubs=tuple(t.name[4:] for t in audio_tracks if t.name.startswith("Dub ")),
        documents=tuple(u["filename"] for u in ctx.uploaded("document")),
        audio=tuple(u["filename"] for u in ctx.uploaded("audio")),
        presenter=any(s.get("box") for s in draft.segments_of(VIDEO)),
        last_target=last if isinstance(last := ctx.state.get("last_target"), str) else None,
        **awaiting(ctx),
    )


def awaiting(ctx: TurnContext) -> dict[str, Any]:
    """The dub of the clip's speech waiting for its translation: its languages and how many lines it listed."""
    pending = ctx.state.get(hearing.PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("lines"), list) \
            or not isinstance(pending.get("languages"), list):
        return {}
    languages = tuple(str(code) for code in pending["languages"] if isinstance(code, str))
    return {"awaiting": languages, "awaiting_lines": len(pending["lines"])} if languages else {}


SPEECH = ("voiceover", "revoice", "dub", "presenter")


def speech_first(intents: list[Intent]) -> list[Intent]:
    """Captions follow the speech they caption: asked in one message, the voice is made first."""
    if not any(i.kind in SPEECH for i in intents):
        return intents
    captions = [i for i in intents if i.kind in ("captions", "style_captions")]
    return [i for i in intents if i not in captions] + captions


def combine(plans: list[Plan]) -> Plan:
    """Several plans in one turn, run in order; the cost is the sum of the work's."""
    if len(plans) == 1:
        return plans[0]
    work = [p for p in plans if p.action != "help"]

    async def run(ctx: TurnContext) -> AsyncIterator[Event]:
        spoke = False
        for plan in plans:
            opened = False
            async for event in plan.run(ctx):
                if event["type"] == "text":
                    if spoke and not opened:
                        yield text("\n\n")
                    opened = spoke = True
                yield event

    return Plan("+".join(p.action for p in work) or "help", sum(p.cost for p in work), run)


def remember(plan: Plan, **values: object) -> Plan:
    """The plan, then ``values`` kept in the session for the next turn (what was last changed, what is held back
    until the user says "do it"). A turn that only answers keeps them without an undo point."""
    async def run(ctx: TurnContext) -> AsyncIterator[Event]:
        async for event in plan.run(ctx):
            yield event
        if any(ctx.state.get(key) != value for key, value in values.items()):
            ctx.state.update(values)
            if not ctx.changed:
                ctx.changed, ctx.record_history = True, False

    return Plan(plan.action, plan.cost, run)


class Agent:
    """Decides what a message asks for and what it costs."""

    def plan(self, message_text: str, ctx: TurnContext) -> Plan:
        switch = placement.switch_plan(message_text, ctx)
        if switch:
            return switch
        scene = scene_of(ctx)
        reading = understand(message_text, scene)
        pending = ctx.state.get("pending")
        if reading.confirm and isinstance(pending, dict) and isinstance(pending.get("message"), str):
            # "yes, do it": what the last turn held back or offered
            held = understand(pending["message"], scene, go_ahead=True)
            held.intents = [i for i in held.intents if i.kind not in ("question", "chat")]
            if held.intents:
                return self.plan_reading(held, ctx)
        return self.plan_reading(reading, ctx)

    def plan_reading(self, reading: Reading, ctx: TurnContext) -> Plan:
        plan = self._plan(reading, ctx)
        if plan.action != "help":
            last = next((i.target for i in reversed(reading.intents) if i.target and i.kind in SKILLS), None)
            return remember(plan, last_target=last, pending=None)
        offer = reading.hold or any(i.kind == "question" and (i.slots.ratio or i.slots.platform)
                                    for i in reading.intents)
        return remember(plan, pending={"message": reading.text[:20_000]}) if offer else plan

    def _plan(self, reading: Reading, ctx: TurnContext) -> Plan:
        intents = reading.intents
        undo = next((i for i in intents if i.kind == "undo"), None)
        if undo is not None:
            return edit.undo_plan(undo, ctx)
        work: list[Plan] = []
        later: list[Plan] = []
        held = [i for i in intents if i.kind in ("held", "hold")]
        if held:
            later.append(notes.held_plan(held, ctx))
        for intent in speech_first(intents):
            if intent.kind in ("question", "chat", "held", "hold"):
                continue
            planner = SKILLS.get(intent.kind) or NOTES.get(intent.kind)
            plan = planner(intent, ctx) if planner else None
            if plan is None:
                continue
            (later if plan.action in ("help", "transcript") else work).append(plan)  # the transcript after edits
            ctx.planned.append(plan.action)
        questions = [i for i in intents if i.kind == "question"]
        if questions:
            later.insert(0, answers.question_plan(questions, ctx))
        chats = [i for i in intents if i.kind == "chat"]
        if chats and not work and not later:
            return answers.chat_plan(chats, ctx)
        plans = work + later
        if not plans:
            return notes.help_plan(ctx)
        return combine(plans)
