"""Background music (an upload, or a generated ambient bed), its level and fades, and the levels of the
original sound and the voiceover. Lowering never raises and raising never lowers (``Level.apply``)."""
from __future__ import annotations

from typing import Any

from nemo_nb.draft import AUDIO, VIDEO, Draft, Track
from nemo_nb.draft.fields import DEFAULT_LOUDNESS, LOUDNESS_RANGE, FieldError, check_loudness
from nemo_nb.local.credits import COSTS
from nemo_nb.local.library import inspect
from nemo_nb.local.skills.base import Plan, TurnContext, refusal, say, tool, video_end_ms
from nemo_nb.local.skills.placement import ensure_video, pick_upload
from nemo_nb.local.skills.texts import seconds_text
from nemo_nb.local.understanding import Intent, Level

DEFAULT_MUSIC = 30
FADE_IN, FADE_OUT = 1000, 2000
MY = frozenset({"my", "uploaded", "this", "own", "mine"})


def is_music(track: Track) -> bool:
    return track.type == AUDIO and any(s.kind == "music" for s in track.segments)


def music_track(draft: Draft) -> Track | None:
    return next((t for t in draft.tracks if is_music(t)), None)


def level_of(level: Level | None, current: int) -> int:
    return current if level is None else level.apply(current)


def chosen_song(intent: Intent, ctx: TurnContext) -> dict[str, Any] | None:
    """The uploaded song the request names ("song.mp3", "my song"), if any."""
    songs = ctx.uploaded("audio")
    named = pick_upload(" ".join(intent.slots.uploads) or intent.clause, songs) if intent.slots.uploads else None
    if named is None and songs and intent.words & MY:
        named = songs[-1]
    return named

def music_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    """Lay music under the video (replacing any there): an uploaded song, or a generated bed in a mood."""
    draft = ctx.draft
    if not (draft.is_renderable or ctx.uploaded("video")):
        return refusal("Upload a video first; then I can lay music under it. Nothing was charged.")
    slots = intent.slots
    chosen = chosen_song(intent, ctx)
    existing = music_track(draft)
    mood = slots.mood or "calm"
    if existing is not None and not slots.mood and chosen is None:  # "change the music": another mood
        mood = "upbeat" if "calm" in str(existing.segments[0].get("n") or "").lower() else "calm"
    volume = level_of(slots.level, existing.volume if existing is not None and existing.volume is not None
                      else DEFAULT_MUSIC)
    fade_in = FADE_IN if slots.fade_in is None else slots.fade_in
    fade_out = FADE_OUT if slots.fade_out is None else slots.fade_out
    duck = slots.duck is not False

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
        async for ev in say(f"Done: background music from 0 to {seconds_text(total)}, {volume}% volume, "
                            f"fading in over {fade_in / 1000:g} s and out over {fade_out / 1000:g} s, {ducked}.{short} "
                            "Next: change the volume (\"music at 20%\"), add a voiceover, or export."):
            yield ev

    return Plan("music", COSTS["music"] if chosen is None else COSTS["music_upload"], run)


def _music_change(intent: Intent, ctx: TurnContext, change: str) -> Plan | None:
    existing = music_track(ctx.draft)
    if existing is None:
        return refusal("There is no background music yet; say e.g. \"add calm music\". Nothing was charged.")
    current = existing.volume if existing.volume is not None else 100
    seg = existing.segments[0]
    slots = intent.slots
    volume, fade_in, fade_out = current, int(seg.get("fi") or 0), int(seg.get("fo") or 0)
    if change == "level":
        volume = level_of(slots.level, current)
        if volume == current:
            return refusal(f"The music already plays at {current}%. Nothing was charged.")
    else:
        fade_in, fade_out = _fades(slots, fade_in, fade_out)

    async def run(c: TurnContext) -> Any:
        d = c.draft

        def work() -> dict[str, Any]:
            track = music_track(d)
            if track is None:
                raise LookupError("the background music has gone from the timeline")
            for segment in track.segments:
                segment.set_volume(volume)
                segment.set("fi", min(fade_in, segment.duration_ms))
                segment.set("fo", min(fade_out, segment.duration_ms))
            c.set_draft(d)
            return {"volume": volume, "fade_in_ms": fade_in, "fade_out_ms": fade_out}

        async for ev in tool("set_music", {"volume": volume, "fade_in_ms": fade_in, "fade_out_ms": fade_out}, work):
            yield ev
        if change == "level":
            reply = f"The music now plays at {volume}% (was {current}%)."
        else:
            reply = f"The music now fades in over {fade_in / 1000:g} s and out over {fade_out / 1000:g} s."
        async for ev in say(reply + " Next: add a voiceover, captions, or export."):
            yield ev

    return Plan("music_level", COSTS["music_level"], run)


