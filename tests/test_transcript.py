"""The transcript model, recognizer answers made sense of, and the pure helpers of hearing (no recognition)."""
from __future__ import annotations

import itertools
import json
import math

import pytest

from nemo_nb.draft import Draft
from nemo_nb.local import listening
from nemo_nb.local.media.asr import snap_to_speech, sounds_english, to_transcript
from nemo_nb.local.skills.hearing import translated_lines
from nemo_nb.transcript import Transcript, Utterance, Word


def utterance(*words: tuple[int, int, str]) -> Utterance:
    ws = tuple(Word(a, b, text, 0.9) for a, b, text in words)
    return Utterance(ws[0].start_ms, ws[-1].end_ms, " ".join(w.text for w in ws), 0.8, ws)


TALK = Transcript((utterance((0, 400, "Hello"), (450, 900, "there.")),
                   utterance((2000, 2300, "Second"), (2350, 2800, "line."))),
                  media_id="med_a", filename="a.mp4", duration_ms=3000, heard_ms=3000)


def test_json_round_trip() -> None:
    again = Transcript.from_json(json.loads(json.dumps(TALK.to_json())))
    assert again == TALK and again.text == "Hello there.\nSecond line."


@pytest.mark.parametrize("bad", [None, [], "x", {"segments": "no"}, {"segment": []}])
def test_not_a_transcript(bad) -> None:
    with pytest.raises(ValueError, match="not a transcript"):
        Transcript.from_json(bad)


def test_hostile_values_are_tamed() -> None:
    data = {"segments": [{"start": -5, "end": float("nan"), "text": 7, "confidence": 9,
                          "words": [[1e30, "x", ["w"], -1], ["a"], "zz", [100, 50, "ok", float("inf")]]}],
            "language": {"x": 1}, "truncated": "yes", "duration_ms": True}
    t = Transcript.from_json(data)
    (segment,) = t.segments
    assert segment.start_ms == 0 and segment.end_ms == 0 and segment.text == "" and segment.confidence == 1.0
    assert [(w.start_ms, w.end_ms, w.text, w.probability) for w in segment.words] == [
        (int(1e30), int(1e30), "", 0.0), (100, 100, "ok", 0.0)]
    assert t.language == "en" and t.truncated is False and t.duration_ms == 0
    with pytest.raises(ValueError, match="refused"):
        Transcript.from_json({"segments": [{}] * 100_001})


def test_on_timeline_follows_trims_cuts_and_repeats() -> None:
    draft = Draft({"t": [{"tt": 0, "sg": [
        {"k": "video", "src": "med_a", "st": 0, "d": 1000, "ss": 300},       # 0.3–1.3 s of the media
        {"k": "video", "src": "med_b", "st": 1000, "d": 500, "ss": 0},
        {"k": "video", "src": "med_a", "st": 1500, "d": 1500, "ss": 1900},   # 1.9–3.4 s
    ]}]})
    placed = TALK.on_timeline(draft)
    words = [(w.text, w.start_ms, w.end_ms, w.source_ms) for w in placed.words]
    assert words == [("there.", 150, 600, 450), ("Second", 1600, 1900, 2000), ("line.", 1950, 2400, 2350)]
    assert [s.text for s in placed.segments] == ["there.", "Second line."]
    assert placed.segments_df()["source_s"].tolist() == [0.45, 2.0]
    assert TALK.on_timeline(Draft()) is TALK  # not on the timeline: as if placed at 0


def test_merge_and_views() -> None:
    other = Transcript((utterance((1000, 1300, "Other")),), media_id="med_b", filename="b.mp4")
    merged = Transcript.merge([other, TALK])
    assert [s.text for s in merged.segments] == ["Hello there.", "Other", "Second line."]
    assert merged.media_id == "med_b,med_a"
    words = merged.words_df()
    assert list(words["segment"]) == [0, 0, 1, 2, 2] and words["start_s"].is_monotonic_increasing
    assert Transcript(()).words_df().empty and "start_s" in Transcript(()).segments_df().columns
    assert Transcript((), language="zh").join(["你", "好"]) == "你好"


# -- making sense of the recognizer -------------------------------------------------------------------------
def test_word_starts_move_onto_speech_onsets() -> None:
    words = [Word(140, 544, "Welcome", 0.5), Word(544, 1060, "to", 0.9), Word(1060, 1400, "Atlas.", 0.9),
             Word(1400, 2320, "Keep", 0.8), Word(2320, 2500, "going.", 0.9)]
    speech = [[0.544, 1.5], [2.1, 2.6]]
    snapped = snap_to_speech(words, speech)
    assert snapped[0].start_ms == 544 and snapped[3].start_ms == 2100
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(snapped))
    assert all(w.end_ms > w.start_ms for w in snapped)
    far = snap_to_speech([Word(5000, 5400, "late", 0.9)], [[1.0, 2.0]])
    assert far[0].start_ms == 5000  # an onset too far away moves nothing


def segment(start: float, end: float, logprob: float, probabilities: list[float]) -> dict:
    words = [[f"w{i}", start + i * 0.3, start + i * 0.3 + 0.25, p] for i, p in enumerate(probabilities)]
    return {"start": start, "end": end, "text": " ".join(w[0] for w in words), "avg_logprob": logprob,
            "words": words}


