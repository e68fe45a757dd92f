"""What each operation of the embedded backend's agent costs, in credits.

| action        | credits | what it is |
|---------------|---------|------------|
| help          | 0       | a message the agent cannot act on, or a question back (e.g. "which script?") |
| undo          | 0       | undo the last change |
| transcript    | 0       | what the clip says: the transcript, and captions kept as SRT only (nothing edited) |
| switch        | 0       | work on another upload (batch work) |
| add_media     | 1       | put uploaded videos on the timeline |
| output_size   | 1       | "into a 1080p MP4": the output size |
| aspect_ratio  | 1       | 16:9 / 9:16 / 1:1, fit or fill |
| trim          | 1       | trim or cut a time range |
| title         | 1       | add or remove a title / text overlay |
| captions      | 1       | burn captions (the voiceover's, an SRT's, or the clip's own speech) into the picture |
| audio_level   | 1       | mute or lower the original sound |
| music_level   | 1       | change or remove the background music |
| music_upload  | 1       | lay an uploaded song under the video |
| music         | 2       | generate an ambient music bed and lay it under the video |
| voiceover     | 3       | synthesize a voiceover and fit it to the video |
| dub           | 3       | per target language: speak the translation, fitted line by line |
| avatar        | 5       | a talking presenter video from a script |
| export        | 0       | rendering is always free (docs/protocol.md) |

A turn that does several things costs their sum. Its cost is frozen when it starts (``frozen`` in the
balance) and charged when it ends; a turn that fails is not charged, nor a part that could not be done
(e.g. a script too long for the video). A turn that cannot be paid answers code 2001 with a
registration link.

The prices are the embedded backend's own: a new user's 100 credits (the cloud's anonymous grant) cover
all seven example notebooks with about 40 to spare (tests/test_notebooks.py measures it).
"""
from __future__ import annotations

COSTS: dict[str, int] = {
    "help": 0, "undo": 0, "switch": 0, "export": 0, "transcript": 0,
    "add_media": 1, "output_size": 1, "aspect_ratio": 1, "trim": 1, "title": 1, "captions": 1,
    "audio_level": 1, "music_level": 1, "music_upload": 1,
    "music": 2,
    "voiceover": 3, "dub": 3,
    "avatar": 5,
}
