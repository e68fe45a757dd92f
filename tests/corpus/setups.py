"""The starting states, each made by uploads and messages in the agent's canonical phrasing (the README's
"What the embedded agent understands" table), and what each must look like before a case runs."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from corpus.media import BROLL_S, CLIP_S, LONG_S

SCRIPT_EN = "Welcome to the spring collection. Everything is ten percent off this week."
DUB_ES = ("Bienvenidos a la colección de primavera. Todo tiene un diez por ciento de descuento esta semana.")

PLACE = ("say", "add my clip to the timeline")
UPLOAD_CLIP = ("upload", "clip.mp4")
SONG = (("upload", "song.mp3"), ("say", "use song.mp3 as background music at 40%"))
VOICE = (("say", f"add a voiceover: {SCRIPT_EN}"),)
TITLE = (("say", 'add a title "Spring Sale" at the top in yellow from 2s for 3 seconds'),)
CAPTIONS = (("say", "burn in captions"),)


@dataclass(frozen=True)
class Setup:
    """Steps (``("upload", file name)`` or ``("say", message)``) and the facets they must produce."""

    steps: tuple[tuple[str, str], ...]
    check: tuple[tuple[str, Any], ...] = ()
    about: str = ""


CLIP = (UPLOAD_CLIP, PLACE)
SETUPS: dict[str, Setup] = {
    "empty": Setup((), (("video.kept", []),), "a new session, nothing uploaded"),
    "uploaded": Setup((UPLOAD_CLIP,), (("video.kept", []),), "clip.mp4 uploaded, the timeline still empty"),
    "clip": Setup(CLIP, (("video.kept", [[0, CLIP_S]]), ("video.volume", 100), ("canvas", "320x180")),
                  "clip.mp4 (24 s, 320x180, with sound) on the timeline"),
    "muted": Setup((*CLIP, ("say", "mute the original audio")), (("video.volume", 0),), "clip, its sound muted"),
    "music": Setup((*CLIP, *SONG), (("music.source", "song.mp3"), ("music.volume", 40)),
                   "clip + song.mp3 as background music at 40%"),
    "song": Setup((*CLIP, ("upload", "song.mp3")), (("music.present", False),),
                  "clip on the timeline + song.mp3 uploaded, not used yet"),
    "bed": Setup((*CLIP, ("say", "add calm background music at 40%")),
                 (("music.source", "generated"), ("music.volume", 40)), "clip + a generated calm music bed at 40%"),
    "vo": Setup((*CLIP, *VOICE), (("voiceover.text", SCRIPT_EN), ("voiceover.language", "en")),
                "clip + an English voiceover (two sentences)"),
    "vo_music": Setup((*CLIP, *VOICE, *SONG), (("voiceover.present", True), ("music.volume", 40)),
                      "clip + English voiceover + song.mp3 at 40%"),
    "title": Setup((*CLIP, *TITLE), (("titles.count", 1), ("titles.texts", ["Spring Sale"])),
                   'clip + the title "Spring Sale", top, yellow, 2-5 s'),
    "captions": Setup((*CLIP, *VOICE, *CAPTIONS), (("captions.present", True),),
                      "clip + English voiceover + its captions burned in"),
    "full": Setup((*CLIP, *SONG, *VOICE, *TITLE, *CAPTIONS),
                  (("music.volume", 40), ("voiceover.present", True), ("titles.count", 1), ("captions.present", True)),
                  "clip + song.mp3 at 40% + English voiceover + title + captions"),
    "vertical": Setup((*CLIP, ("say", "make it 9:16")), (("canvas", "1080x1920"),), "clip in a 9:16 frame"),
    "two": Setup((UPLOAD_CLIP, ("upload", "broll.mp4"), ("say", "add my clips to the timeline")),
                 (("video.kept", [["clip.mp4", 0, CLIP_S], ["broll.mp4", 0, BROLL_S]]),),
                 "clip.mp4 then broll.mp4 (8 s) on the timeline"),
    "long": Setup((("upload", "long.mp4"), PLACE), (("video.kept", [[0, LONG_S]]),), "long.mp4 (80 s) on the timeline"),
    "srt": Setup((*CLIP, ("upload", "talk.srt")), (("video.kept", [[0, CLIP_S]]),),
                 "clip on the timeline + talk.srt (3 English cues) uploaded"),
    "script": Setup((*CLIP, ("upload", "script.txt")), (("video.kept", [[0, CLIP_S]]),),
                    "clip on the timeline + script.txt (2 sentences) uploaded"),
    "logo": Setup((*CLIP, ("upload", "logo.png")), (("video.kept", [[0, CLIP_S]]),),
                  "clip on the timeline + logo.png uploaded"),
    "talk": Setup((("upload", "talk.mp4"),), (("video.kept", []),),
                  "talk.mp4 (about 13 s, someone talking: four English sentences) uploaded, the timeline still empty"),
    "talking": Setup((("upload", "talk.mp4"), PLACE), (("video.volume", 100), ("captions.present", False)),
                     "talk.mp4 (someone talking, no voiceover, no captions) on the timeline"),
    "dubbed": Setup((*CLIP, *VOICE, ("say", f"dub this video into Spanish. Spanish: {DUB_ES}")),
                    (("dubs", ["es"]),), "clip + English voiceover + a Spanish dub"),
}
