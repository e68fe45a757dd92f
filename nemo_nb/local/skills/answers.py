"""Questions and small talk: answered from what the session holds, free, and never changing the draft.

Credits, costs, platforms and frame sizes, what is on the timeline, levels, voices, languages, licences of the
music, uploads, export; greetings and thanks get one short line. A held edit ("don't change anything yet")
is described, not made.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from nemo_nb.draft import AUDIO, VIDEO
from nemo_nb.draft.fields import DEFAULT_LOUDNESS
from nemo_nb.draft.languages import UNDERSTOOD, language_name
from nemo_nb.local.credits import COSTS
from nemo_nb.local.skills.audio import loudness_words
from nemo_nb.local.skills.base import Plan, TurnContext, refusal
from nemo_nb.local.skills.grammar import listing
from nemo_nb.local.understanding import Intent, platforms
from nemo_nb.local.understanding.words import lex

FREE = " This answer is free."
UPLOADS = ("You can upload MP4, MOV, AVI, WebM or MKV videos (up to 500 MB), MP3, WAV or M4A songs, PNG or JPG "
           "pictures, and scripts as TXT, MD or SRT (PDF and DOCX with the documents extra).")
WHO = ("I'm the embedded NemoVideo agent of nemo_nb: a small deterministic editor that runs on your own machine, "
       "with ffmpeg for the picture and offline voices for speech.")
CAN_DO = ("I can put your uploads on the timeline, trim, set the frame (16:9, 9:16, 1:1, 4:5, 4:3, 21:9, 2:3 or a "
          "platform's), add titles, captions, background music, a voiceover from your script, dubs from your "
          "translations, and a talking presenter.")
SKILL_WORDS = {"voiceover": ("voiceover", "voice", "narration"), "dub": ("dub", "dubbing", "dubs", "translation"),
               "avatar": ("avatar", "presenter"), "music": ("music", "song", "bgm"),
               "captions": ("captions", "subtitles"),
               "title": ("title", "text"), "trim": ("trim", "cut"), "aspect_ratio": ("ratio", "format", "vertical"),
               "export": ("export", "render", "download")}


def _words(text: str) -> set[str]:
    return set(lex(text).tokens) | set(lex(text).values("target")) | set(lex(text).values("platform"))


def _volume(segments: list[Any]) -> int:
    return next((s.volume for s in segments if s.volume is not None), 100)


def cost(ctx: TurnContext, words: set[str], text: str) -> str | None:
    """ "How much does dubbing cost?", "how many credits for a voiceover?" """
    if not words & {"cost", "costs", "price", "much", "charge", "charged", "credits", "credit"} or words & {
            "left", "remaining", "剩", "balance"} or ("have" in words and "i" in words):
        return None
    for skill, names in SKILL_WORDS.items():
        if words & set(names) | ({skill} & words):
            amount = COSTS[skill]
            what = {"export": "Exporting", "dub": "A dub (per language)", "avatar": "A presenter video",
                    "aspect_ratio": "Changing the frame", "trim": "A trim"}.get(skill, "A " + skill.replace("_", " "))
            return f"{what} costs {amount} credit{'s' if amount != 1 else ''}; questions, undo and export are free."
    return None


def credits(ctx: TurnContext, words: set[str], text: str) -> str | None:
    if not words & {"credit", "credits", "balance", "积", "余", "点"} and "积分" not in text:
        return None
    balance = ctx.store.balance(ctx.user_id) if ctx.store else {"available": 0, "frozen": 0}
    held = f" ({balance['frozen']} more are held for work in progress)" if balance.get("frozen") else ""
    return f"You have {balance['available']} credits left{held}. A voiceover costs {COSTS['voiceover']}, a title " \
           f"{COSTS['title']}, and exporting is free."


def platform(ctx: TurnContext, words: set[str], text: str) -> str | None:
    named = lex(text).values("platform")
    ratio_words = words & {"ratio", "size", "format", "resolution", "aspect", "dimensions", "比例", "尺寸", "格式",
                           "canvas", "frame", "right", "best", "vertical", "square", "long", "longer", "length"}
    chinese = any(w in text for w in ("比例", "尺寸", "格式", "多大"))
    if not named or not (ratio_words or chinese or "9:16" in text or "16:9" in text):
        return None
    found = platforms.BY_NAME[named[0]]
    canvas = ctx.draft.canvas or {}
    now = ""
    if canvas.get("w") and canvas.get("h"):
        width, height = int(canvas["w"]), int(canvas["h"])
        ratio = _ratio_name(width, height)
        ready = ratio in (found.ratio, *found.also)
        now = (f" Your frame is already {ratio} ({width}x{height}), so it's ready." if ready
               else f" Yours is {width}x{height} now; say \"make it {found.ratio}\" and I'll change it.")
    return f"{found.name}: {found.advice}.{now}"


def _ratio_name(width: int, height: int) -> str:
    from fractions import Fraction

    ratio = Fraction(width, height).limit_denominator(25)
    return f"{ratio.numerator}:{ratio.denominator}"


def resolution(ctx: TurnContext, words: set[str], text: str) -> str | None:
    if not words & {"resolution", "size", "dimensions", "quality", "1080p", "4k"} or words & {"upload", "file", "max"}:
        return None
    return ("1920x1080 (1080p) is the usual size for a 16:9 video, 3840x2160 for 4K; vertical videos are 1080x1920. "
            "Say \"make it 1080p\" or \"4K\" and I'll set it.")


def fit_fill(ctx: TurnContext, words: set[str], text: str) -> str | None:
    if not ({"fit", "fill"} <= words or words & {"crop", "bars", "letterbox"}):
        return None
    return ("Fit shows the whole picture and adds black bars where the shapes differ; fill crops the picture to "
            "cover the whole frame, with no bars.")


def describe_frame(ctx: TurnContext, words: set[str], text: str) -> str | None:
    shape = lex(text).first("shape") or next((r for r in ("9:16", "16:9", "1:1", "4:5") if r in text), None)
    if not shape or not words & {"look", "like", "would", "describe"}:
        return None
    return (f"A {shape} version keeps your whole picture with black bars where the shapes differ (fit), or crops it "
            f"to fill the frame (fill); titles and captions move with the frame. Say \"make it {shape}\" to apply it.")


def music_licence(ctx: TurnContext, words: set[str], text: str) -> str | None:
    if not (words & {"copyright", "licence", "license", "royalty", "safe", "legal", "allowed", "monetize", "strike",
                     "ad", "commercial", "free"} and words & {"music", "song", "bgm", "soundtrack"}):
        return None
    music = [s for t in ctx.draft.tracks if t.type == AUDIO for s in t.segments if s.kind == "music"]
    generated = {g.get("media_id") for g in ctx.state.get("generated_media", []) if isinstance(g, dict)}
    if music and music[0].src in generated:
        return ("The music bed was generated here on your machine, so it is yours: free to use in ads and on "
                "YouTube, royalty-free, with no copyright claim from anyone.")
    if music:
        return ("That song is a file you uploaded, so the rights are whoever licensed it to you: if you made it or "
                "hold a licence that covers YouTube or ads, you're fine. A generated bed (\"add calm music\") is "
                "royalty-free.")
    return "There's no music yet. A generated bed (\"add calm music\") is royalty-free and yours to use anywhere."


def status(ctx: TurnContext, words: set[str], text: str) -> str | None:
    draft = ctx.draft
    if words & {"long", "length", "duration", "长"} and words & {"video", "clip", "it", "my", "timeline"}:
        return f"Your video is {draft.duration_ms / 1000:.1f} s long ({_clock(draft.duration_ms)})."
    if words & {"timeline", "draft", "project"} and words & {"what", "what's", "whats", "show", "status"}:
        return draft.summary() if draft.is_renderable else "The timeline is empty: upload a video and say " \
                                                            "\"add my clip\"."
    return None


def _clock(ms: int) -> str:
    seconds = round(ms / 1000)
    return f"{seconds // 60}:{seconds % 60:02d}"


LOUDNESS_WORDS = frozenset({"lufs", "loudness", "normalize", "normalise", "normalized", "normalised", "normalization",
                            "normalisation"})


def loudness(ctx: TurnContext, words: set[str], text: str) -> str | None:
    """"How loud will the export be?", "is it normalised?": the exports' level."""
    if not (words & LOUDNESS_WORDS or (words & {"loud", "loudness"} and words & {"export", "exports", "file"})):
        return None
    return f"Exports are {loudness_words(ctx.draft.loudness or DEFAULT_LOUDNESS)}."


