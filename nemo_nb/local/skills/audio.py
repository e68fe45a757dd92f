"""Background music (an upload, or a generated ambient bed) and the original sound's level."""
from __future__ import annotations

import re
from typing import Any

from nemo_nb.draft import AUDIO, VIDEO, Draft, Track
from nemo_nb.local import intents
from nemo_nb.local.credits import COSTS
from nemo_nb.local.library import inspect
from nemo_nb.local.skills.base import Message, Plan, TurnContext, refusal, say, tool, video_end_ms
from nemo_nb.local.skills.placement import ensure_video, pick_upload

MUSIC = (r"\b(music|bgm|soundtrack|background (track|song)|song|beat|tune)\b", r"音乐|配乐")
ORIGINAL = (r"\boriginal (audio|sound|track)\b", r"\bvideo'?s (own )?(audio|sound)\b", r"\bmute\b",
            r"\bsilence the (video|clip)\b", r"原声|静音")
REMOVE = r"\b(remove|delete|drop|no more|get rid of|stop)\b|删除|去掉"
MOODS = {"upbeat": r"\b(upbeat|energetic|happy|fun|lively|fast)\b", "cinematic": r"\b(cinematic|epic|dramatic|"
         r"trailer|emotional)\b", "calm": r"\b(calm|chill|lo-?fi|relaxed|soft|ambient|gentle)\b"}


def is_music(track: Track) -> bool:
    return track.type == AUDIO and any(s.kind == "music" for s in track.segments)


def music_track(draft: Draft) -> Track | None:
    return next((t for t in draft.tracks if is_music(t)), None)


def volume_of(message: Message, default: int) -> int:
    level = intents.percent(message.instruction)
    if level is not None:
        return max(0, min(level, 200))
    if message.says(r"\b(quiet|soft|subtle|low|faint)\b"):
        return 20
    if message.says(r"\b(loud|strong|prominent)\b"):
        return 60
    return default


def fades(message: Message) -> tuple[int, int]:
    text = message.instruction
    fade_in, fade_out = 1000, 2000
    unit = r"(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?)\b"
    if m := re.search(rf"fade[- ]?in[^0-9]{{0,20}}{unit}", text, re.IGNORECASE):
        fade_in = intents.duration_ms(m.group(1), m.group(2))
    if m := re.search(rf"fade[- ]?out[^0-9]{{0,20}}{unit}", text, re.IGNORECASE):
        fade_out = intents.duration_ms(m.group(1), m.group(2))
    return fade_in, fade_out


def music_plan(message: Message, ctx: TurnContext) -> Plan | None:
    if not message.says(*MUSIC) or message.says(*ORIGINAL[:2]):
        return None
    draft = ctx.draft
    existing = music_track(draft)
    if message.says(REMOVE):
        if existing is None:
            return refusal("There is no background music to remove. Nothing was charged.")
        return Plan("music_level", COSTS["music_level"], lambda c: set_music(c, remove=True))
    if existing is not None and not message.says(r"\b(add|use|put|generate|new|different|another|replace)\b") and (
            intents.percent(message.instruction) is not None
            or message.says(r"\b(lower|raise|louder|quieter|volume)\b")):
        return Plan("music_level", COSTS["music_level"], lambda c: set_music(c, volume=volume_of(message, 30)))
    if not (draft.is_renderable or ctx.uploaded("video")):
        return refusal("Upload a video first; then I can lay music under it. Nothing was charged.")
    audio = ctx.uploaded("audio")
    chosen = pick_upload(message, audio) or (audio[-1] if audio and message.says(r"\b(my|uploaded|this)\b") else None)
    mood = next((m for m, p in MOODS.items() if message.says(p)), "calm")
    volume = volume_of(message, 30)
    fade_in, fade_out = fades(message)
    duck = not message.says(r"\b(no|without|don'?t) duck")

    async def run(c: TurnContext) -> Any:
        d, placed = ensure_video(c)
        total = video_end_ms(d)
        if placed:
            async for ev in say(placed + " "):
                yield ev
        async for ev in say("Laying " + (f"{chosen['filename']}" if chosen else f"a generated {mood} ambient bed")
                            + f" under the video at {volume}%. "):
            yield ev

        def work() -> dict[str, Any]:
            if chosen:
                src, url, name = chosen["media_id"], chosen["cdn_url"], chosen["filename"]
                length = min(total, int(float(chosen.get("duration") or 0) * 1000)) or total
            else:
                from nemo_nb.local.media.ambient import ambient_bed

                item = c.new_file(f"ambient-{mood}.m4a")
                ambient_bed(item.path, total / 1000, mood=mood)
                entry = c.register(item, inspect(item.path), kind="music", mood=mood)
                src, url, name, length = entry["media_id"], entry["cdn_url"], f"Ambient ({mood})", total
            d.remove_tracks(is_music)
            d.track(AUDIO, "Music").add_audio("music", 0, length, src=src, url=url, name=name, volume=volume,
                                              fade_in_ms=min(fade_in, length), fade_out_ms=min(fade_out, length),
                                              duck=duck)
            c.set_draft(d)
            return {"src": src, "volume": volume, "duration_ms": length, "duck": duck}

        async for ev in tool("add_background_music", {"mood": None if chosen else mood, "volume": volume,
                                                      "fade_in_ms": fade_in, "fade_out_ms": fade_out}, work,
                             thread=True):
            yield ev
        ducked = "ducked under the voice" if duck else "not ducked"
        short = ""
        if chosen and float(chosen.get("duration") or 0) * 1000 < total - 500:
            silent_s = total / 1000 - float(chosen["duration"])
            short = f" The song is shorter than the video, so the last {silent_s:.1f} s have no music."
        async for ev in say(f"Done: background music from 0 to {intents.seconds_text(total)}, {volume}% volume, "
                            f"fading in over {fade_in / 1000:g} s and out over {fade_out / 1000:g} s, {ducked}.{short} "
                            "Next: change the volume (\"music at 20%\"), add a voiceover, or export."):
            yield ev

    return Plan("music", COSTS["music"] if chosen is None else COSTS["music_upload"], run)


async def set_music(c: TurnContext, *, volume: int | None = None, remove: bool = False) -> Any:
    d = c.draft

    def work() -> dict[str, Any]:
        track = music_track(d)
        if track is None:
            raise LookupError("the background music has gone from the timeline")
        if remove:
            d.remove_track(track)
        elif volume is not None:
            track.set_volume(volume)
        c.set_draft(d)
        return {"removed": remove, "volume": volume}

    async for ev in tool("set_music", {"volume": volume, "remove": remove}, work):
        yield ev
    async for ev in say("Removed the background music." if remove else f"The music now plays at {volume}%."):
        yield ev


def original_audio_plan(message: Message, ctx: TurnContext) -> Plan | None:
    if not message.says(*ORIGINAL) or not ctx.draft.is_renderable:
        return None
    mute = message.says(r"\bmute\b|\bsilence\b|\b(remove|delete|drop|no)\b|静音|去掉")
    level = 0 if mute else volume_of(message, 30)

    async def run(c: TurnContext) -> Any:
        d = c.draft

        def work() -> dict[str, Any]:
            for seg in d.segments_of(VIDEO):
                seg.set_volume(level)
            c.set_draft(d)
            return {"volume": level}

        async for ev in tool("set_original_audio", {"volume": level}, work):
            yield ev
        async for ev in say("Muted the video's own sound." if level == 0 else
                            f"The video's own sound now plays at {level}%."):
            yield ev

    return Plan("audio_level", COSTS["audio_level"], run)