def test_what_sounds_english() -> None:
    assert sounds_english([segment(0, 3, -0.3, [0.9] * 8)], 3.0)
    assert sounds_english([segment(0, 3, -0.9, [0.55] * 8)], 3.0)  # robotic but English
    assert not sounds_english([segment(0, 3, -1.5, [0.3] * 8)], 3.0)  # unsure words, unsure tokens
    assert sounds_english([segment(0, 3, -1.5, [0.9] * 8)], 3.0)  # one doubt is not enough
    assert sounds_english([segment(0, 3, -0.5, [0.2] * 8)], 3.0)  # the other doubt alone is not either
    assert sounds_english([segment(0, 3, -0.42, [0.83] * 8)], 3.0)  # espeak-ng's female English voice
    # espeak-ng's French, Spanish and Dutch as tiny.en heard them, near the highest of either measure
    assert not sounds_english([segment(0, 3, -0.995, [0.483] * 8)], 3.0)
    assert not sounds_english([segment(0, 3, -0.906, [0.462] * 8)], 3.0)
    assert not sounds_english([segment(0, 3, -0.971, [0.532] * 8)], 3.0)
    assert not sounds_english([segment(0, 3, -0.995, [0.538] * 8)], 3.0)
    assert not sounds_english([], 6.0)  # much speech, nothing made out of it
    assert sounds_english([], 1.0)  # too little to judge


def test_recognizer_answers_become_transcripts() -> None:
    answer = {"segments": [segment(0.1, 2.0, -0.2, [0.9, 0.8, 0.95])], "speech": [[0.5, 2.0]], "heard_s": 2.5,
              "model": "m", "multilingual": False, "language": "en", "timings": {"asr_s": 1.0}}
    answer["segments"][0]["words"][1][2] = answer["segments"][0]["words"][1][1]  # a word with no length
    t = to_transcript(answer, media_id="med_x", duration_s=40.0, max_s=2.5)
    assert all(w.end_ms > w.start_ms for w in t.words)
    assert all(a.end_ms <= b.start_ms for a, b in itertools.pairwise(t.words))
    assert t.language == "en" and t.truncated and t.heard_ms == 2500 and t.duration_ms == 40000
    assert t.words[0].start_ms == 500 and math.isclose(t.segments[0].confidence, math.exp(-0.2), rel_tol=1e-3)
    foreign = to_transcript({**answer, "segments": [segment(0.1, 2.0, -1.6, [0.2, 0.3, 0.1])]}, max_s=30)
    assert foreign.language == "und" and foreign.is_empty
    other = to_transcript({**answer, "multilingual": True, "language": "es",
                           "segments": [segment(0.1, 2.0, -1.6, [0.2, 0.3, 0.1])]})
    assert other.language == "es" and not other.is_empty and other.multilingual


# -- hearing's helpers ---------------------------------------------------------------------------------------
def test_speech_becomes_dubbing_lines() -> None:
    words = [utterance((0, 300, "One"), (300, 600, "two.")), utterance((700, 900, "Three")),
             utterance((2500, 2800, "after"), (2800, 3000, "a"), (3000, 3300, "pause"))]
    lines = listening.speech_lines(Transcript(tuple(words)))
    assert lines == [(0, 600, "One two."), (700, 900, "Three"), (2500, 3300, "after a pause")]
    long = Transcript((Utterance(0, 20000, "", 0.9, tuple(
        Word(i * 1000, i * 1000 + 800 if i != 9 else i * 1000 + 400, f"w{i}", 0.9) for i in range(20))),))
    cut = listening.speech_lines(long)
    assert len(cut) == 2 and cut[0][1] == 9400 and cut[1][0] == 10000  # at the longest pause


@pytest.mark.parametrize(("text", "expected"), [
    ("1. Hola.\n2. Adiós.", ["Hola.", "Adiós."]),
    ("1) Hola\n2) Adiós", ["Hola", "Adiós"]),
    ("(1) Hola\n(2) Adiós", ["Hola", "Adiós"]),
    ("1 - Hola\n2 - Adiós", ["Hola", "Adiós"]),
    ("1. Hola. 2. Adiós, amigo.", ["Hola.", "Adiós, amigo."]),
    ("Hola.\nAdiós.", ["Hola.", "Adiós."]),
    ("  \n Hola.\n\n Adiós. \n", ["Hola.", "Adiós."]),
])
def test_translated_lines_are_read_in_common_forms(text: str, expected: list[str]) -> None:
    assert translated_lines(text, 2) == expected


@pytest.mark.parametrize("text", ["Hola.", "1. Hola.\n3. Adiós.", "Hola.\nAdiós.\nY más.", "2. Hola.\n1. Adiós.",
                                  "make it 9:16", "1. Hola.\nAdiós."])
def test_other_messages_are_not_taken_for_translations(text: str) -> None:
    assert translated_lines(text, 2) is None


def test_one_line_needs_its_number() -> None:
    assert translated_lines("Hola a todos.", 1) is None
    assert translated_lines("1. Hola a todos.", 1) == ["Hola a todos."]
