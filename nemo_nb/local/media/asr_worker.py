"""The speech recognition worker process: ``python -m nemo_nb.local.media.asr_worker``.

faster-whisper (CTranslate2) with a Whisper model from a local directory — loaded once, kept warm, never
downloaded. One JSON request per stdin line, one JSON answer per stdout line (see ``workers.serve``):

- ``{"op": "transcribe", "model", "media", "max_s", "cpu_s", "language"}`` → ``{"ok": true, "model",
  "multilingual", "language", "language_probability", "heard_s", "speech": [[start_s, end_s], …],
  "segments": [{"start", "end", "text", "avg_logprob", "no_speech_prob", "compression_ratio",
  "words": [[text, start_s, end_s, probability], …]}, …], "timings"}``. The media's first sound stream is
  decoded by ffmpeg (16 kHz mono, at most ``max_s`` seconds); ``speech`` are silero's voice-activity regions
  with no padding (sharp onsets); recognition runs on the speech only (faster-whisper's own VAD filter).
  The request's CPU time (this process and its ffmpeg) is limited to ``cpu_s`` seconds: past it the answer
  is an error and the worker keeps serving.
- ``{"op": "ping"}`` → ``{"ok": true, "loaded", "load_s"}``.
"""
from __future__ import annotations

import logging
import math
import os
import resource
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from nemo_nb.local.media import children
from nemo_nb.local.media.workers import serve

SAMPLE_RATE = 16000
MAX_SECONDS = 4 * 3600.0   # hard ceilings whatever a request asks; the backend asks for far less
MAX_CPU_S = 4 * MAX_SECONDS
THREADS = max(1, min(2, os.cpu_count() or 1))
JUDGE_AFTER_S = 25.0  # an English-only model's output is judged after this much of the clip
# Voice activity with no padding and short pauses: where speech really starts and stops.
SHARP_VAD = {"threshold": 0.5, "min_silence_duration_ms": 150, "speech_pad_ms": 0, "min_speech_duration_ms": 100}

log = logging.getLogger("nemo_nb.asr_worker")


class CpuBudgetExceeded(Exception):
    """The request used up its CPU time."""


def _over_budget(signum: int, frame: Any) -> None:
    raise CpuBudgetExceeded()


class CpuBudget:
    """The CPU time one request may use (this process, every thread): checked between steps (``check``),
    and enforced inside long native calls by ``RLIMIT_CPU``'s soft limit — past it ``SIGXCPU`` arrives and
    raises ``CpuBudgetExceeded`` at the next Python step. The ffmpeg it starts inherits that ceiling."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.process_time() + seconds

    def check(self) -> None:
        if time.process_time() > self.deadline:
            raise CpuBudgetExceeded()

    @contextmanager
    def enforced(self) -> Iterator[CpuBudget]:
        soft, hard = resource.getrlimit(resource.RLIMIT_CPU)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        limit = math.ceil(usage.ru_utime + usage.ru_stime + self.seconds)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_CPU, (limit, hard))
        try:
            yield self
        finally:
            resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def decode(media: Path, max_s: float, timeout: float) -> np.ndarray:
    """The media's first sound stream as 16 kHz mono float samples, at most ``max_s`` seconds."""
    from nemo_nb.local.media.ffmpeg import ffmpeg_exe

    done = children.run(  # dies with this worker; its CPU time is counted in the answer's cpu_s
        [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-i", str(media), "-map", "0:a:0",
         "-vn", "-ac", "1", "-ar", str(SAMPLE_RATE), "-t", f"{max_s:.3f}", "-f", "f32le", "-"],
        capture_output=True, timeout=timeout,
    )
    if done.returncode != 0:
        errors = done.stderr.decode("utf-8", "replace").strip()
        if "matches no streams" in errors:
            raise ValueError(f"{media.name} has no sound to listen to")
        tail = errors.splitlines()[-1:] or ["no error output"]
        raise ValueError(f"could not read the sound of {media.name}: {tail[0][:300]}")
    return np.frombuffer(done.stdout, np.float32)