def levels(ctx: TurnContext, words: set[str], text: str) -> str | None:
    draft = ctx.draft
    music = [s for t in draft.tracks if t.type == AUDIO for s in t.segments if s.kind == "music"]
    if words & {"duck", "ducking", "ducked", "dip", "dips"} or ("quieter" in words and "voice" in words):
        if not music:
            return "There is no music yet; when there is, it dips under the voice automatically (ducking)."
        ducked = bool(music[0].get("duck"))
        return ("Yes: the music ducks (gets quieter) while the voice speaks." if ducked else
                "No: ducking is off for this music; say \"duck the music\" to turn it on.")
    if words & {"loud", "volume", "level", "音", "量"} or "%" in text:
        if words & {"music", "bgm", "song"}:
            return f"The music plays at {_volume(music)}%." if music else "There is no music yet."
        if words & {"voice", "voiceover"}:
            voice = [s for t in draft.tracks if t.type == AUDIO and t.name == "Voiceover" for s in t.segments]
            return f"The voiceover plays at {_volume(voice)}%." if voice else "There is no voiceover yet."
        clips = draft.segments_of(VIDEO)
        if clips:
            return f"The clip's own sound plays at {_volume(clips)}%."
    return None


def voices(ctx: TurnContext, words: set[str], text: str) -> str | None:
    if "voice" not in words and not words & {"female", "male", "voices"}:
        return None
    meta = ctx.draft.voiceover
    asked = lex(text).values("language")
    if meta and asked:  # "is the voiceover in English?"
        spoken = str(meta.get("language") or "en")
        return (f"Yes, the voiceover is in {language_name(spoken)}." if spoken in asked else
                f"No, the voiceover is in {language_name(spoken)}.")
    if meta and words & {"which", "what", "using", "who"}:
        voice = str(meta.get("voice") or "")
        return f"The voiceover uses {voice.split('+')[0].title() if voice else 'the default voice'} — " \
               f"{'a female' if '+f' in voice or 'female' in voice else 'a male'} voice, in " \
               f"{language_name(str(meta.get('language') or 'en'))}."
    if words & {"female", "male", "voices", "woman", "man"}:
        return ("Yes: English has a natural male voice (Joe) and a female voice; Spanish, French, German and the "
                "other languages have a male and a female voice. Say \"female voice\" when you ask for a voiceover.")
    return None


