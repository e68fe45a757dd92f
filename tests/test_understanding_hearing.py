"""The understanding pipeline on requests about the clip's own speech (no server): transcripts asked for in
many forms, captions of speech and captions kept as a file, dubs that replace the original voice, and the
answer to a dub waiting for its translation."""
from __future__ import annotations

import pytest

from nemo_nb.local.understanding import Scene, understand

CLIP = Scene(video=True, clips=("talk.mp4",), video_ms=13_000)
VOICED = Scene(video=True, clips=("talk.mp4",), video_ms=13_000, voiceover=True)
WAITING = Scene(video=True, clips=("talk.mp4",), video_ms=13_000, awaiting=("es",), awaiting_lines=3)
TWO_WAITING = Scene(video=True, clips=("talk.mp4",), video_ms=13_000, awaiting=("es", "fr"), awaiting_lines=2)


def kinds(message: str, scene: Scene = CLIP) -> list[str]:
    return understand(message, scene).kinds


@pytest.mark.parametrize("message", [
    "What does it say?", "what did she say", "whats he saying?", "what are they talking about?",
    "what is being said in the video?", "transcribe it", "Transcribe this clip please", "give me the transcript",
    "can I get a transcription of this?", "a transcript as srt please", "write down what the speaker says",
    "I need the words spoken in this clip", "视频里说了什么？", "TRANSCRIPT PLS",
])
def test_transcripts_asked_in_many_forms(message: str) -> None:
    assert "transcript" in kinds(message), message


@pytest.mark.parametrize("message", [
    "Can you remind me what the voiceover says?", "what should the title say?", "how much does a transcript cost?",
    "Which languages can you transcribe?", "what do you say we add music?",
    "add a voiceover. Transcript: Welcome to the shop.",
])
def test_other_questions_and_scripts_are_not_transcripts(message: str) -> None:
    assert "transcript" not in kinds(message, VOICED), message


@pytest.mark.parametrize("message", ["caption what I say", "subtitle what he says", "put subtitles on it",
                                     "add subtitles", "CC please"])
def test_captions_of_the_speech(message: str) -> None:
    reading = understand(message, CLIP)
    assert reading.kinds == ["captions"] and not reading.intents[0].slots.sidecar, message


@pytest.mark.parametrize("message", [
    "add captions as an SRT file, don't burn them in", "subtitles as an srt only", "captions, srt only",
    "I only need the subtitles as a separate file, no burn-in", "add soft subtitles",
    "add captions without burning them",
])
def test_captions_kept_as_a_file(message: str) -> None:
    reading = understand(message, CLIP)
    assert reading.kinds == ["captions"] and reading.intents[0].slots.sidecar, (message, reading.intents)


@pytest.mark.parametrize("message", ["dub this video into Spanish and remove the original voice",
                                     "dub it into French, mute the original audio",
                                     "dub into German without the original speech"])
def test_a_dub_that_replaces_the_original_voice_is_one_edit(message: str) -> None:
    reading = understand(message, CLIP)
    assert reading.kinds == ["dub"] and reading.intents[0].slots.replace_original, (message, reading.intents)


def test_muting_alone_is_not_a_dub() -> None:
    assert kinds("mute the original audio") == ["original_level"]


@pytest.mark.parametrize("message", ["1. Hola.\n2. ¿Qué tal?\n3. Adiós.", "1) Hola. 2) ¿Qué tal? 3) Adiós.",
                                     "Hola.\n¿Qué tal?\nAdiós.", "Spanish: Hola. ¿Qué tal? Adiós.",
                                     "Español:\n1. Hola.\n2. ¿Qué tal?\n3. Adiós."])
def test_the_translated_lines_answer_a_waiting_dub(message: str) -> None:
    reading = understand(message, WAITING)
    assert reading.kinds == ["dub_reply"], (message, reading.intents)
    assert reading.intents[0].slots.translations["es"].split("\n") == ["Hola.", "¿Qué tal?", "Adiós."]


@pytest.mark.parametrize("message", ["make it 9:16", "Hola.", "add calm music", "1. Hola.\n2. Adiós."])
def test_other_messages_do_not_answer_a_waiting_dub(message: str) -> None:
    assert "dub_reply" not in kinds(message, WAITING), message


def test_bare_lines_while_two_languages_wait_ask_which() -> None:
    intent = understand("Hola.\nAdiós.", TWO_WAITING).intents[0]
    assert intent.kind == "dub_reply" and intent.note == "which_language" and not intent.slots.translations
    both = understand("Spanish:\nHola.\nAdiós.\nFrench:\nBonjour.\nAu revoir.", TWO_WAITING).intents[0]
    assert both.slots.translations == {"es": "Hola.\nAdiós.", "fr": "Bonjour.\nAu revoir."}


def test_nothing_waits_without_a_pending_dub() -> None:
    assert "dub_reply" not in kinds("1. Hola.\n2. ¿Qué tal?\n3. Adiós.")


def test_a_transcript_is_no_edit_to_hold_back() -> None:
    assert kinds("what does it say? don't change anything") == ["transcript"]
    assert kinds("add subtitles, don't change anything yet") == ["held"]


def test_a_hostile_run_of_language_labels_is_no_translation() -> None:
    assert "dub_reply" not in kinds("Spanish: " * 2500, WAITING)