def _fades(slots: Any, fade_in: int, fade_out: int) -> tuple[int, int]:
    if slots.fade_in is not None:
        fade_in = slots.fade_in
    if slots.fade_out is not None:
        fade_out = slots.fade_out
    if slots.fade_change:
        change, _, side = slots.fade_change.partition(":")
        for which in (side,) if side else ("in", "out"):
            now = fade_in if which == "in" else fade_out
            new = max(now * 2, now + 2000) if change == "longer" else now // 2
            fade_in, fade_out = (new, fade_out) if which == "in" else (fade_in, new)
    return fade_in, fade_out


def music_level_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    return _music_change(intent, ctx, "level")


def music_fade_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    return _music_change(intent, ctx, "fade")


def remove_music_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    if music_track(ctx.draft) is None:
        return refusal("There is no background music to remove. Nothing was charged.")

    async def run(c: TurnContext) -> Any:
        d = c.draft

        def work() -> dict[str, Any]:
            d.remove_tracks(is_music)
            c.set_draft(d)
            return {"removed": True}

        async for ev in tool("set_music", {"remove": True}, work):
            yield ev
        async for ev in say("Removed the background music; the voice and the clip's own sound stay."):
            yield ev

    return Plan("music_level", COSTS["music_level"], run)


def _level_plan(intent: Intent, ctx: TurnContext, *, what: str, segments: list[Any], tool_name: str,
                action: str, default: int = 100) -> Plan | None:
    if not segments:
        return refusal(f"There is no {what} yet. Nothing was charged.")
    current = next((s.volume for s in segments if s.volume is not None), default)
    restore = intent.note == "restore"
    level = intent.slots.level
    new = (level.apply(current) if level is not None and level.percent is not None else 100) if restore \
        else level_of(level, current)
    if new == current:
        return refusal(f"The {what} already plays at {current}%. Nothing was charged.")

    async def run(c: TurnContext) -> Any:
        d = c.draft

        def work() -> dict[str, Any]:
            for seg in _segments_of(d, what):
                seg.set_volume(new)
            c.set_draft(d)
            return {"volume": new}

        async for ev in tool(tool_name, {"volume": new}, work):
            yield ev
        if new == 0:
            reply = f"Muted the {what}" + ("; the music and the voice stay." if what == "video's own sound" else ".")
        else:
            reply = f"The {what} now plays at {new}% (was {current}%)."
        async for ev in say(reply):
            yield ev

    return Plan(action, COSTS[action], run)


def loudness_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    """How loud exports are: normalised to a level in LUFS (-14, what video platforms play at, unless asked
    otherwise), or left as mixed ("off")."""
    target: float | str = "off" if intent.note == "off" else intent.slots.loudness or DEFAULT_LOUDNESS
    try:
        check_loudness(target)
    except FieldError:
        low, high = LOUDNESS_RANGE
        return refusal(f"Exports can be normalised to {low:g} to {high:g} LUFS, not {float(target):g}. "
                       "Nothing was charged.")
    current = ctx.draft.loudness
    if current == target or (current is None and target == DEFAULT_LOUDNESS):
        return refusal(f"Exports are already {loudness_words(target)}. Nothing was charged.")

    async def run(c: TurnContext) -> Any:
        d = c.draft

        def work() -> dict[str, Any]:
            d.set_loudness(target)
            c.set_draft(d)
            return {"loudness": target}

        async for ev in tool("set_loudness", {"loudness": target}, work):
            yield ev
        async for ev in say(f"Exports will be {loudness_words(target)}."):
            yield ev

    return Plan("audio_level", COSTS["audio_level"], run)


def loudness_words(target: float | str) -> str:
    """What exports at ``target`` (LUFS or "off") are, in words: "normalised to -16 LUFS … podcasts use"."""
    if target == "off":
        return "left at the mix's own levels (loudness normalisation is off)"
    use = {-14.0: ", what YouTube, TikTok and Instagram play at", -16.0: ", the level podcasts use",
           -23.0: ", the EBU R128 broadcast level"}.get(float(target), "")
    return f"normalised to {float(target):g} LUFS with peaks at most -1 dBTP{use}"


def _segments_of(draft: Draft, what: str) -> list[Any]:
    if what == "voiceover":
        return [s for t in draft.tracks if t.type == AUDIO and t.name == "Voiceover" for s in t.segments]
    return [s for s in draft.segments_of(VIDEO) if not s.get("box")]


def original_audio_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    """The video's own sound: muted, lowered, raised or brought back (music and voice untouched)."""
    if not ctx.draft.is_renderable:
        return refusal("Put your clip on the timeline first (\"add my clip\"). Nothing was charged.")
    return _level_plan(intent, ctx, what="video's own sound", segments=_segments_of(ctx.draft, "video's own sound"),
                       tool_name="set_original_audio", action="audio_level")


def voice_level_plan(intent: Intent, ctx: TurnContext) -> Plan | None:
    return _level_plan(intent, ctx, what="voiceover", segments=_segments_of(ctx.draft, "voiceover"),
                       tool_name="set_voice_level", action="audio_level")