def script(ctx: TurnContext, words: set[str], text: str) -> str | None:
    meta = ctx.draft.voiceover
    if not (words & {"voice", "voiceover"} and words & {"say", "says", "saying", "text", "script", "remind"}):
        return None
    if not meta:
        return "There is no voiceover yet."
    lines = " ".join(str(cue[2]) for cue in meta.get("cues") or [])
    return f"The voiceover says: “{lines}”"


def languages(ctx: TurnContext, words: set[str], text: str) -> str | None:
    if not words & {"language", "languages", "dub", "translate", "subtitles", "voiceover"} or not (
            words & {"which", "what", "languages", "possible", "can"}):
        return None
    names = listing([language_name(code) for code in UNDERSTOOD])
    return (f"I can voice and dub {names}. Send the translated text (\"Spanish: …\") or an SRT named by language; "
            "I never invent a translation.")


def uploads(ctx: TurnContext, words: set[str], text: str) -> str | None:
    if words & {"upload", "formats", "format", "file", "files"} and words & {"what", "which", "formats", "types",
                                                                               "max", "size", "big", "limit"}:
        return UPLOADS
    return None


def export(ctx: TurnContext, words: set[str], text: str) -> str | None:
    if words & {"watermark", "watermarks"}:
        return "No: exports have no watermark."
    if words & {"pay", "cost", "free", "charge", "price"} and words & {"export", "render", "download"}:
        return "No: exporting is free (0 credits); only edits cost credits."
    return None


def identity(ctx: TurnContext, words: set[str], text: str) -> str | None:
    if words & {"who", "what"} and words & {"you", "made", "built"} and not words & {"do", "can"}:
        return WHO
    if words & {"can", "do", "help"} and words & {"you", "what"}:
        return CAN_DO
    return None


def tiktok_length(ctx: TurnContext, words: set[str], text: str) -> str | None:
    named = lex(text).values("platform")
    if named and words & {"long", "longer", "length", "seconds", "minutes"}:
        found = platforms.BY_NAME[named[0]]
        return f"{found.name}: {found.advice}."
    return None


TOPICS: tuple[Callable[[TurnContext, set[str], str], str | None], ...] = (
    cost, credits, music_licence, describe_frame, platform, tiktok_length, resolution, fit_fill, loudness, levels,
    voices, script, languages, uploads, export, status, identity,
)


def answer(ctx: TurnContext, text: str) -> str:
    words = _words(text)
    found = [found for topic in TOPICS if (found := topic(ctx, words, text))]
    if found:
        return " ".join(dict.fromkeys(found))
    return "I could not act on that: it's not something I can answer here. " + CAN_DO


def question_plan(intents: list[Intent], ctx: TurnContext) -> Plan:
    """One answer for the questions of the message (read together: "the difference between fit and fill")."""
    return refusal(answer(ctx, " ".join(i.clause for i in intents)) + FREE)


CHAT = {"greeting": "Hi! Upload a video, or tell me what to change — a voiceover, captions, music, a title or a "
                    "new frame.",
        "thanks": "You're welcome! Say what to change next, or export when you're ready.",
        "ack": "Glad you like it. Tell me what to change next, or export when you're ready.",
        "how": "Doing well, thanks!"}


def chat_plan(intents: list[Intent], ctx: TurnContext) -> Plan:
    kinds = [i.note for i in intents]
    kind = "greeting" if "greeting" in kinds else "thanks" if "thanks" in kinds else "ack"
    return refusal(CHAT[kind])


def hold_text(held: list[Intent]) -> str:
    asked = listing(f"“{i.clause}”" for i in held if i.clause)
    if asked:
        return f"I haven't changed anything, as you asked: when you want {asked}, just say so."
    return "OK — I won't change anything until you say so."