class Worker:
    """Holds the model (loaded once per model directory) and answers requests."""

    def __init__(self) -> None:
        self._model: Any = None
        self._path: str | None = None
        self.load_s: float | None = None

    def load(self, path: str) -> Any:
        """The model of directory ``path``, loaded unless it already is."""
        if self._model is None or self._path != path:
            if not (Path(path) / "model.bin").is_file():
                raise ValueError(f"{path} is not a CTranslate2 Whisper model directory (no model.bin)")
            started = time.perf_counter()
            from faster_whisper import WhisperModel

            self._model = WhisperModel(path, device="cpu", compute_type="int8", cpu_threads=THREADS,
                                       num_workers=1, local_files_only=True)
            self._path = path
            self.load_s = round(time.perf_counter() - started, 3)
            log.info("speech model %s loaded in %.2f s", Path(path).name, self.load_s)
        return self._model

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        if op == "transcribe":
            return self.transcribe(request)
        if op == "ping":
            return {"loaded": self._model is not None, "load_s": self.load_s}
        raise ValueError(f"unknown op {op!r}")

    def transcribe(self, request: dict[str, Any]) -> dict[str, Any]:
        from faster_whisper.vad import VadOptions, get_speech_timestamps

        path = _model_path(request)
        media = Path(str(request.get("media") or ""))
        if not media.is_absolute() or not media.is_file():
            raise ValueError("media must be an absolute path to an existing file")
        max_s = _positive(request.get("max_s"), "max_s", MAX_SECONDS)
        cpu_s = _positive(request.get("cpu_s"), "cpu_s", MAX_CPU_S)
        language = request.get("language")
        if language is not None and not (isinstance(language, str) and language.isalpha() and len(language) <= 3):
            raise ValueError("language must be a language code such as 'en', or null to detect it")
        timings: dict[str, float] = {}
        try:
            with CpuBudget(cpu_s).enforced() as budget:
                started, cpu_started = time.perf_counter(), time.process_time()
                model = self.load(path)
                timings["load_s"] = round(time.perf_counter() - started, 3)
                audio = decode(media, max_s, timeout=max(60.0, max_s))
                budget.check()
                timings["decode_s"] = round(time.perf_counter() - started - timings["load_s"], 3)
                heard_s = len(audio) / SAMPLE_RATE
                regions = get_speech_timestamps(audio, VadOptions(**SHARP_VAD)) if len(audio) else []
                speech = [[round(r["start"] / SAMPLE_RATE, 3), round(r["end"] / SAMPLE_RATE, 3)] for r in regions]
                timings["vad_s"] = round(time.perf_counter() - started - sum(timings.values()), 3)
                budget.check()
                answer = self._recognize(model, audio, language, speech, budget) if regions else {
                    "segments": [], "language": language or "", "language_probability": 0.0}
                timings["asr_s"] = round(time.perf_counter() - started - sum(timings.values()), 3)
                timings["cpu_s"] = round(time.process_time() - cpu_started, 3)  # this process, every thread
        except CpuBudgetExceeded:
            raise ValueError(f"speech recognition went over its CPU budget of {cpu_s:g} s and was stopped") from None
        return {**answer, "model": Path(path).name, "multilingual": bool(model.model.is_multilingual),
                "heard_s": round(heard_s, 3),
                "speech": speech,
                "timings": timings}

    @staticmethod
    def _recognize(model: Any, audio: np.ndarray, language: str | None, speech: list[list[float]],
                   budget: CpuBudget) -> dict[str, Any]:
        """Whisper over the speech parts (faster-whisper's VAD filter), greedy, each 30 s window decoded on its
        own (no runaway repetition), Whisper's temperature fallback for windows it is unsure of, word
        timestamps. An English-only model stops after its first half minute when that does not sound like
        English: the rest would be as wrong, and slow."""
        from nemo_nb.local.media.asr import sounds_english

        english_only = not model.model.is_multilingual
        segments, info = model.transcribe(
            audio, language="en" if english_only else language, beam_size=1, best_of=1,
            condition_on_previous_text=False, word_timestamps=True, vad_filter=True,
        )
        out: list[dict[str, Any]] = []
        judged = not english_only
        for s in segments:
            budget.check()
            out.append({"start": round(s.start, 3), "end": round(s.end, 3), "text": s.text.strip(),
                        "avg_logprob": round(s.avg_logprob, 4), "no_speech_prob": round(s.no_speech_prob, 4),
                        "compression_ratio": round(s.compression_ratio, 3),
                        "words": [[w.word.strip(), round(w.start, 3), round(w.end, 3), round(w.probability, 4)]
                                  for w in (s.words or []) if w.word.strip()]})
            if not judged and s.end >= JUDGE_AFTER_S:
                judged = True
                if not sounds_english(out, _speech_before(speech, s.end)):
                    break
        return {"segments": out, "language": info.language,
                "language_probability": round(float(info.language_probability), 4)}


def _speech_before(speech: list[list[float]], end_s: float) -> float:
    """Seconds of voice activity before ``end_s``."""
    return sum(max(0.0, min(b, end_s) - a) for a, b in speech)


def _model_path(request: dict[str, Any]) -> str:
    path = request.get("model")
    if not isinstance(path, str) or not Path(path).is_absolute():
        raise ValueError("model must be the absolute path of a CTranslate2 Whisper model directory")
    return path


def _positive(value: Any, name: str, ceiling: float) -> float:
    if value is None:
        return ceiling
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number of seconds")
    return float(min(value, ceiling))


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # a model directory is always local: never ask a hub
    signal.signal(signal.SIGXCPU, _over_budget)
    serve(Worker().handle, "asr_worker")


if __name__ == "__main__":
    main()
