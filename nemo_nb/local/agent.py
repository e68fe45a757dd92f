"""The embedded backend's agent: a deterministic interpreter of user messages.

``plan()`` reads a message, picks the skills it asks for (several may apply: "make it 9:16 and add
a title 'Sale'"), and sums their cost, with no side effect; the plan's ``run()`` then edits the
session's state and yields canonical events (see ``sse.py``). A message it cannot act on gets a
helpful answer listing what it can do, and costs nothing.
"""
from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from nemo_nb.local import intents
from nemo_nb.local.skills import audio, avatar, canvas, captions, dubbing, edit, hearing, overlays, placement, voiceover
from nemo_nb.local.skills.base import Event, Message, Plan, TurnContext, refusal, text

__all__ = ["Agent", "Event", "Plan", "TurnContext"]

CAPABILITIES = (
    "Here is what I can do: put your uploads on the timeline (\"add my clip\"); a voiceover from a script "
    "(\"add a voiceover: Welcome to …\", or upload a .txt/.srt) in English with a natural voice, or in Spanish, "
    "French, German and more; captions (\"burn in captions\", or \"add subtitles\" from a clip's own English "
    "speech); the transcript (\"what does it say?\"); titles (add a title \"Launch day\" at the top in "
    "yellow for 4 seconds); background music (\"add calm background music at 25%\", or an uploaded song); "
    "mute or lower the original sound; 16:9, 9:16 or 1:1 (fit or fill); trims (\"trim the first 10 seconds\", "
    "\"cut from 0:30 to 1:45\", \"remove the last 20 seconds\"); undo; \"work on <file>\" for several uploads; "
    "dubbing into other languages from your translations (\"dub into Spanish — Spanish: …\"), of a voiceover or "
    "of the clip's own speech; a talking presenter "
    "video from a script (\"create a talking avatar video: …\"). Say \"export\" to render. Nothing was charged "
    "for this message."
)


def help_plan(ctx: TurnContext) -> Plan:
    if not ctx.uploads and not ctx.draft.is_renderable:
        return refusal("I need a video to work on first: upload an MP4, MOV, AVI, WebM or MKV file (up to "
                       "500 MB), then tell me what you want. " + CAPABILITIES)
    return refusal("I could not act on that. " + CAPABILITIES)


def combine(plans: list[Plan]) -> Plan:
    """Several skills in one turn, run in order; refusals among them are said at the end."""
    if len(plans) == 1:
        return plans[0]
    work = [p for p in plans if p.action != "help"]
    notes = [p for p in plans if p.action == "help"]

    async def run(ctx: TurnContext) -> AsyncIterator[Event]:
        for index, plan in enumerate(work + notes):
            if index:
                yield text("\n\n")
            async for event in plan.run(ctx):
                yield event

    return Plan("+".join(p.action for p in work), sum(p.cost for p in work), run)


Planner = Callable[[Message, TurnContext], "Plan | None"]


class Agent:
    """Decides what a message asks for and what it costs."""

    def plan(self, text: str, ctx: TurnContext) -> Plan:
        message = Message.read(text)
        for exclusive in (edit.undo_plan, placement.switch_plan, hearing.translation_reply_plan,
                          hearing.transcript_plan):
            plan = exclusive(message, ctx)
            if plan:
                return plan
        presenter = avatar.avatar_plan(message, ctx)
        if presenter:
            return presenter
        dub = dubbing.dubbing_plan(message, ctx)
        if dub:
            languages = intents.languages(message.instruction)
            subtitles = dub.cost and len(languages) == 1 and captions.captions_plan(
                message, ctx, after_voiceover=True, language=languages[0])
            return combine([dub, subtitles]) if subtitles else dub
        plans: list[Plan] = []
        spoken = voiceover.voiceover_plan(message, ctx)
        ordered: list[Planner] = [placement.convert_plan, edit.trim_plan, canvas.canvas_plan]
        for planner in ordered:
            if plan := planner(message, ctx):
                plans.append(plan)
        if spoken:
            plans.append(spoken)
        later = [lambda m, c: captions.captions_plan(m, c, after_voiceover=spoken is not None and spoken.cost > 0),
                 audio.music_plan, audio.original_audio_plan, overlays.title_plan]
        for planner in later:
            if plan := planner(message, ctx):
                plans.append(plan)
        # "add my clip": only when nothing else is asked (the other skills place the video themselves)
        if not any(p.action != "help" for p in plans) and (adding := placement.add_plan(message, ctx)):
            plans.insert(0, adding)
        if not plans:
            return help_plan(ctx)
        if all(p.action == "help" for p in plans):
            return plans[0]
        return combine(plans)
