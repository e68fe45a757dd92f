"""The sound of a render: clip sound, voiceovers, music and audio placed, levelled, ducked under speech
and mixed, one mix per language of a dub, as filter chains of the render's one ffmpeg run."""
from __future__ import annotations

from nemo_nb.local.media.filtergraph import Graph
from nemo_nb.local.media.timeline import Sound, Timeline

SAMPLE_RATE = 48000
_MIX_FORMAT = f"aresample={SAMPLE_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo"
LONE_FORMAT = "aformat=channel_layouts=mono|stereo"  # downmix surround, keep the rate
_DUCKER = "sidechaincompress=threshold=0.05:ratio=8:attack=20:release=300"


def add_audio(graph: Graph, timeline: Timeline, copy_input: int | None,
               languages: tuple[str, ...] = ()) -> list[str]:
    """Clip sound, voiceovers, music (ducked under speech when asked) and audio, mixed; the output labels.

    ``copy_input`` is the input whose video is copied: its own sound is taken from it, at 0. With two
    or more ``languages`` there is one mix per language (``[aout0]``, …): the shared sounds are mixed
    once per role and split, and each language adds its own speech; else one mix, ``[aout]``.
    """
    placed: list[tuple[str, Sound]] = []  # (input pad, sound)
    for clip in timeline.visuals:
        if clip.volume and clip.ref.info.has_audio and clip.ref.info.kind == "video":
            # When re-encoding, the sound gets its own input so the picture is not decoded early.
            index = graph.input(clip.ref.path, clip.in_ms, clip.dur_ms / 1000) if copy_input is None else copy_input
            start = clip.start_ms if copy_input is None else 0
            own = Sound(clip.ref, "clip", start, clip.dur_ms, clip.in_ms, clip.volume, 0, 0, duck=clip.duck)
            placed.append((f"[{index}:a:0]", own))
    for item in timeline.overlays:  # a presenter's own speech
        if item.volume and item.ref.info.has_audio:
            index = graph.input(item.ref.path, item.in_ms, item.dur_ms / 1000)
            placed.append((f"[{index}:a:0]", Sound(item.ref, "voiceover", item.start_ms, item.dur_ms, item.in_ms,
                                                  item.volume, 0, 0, duck=False)))
    for sound in timeline.sounds:
        placed.append((f"[{graph.input(sound.ref.path, sound.in_ms, sound.dur_ms / 1000)}:a:0]", sound))
    seconds = f"{timeline.duration_ms / 1000:.3f}"
    several = len(languages) > 1
    outs = [f"[aout{i}]" for i in range(len(languages))] if several else ["[aout]"]
    if not placed:
        for out in outs:
            graph.chain("", f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=duration={seconds}", out=out)
        return outs
    if not several:
        # A lone sound keeps its rate (re-encoding 48 kHz stereo would cost the copy path 2x); a mix needs one format.
        audio_format = _MIX_FORMAT if len(placed) > 1 else LONE_FORMAT
        roles: dict[str, list[str]] = {"plain": [], "voice": [], "ducked": []}
        for pad, sound in placed:
            padded = seconds if len(placed) > 1 else None
            roles[_role(sound)].append(graph.chain(pad, _sound_filters(sound, audio_format, padded)))
        _mix_down(graph, roles["plain"], roles["voice"], roles["ducked"], seconds, outs[0])
        return outs
    shared: dict[str, list[str]] = {"plain": [], "voice": [], "ducked": []}
    speech: dict[str, list[str]] = {lang: [] for lang in languages}
    for pad, sound in placed:
        label = graph.chain(pad, _sound_filters(sound, _MIX_FORMAT, seconds))
        (shared[_role(sound)] if sound.lang is None else speech[sound.lang]).append(label)
    mixes = {lang: {"plain": [], "voice": list(speech[lang]), "ducked": []} for lang in languages}
    for role, labels in shared.items():
        if labels:
            copies = [graph.label() for _ in languages]
            graph.mix(labels, f"asplit={len(languages)}", out="".join(copies))
            for lang, copy in zip(languages, copies, strict=True):
                mixes[lang][role].append(copy)
    for lang, out in zip(languages, outs, strict=True):
        roles = mixes[lang]
        if any(roles.values()):
            _mix_down(graph, roles["plain"], roles["voice"], roles["ducked"], seconds, out)
        else:
            graph.chain("", f"anullsrc=r={SAMPLE_RATE}:cl=stereo,atrim=duration={seconds}", out=out)
    return outs


def has_sound(timeline: Timeline) -> bool:
    """Whether ``timeline`` has any sound to mix (a sound, or a video clip's own sound, not muted)."""
    return bool(timeline.sounds) or any(
        v.volume and v.ref.info.has_audio and v.ref.info.kind == "video" for v in timeline.visuals)


def _role(sound: Sound) -> str:
    """voice (voiceovers and every language's own segments), ducked (lowered under voice) or plain."""
    if sound.kind == "voiceover" or sound.lang is not None:
        return "voice"
    return "ducked" if sound.duck else "plain"


def _mix_down(graph: Graph, plain: list[str], voices: list[str], ducked: list[str], seconds: str,
              out: str) -> None:
    """Mix one audio track into ``out``: the ducked sounds compressed under the voices, the rest as is."""
    plain = list(plain)
    if voices and ducked:
        voice, sidechain = graph.label(), graph.label()
        graph.mix(voices, "asplit=2", out=voice + sidechain)
        # The compressor stops when its sidechain does: pad the voice so the music plays on.
        ducker = graph.chain(graph.mix(ducked) + graph.chain(sidechain, "apad"), _DUCKER)
        plain += [voice, ducker]
    else:
        plain += voices + ducked
    graph.mix(plain, f"apad=whole_dur={seconds}", out=out)


def _sound_filters(sound: Sound, audio_format: str, pad_to: str | None = None) -> str:
    """Format, cut to length, set level, fade and place one sound on the timeline; padded with silence to
    ``pad_to`` seconds when it is mixed: when every input of a mix ends together, ffmpeg's mixers cannot end
    early (with inputs ending at different times a mix sometimes stopped at the first end, at random)."""
    filters = ["asetpts=PTS-STARTPTS", audio_format, f"atrim=duration={sound.dur_ms / 1000:.3f}"]
    if sound.volume != 100:
        filters.append(f"volume={sound.volume / 100:.3f}")
    if sound.fade_in_ms:
        filters.append(f"afade=t=in:st=0:d={sound.fade_in_ms / 1000:.3f}")
    if sound.fade_out_ms:
        start = (sound.dur_ms - sound.fade_out_ms) / 1000
        filters.append(f"afade=t=out:st={start:.3f}:d={sound.fade_out_ms / 1000:.3f}")
    if sound.start_ms:
        filters.append(f"adelay=delays={sound.start_ms}:all=1")
    if pad_to is not None:
        filters.append(f"apad=whole_dur={pad_to}")
    return ",".join(filters)
