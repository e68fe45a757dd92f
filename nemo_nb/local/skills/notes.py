"""What the agent says instead of editing: the part it cannot do and why, one short clarifying question, an
edit held back ("don't change anything yet"), or what it can do. Always free."""
from __future__ import annotations

from nemo_nb.draft import VIDEO
from nemo_nb.local.skills.base import Plan, TurnContext, refusal, video_end_ms
from nemo_nb.local.skills.grammar import listing
from nemo_nb.local.understanding import Intent

CAPABILITIES = (
    "Here is what I can do: put your uploads on the timeline (\"add my clip\"); a voiceover from a script "
    "(\"add a voiceover: Welcome to …\", or upload a .txt/.srt) in English with a natural voice, or in Spanish, "
    "French, German and more; captions (\"burn in captions\", or \"add subtitles\" from a clip's own English "
    "speech); the transcript (\"what does it say?\"); titles (add a title \"Launch day\" at the top in "
    "yellow for 4 seconds); background music (\"add calm background music at 25%\", or an uploaded song); "
    "mute or lower the original sound; frames for every platform: 16:9, 9:16, 1:1, 4:5, 4:3, 21:9, 2:3 (fit or "
    "fill); trims (\"trim the first 10 seconds\", \"cut from 0:30 to 1:45\", \"make it 15 seconds total\"); undo; "
    "\"work on <file>\" for several uploads; dubbing into other languages from your translations (\"dub into "
    "Spanish — Spanish: …\"), of a voiceover or of the clip's own speech; a talking presenter (\"add a "
    "presenter in the corner who says: …\"). Say \"export\" to render. Nothing was charged for this message."
)
NEED_VIDEO = ("I need a video to work on first: upload an MP4, MOV, AVI, WebM or MKV file (up to 500 MB), then tell "
              "me what you want. ")


def help_plan(ctx: TurnContext) -> Plan:
    """The answer to a message nothing could be made of: one question, then what the agent can do."""
    if not ctx.uploads and not ctx.draft.is_renderable:
        return refusal(NEED_VIDEO + CAPABILITIES)
    return refusal("What would you like me to change? " + CAPABILITIES)


def unsupported_plan(intent: Intent, ctx: TurnContext) -> Plan:
    if intent.note.endswith("?") or intent.note.endswith("."):
        return refusal(f"About “{intent.clause}”: {intent.note} Nothing was charged for that part.")
    return refusal(f"I can't do {intent.note} here, so I left out “{intent.clause}”. Nothing was charged for that "
                   "part.")


def _there(ctx: TurnContext) -> list[str]:
    from nemo_nb.local.agent import scene_of

    scene = scene_of(ctx)
    found = [name for name, there in (("the music", scene.music), ("the voiceover", scene.voiceover),
                                      ("the captions", scene.captions), ("the title", scene.titles),
                                      ("the presenter", scene.presenter)) if there]
    return found


def ask_plan(intent: Intent, ctx: TurnContext) -> Plan:
    """One short question (free) when a request has several readings or misses what it needs."""
    length = video_end_ms(ctx.draft) or ctx.draft.duration_ms
    clips = [s.label for s in ctx.draft.segments_of(VIDEO)]
    removable = [*_there(ctx), f"a clip ({listing(clips, 'or')})"] if len(clips) > 1 else (
        _there(ctx) or ["a part of the video"])
    questions = {
        "sound": "Which sound should change: " + listing(
            [w for w, there in (("the music", any(s.kind == "music" for _, s in ctx.draft.segments())),
                                ("the voiceover", ctx.draft.voiceover is not None), ("the clip's own sound", True))
             if there], "or") + "?",
        "trim": f"How long should it be, or which part should go? It is {length / 1000:.0f} s now — for example "
                "\"make it 15 seconds\" or \"cut from 0:05 to 0:08\".",
        "remove": "What should I remove: " + listing(removable, "or") + "?",
        "which_clip": f"Which clip: {listing(clips, 'or')}? I can only change the sound of every clip at once, or "
                      "remove one (\"remove the second clip\").",
        "title_words": "Which words should the title show? Put them in quotes, e.g. add a title \"Launch Day\".",
        "canvas": "Which frame: 9:16 (TikTok, Reels, Shorts), 1:1, 4:5 (Instagram feed) or 16:9 (YouTube)?",
        "order": "In which order should the clips play? I can remove one (\"remove the second clip\"); reordering "
                 "is not something I do yet.",
        "vague": "What would you like me to change? " + CAPABILITIES,
    }
    return refusal(questions.get(intent.note, questions["vague"]) + ("" if intent.note == "vague" else
                                                                     " Nothing was charged."))


def held_plan(held: list[Intent], ctx: TurnContext) -> Plan:
    """Edits asked for with "don't change anything yet": described, not made."""
    from nemo_nb.local.skills.answers import hold_text

    return refusal(hold_text([i for i in held if i.kind == "held"]))
