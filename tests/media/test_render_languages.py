"""Dubbed drafts: one language-tagged audio track per language in the main MP4, one MP4 per language, one run.

Stand-in speech: a tone per language (es 600 Hz, fr 800 Hz, de 1200 Hz), placed at known times over the
640x360 clip (its own sound: 440 Hz) and a shared "music" tone (220 Hz).
"""
from __future__ import annotations

import re
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from media_helpers import PCM_RATE, ffmpeg, pcm, tone_level, video_packet_hashes, window

from nemo_nb.draft import AUDIO, TEXT, VIDEO, Draft
from nemo_nb.local.media.ffmpeg import FFmpegError, RenderCancelled, ffmpeg_exe
from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.render import MediaRef, RenderError, RenderPlan, plan_render, render

pytestmark = pytest.mark.slow  # dubbed drafts rendered with ffmpeg

HZ = {"es": 600, "fr": 800, "de": 1200}
CLIP_HZ, MUSIC_HZ = 440, 220
SLOT = (1.0, 2.0)  # where every language speaks, in s


@pytest.fixture(scope="module")
def voices(media_dir: Path) -> dict[str, MediaRef]:
    """A loud 4 s tone per language (amplitude 0.5, like a voice), and a 4 s shared music tone."""
    made = {}
    for lang, hz in HZ.items():
        path = media_dir / f"voice_{lang}.wav"
        ffmpeg("-f", "lavfi", "-i", f"sine=f={hz}:d=4:sample_rate=48000,volume=4", str(path))
        made[lang] = path
    made["bed"] = media_dir / "bed.wav"
    ffmpeg("-f", "lavfi", "-i", f"sine=f={MUSIC_HZ}:d=4:sample_rate=48000", str(made["bed"]))
    return {name: MediaRef(path, probe(path)) for name, path in made.items()}


@pytest.fixture()
def resolve(refs: dict[str, MediaRef], voices: dict[str, MediaRef]) -> Any:
    return {**refs, **voices}.get


def dub(*, order: list[str] | None = None, duck: bool = False, slots: dict[str, tuple[float, float]] | None = None,
        extra: list[tuple[int, list[dict[str, Any]]]] = ()) -> Draft:
    """The clip, the shared music and each language's voice in its slot (default: all in ``SLOT``)."""
    slots = slots or {lang: SLOT for lang in HZ}
    speech = [{"src": lang, "k": "voiceover", "lang": lang, "st": round(a * 1000), "d": round((b - a) * 1000)}
              for lang, (a, b) in slots.items()]
    raw: dict[str, Any] = {"t": [
        {"tt": VIDEO, "sg": [{"src": "clip", **({"duck": True} if duck else {})}]},
        {"tt": AUDIO, "sg": [{"src": "bed", "k": "music", "d": 4000}]},
        {"tt": AUDIO, "sg": speech},
        *({"tt": tt, "sg": sg} for tt, sg in extra),
    ], "m": {}}
    if order is not None:
        raw["m"]["languages"] = order
    return Draft(raw)


def plan(draft: Draft, resolve: Any, tmp_path: Path, **kw: Any) -> RenderPlan:
    return plan_render(draft, resolve, tmp_path / "out.mp4", tmp_path / "work", **kw)


def audio_streams(path: Path) -> list[tuple[str, bool, str]]:
    """(language, default?, title) of each audio stream, read from ``ffmpeg -i``."""
    import subprocess

    text = subprocess.run([ffmpeg_exe(), "-hide_banner", "-i", str(path)], capture_output=True, text=True,
                          check=False).stderr
    found: list[tuple[str, bool, str]] = []
    for block in re.split(r"\n(?=\s*Stream #)", text):
        head = block.strip().splitlines()[0]
        match = re.match(r"Stream #0:\d+(?:\[\w+\])?(?:\((\w+)\))?: Audio:", head)
        if match:
            title = re.search(r"^\s*(?:title|name)\s*: (.+)$", block, re.MULTILINE)
            found.append((match.group(1) or "und", "(default)" in head, title.group(1).strip() if title else ""))
    return found


def stream_pcm(path: Path, index: int) -> Any:
    raw = ffmpeg("-i", str(path), "-map", f"0:a:{index}", "-ac", "1", "-ar", str(PCM_RATE), "-f", "f32le", "-")
    return np.frombuffer(raw, np.float32)


def levels(samples: Any, start: float, end: float) -> dict[str, float]:
    part = window(samples, start, end)
    return {name: tone_level(part, hz) for name, hz in [*HZ.items(), ("clip", CLIP_HZ), ("music", MUSIC_HZ)]}


def assert_speaks(samples: Any, lang: str) -> None:
    """``lang``'s tone (and no other language's) in the slot, none outside; clip sound and music all along."""
    inside, outside = levels(samples, SLOT[0] + 0.15, SLOT[1] - 0.15), levels(samples, 2.4, 3.8)
    assert inside[lang] > 0.4, (lang, inside)
    assert all(inside[other] < 0.02 for other in HZ if other != lang), (lang, inside)
    assert all(outside[other] < 0.02 for other in HZ), (lang, outside)
    for where in (inside, outside):
        assert where["clip"] > 0.09 and where["music"] > 0.09, (lang, where)


# -- three languages, one run ---------------------------------------------------------------------
def test_three_languages_tracks_and_files_in_one_run(resolve: Any, tmp_path: Path, media: dict[str, Path]) -> None:
    p = plan(dub(order=["es", "fr", "de"]), resolve, tmp_path)
    assert p.languages == ("es", "fr", "de")
    assert p.extra_outputs == {lang: tmp_path / f"out.{lang}.mp4" for lang in ("es", "fr", "de")}
    assert p.copies_video and "libx264" not in p.args  # the dub only changes the sound
    assert p.args.count("-f") == 1 and p.args[p.args.index("-f") + 1] == "tee"  # one output, four files
    render(p)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.de.mp4", "out.es.mp4", "out.fr.mp4", "out.mp4", "work"]

    main = audio_streams(p.out_path)
    assert main == [("spa", True, "Spanish"), ("fre", False, "French"), ("ger", False, "German")]
    source_video = video_packet_hashes(media["clip"])
    assert video_packet_hashes(p.out_path) == source_video
    for index, lang in enumerate(("es", "fr", "de")):
        assert_speaks(stream_pcm(p.out_path, index), lang)
        own = p.extra_outputs[lang]
        (stream,) = audio_streams(own)
        assert stream[0] == {"es": "spa", "fr": "fre", "de": "ger"}[lang]
        assert_speaks(pcm(own), lang)
        assert video_packet_hashes(own) == source_video
        assert probe(own).duration_s == pytest.approx(4.0, abs=0.1)
    assert probe(p.out_path).duration_s == pytest.approx(4.0, abs=0.1)


def test_order_follows_m_languages_else_first_appearance(resolve: Any, tmp_path: Path) -> None:
    assert plan(dub(order=["de", "es"]), resolve, tmp_path).languages == ("de", "es", "fr")
    assert plan(dub(), resolve, tmp_path).languages == ("es", "fr", "de")
    listed_only = plan(dub(order=["it", "es"]), resolve, tmp_path)  # "it" has no speech: shared sound only
    assert listed_only.languages == ("it", "es", "fr", "de")
    render(listed_only)
    assert [s[0] for s in audio_streams(listed_only.out_path)] == ["ita", "spa", "fre", "ger"]
    silent_dub = levels(stream_pcm(listed_only.out_path, 0), 1.2, 1.8)
    assert max(silent_dub[lang] for lang in HZ) < 0.02 and silent_dub["music"] > 0.09


def test_reencode_encodes_the_picture_once_for_every_file(resolve: Any, tmp_path: Path) -> None:
    title = (TEXT, [{"tx": "Hola", "d": 1000}])
    p = plan(dub(extra=[title]), resolve, tmp_path)
    assert not p.copies_video and p.args.count("libx264") == 1
    render(p)
    hashes = video_packet_hashes(p.out_path)
    assert all(video_packet_hashes(path) == hashes for path in p.extra_outputs.values())
    assert_speaks(pcm(p.extra_outputs["fr"]), "fr")


# -- one language ---------------------------------------------------------------------------------
def test_output_language_renders_one_track(resolve: Any, tmp_path: Path) -> None:
    p = plan(dub(order=["es", "fr", "de"]), resolve, tmp_path, language="fr")
    assert p.languages == ("fr",) and p.extra_outputs == {} and "tee" not in p.args and p.copies_video
    render(p)
    assert audio_streams(p.out_path) == [("fre", True, "French")]
    assert_speaks(pcm(p.out_path), "fr")
    assert sorted(x.name for x in tmp_path.iterdir()) == ["out.mp4", "work"]
    assert plan(dub(), resolve, tmp_path, language="DE").languages == ("de",)  # codes compare case-insensitively


@pytest.mark.parametrize("language", ["it", "english", "", "e"])
def test_unknown_or_bad_output_language_is_refused(resolve: Any, tmp_path: Path, language: str) -> None:
    with pytest.raises(RenderError, match="language"):
        plan(dub(), resolve, tmp_path, language=language)


def test_single_language_draft_renders_as_before(resolve: Any, tmp_path: Path) -> None:
    one = dub(slots={"es": SLOT})
    plain = Draft(one.to_json())
    for seg in plain.raw["t"][2]["sg"]:
        del seg["lang"]
    tagged, untagged = plan(one, resolve, tmp_path / "a"), plan(plain, resolve, tmp_path / "b")
    assert tagged.languages == ("es",) and tagged.extra_outputs == {} and untagged.languages == ()
    graph = (tmp_path / "a" / "work" / "filtergraph.txt").read_text()
    assert graph == (tmp_path / "b" / "work" / "filtergraph.txt").read_text()  # the same mix
    assert "tee" not in tagged.args and "-metadata:s:a:0" not in untagged.args
    render(tagged)
    render(untagged)
    assert audio_streams(tagged.out_path) == [("spa", True, "Spanish")]  # tagged, one stream
    assert [s[0] for s in audio_streams(untagged.out_path)] == ["und"]
    assert_speaks(pcm(tagged.out_path), "es")
    assert_speaks(pcm(untagged.out_path), "es")


# -- ducking the original under each language's speech ----------------------------------------------
def test_duck_lowers_the_clip_sound_under_that_languages_speech_only(resolve: Any, tmp_path: Path) -> None:
    slots = {"es": (1.0, 2.0), "fr": (2.5, 3.5)}
    p = plan(dub(duck=True, slots=slots), resolve, tmp_path)
    render(p)
    for index, lang in enumerate(("es", "fr")):
        samples = stream_pcm(p.out_path, index)
        start, end = slots[lang]
        other = slots["fr" if lang == "es" else "es"]
        before = levels(samples, 0.1, 0.9)
        during = levels(samples, start + 0.3, end - 0.1)
        while_other_speaks = levels(samples, other[0] + 0.3, other[1] - 0.1)
        assert during["clip"] < before["clip"] * 0.4, (lang, before, during)
        assert while_other_speaks["clip"] == pytest.approx(before["clip"], rel=0.15), lang  # not keyed by others
        assert during["music"] == pytest.approx(before["music"], rel=0.15)  # music is not ducked
        assert during[lang] > 0.4
    (tmp_path / "b").mkdir()
    undocked = plan(dub(duck=False, slots=slots), resolve, tmp_path / "b")
    render(undocked)
    samples = stream_pcm(undocked.out_path, 0)
    assert levels(samples, 1.3, 1.9)["clip"] == pytest.approx(levels(samples, 0.1, 0.9)["clip"], rel=0.15)


def test_duck_on_an_untagged_draft_ducks_under_the_voiceover(rendered: Any) -> None:
    samples = pcm(rendered((VIDEO, [{"src": "clip", "duck": True}]),
                           (AUDIO, [{"src": "voice", "k": "voiceover", "st": 1000, "d": 1500}])))
    before, during = tone_level(window(samples, 0.1, 0.9), CLIP_HZ), tone_level(window(samples, 1.4, 2.4), CLIP_HZ)
    after = tone_level(window(samples, 3.0, 3.9), CLIP_HZ)
    assert during < before * 0.4 and after == pytest.approx(before, rel=0.15)


# -- checks and clean-up ------------------------------------------------------------------------------
@pytest.mark.parametrize(("where", "value", "message"), [
    ("seg", 12, "'lang' must be a language code"),
    ("seg", "español", "'lang' must be a language code"),
    ("meta", "es", "m.languages must be a list"),
    ("meta", ["es", 3], "each of m.languages must be a language code"),
])
def test_bad_languages_are_refused(resolve: Any, tmp_path: Path, where: str, value: Any, message: str) -> None:
    draft = dub()
    if where == "seg":
        draft.raw["t"][2]["sg"][0]["lang"] = value
    else:
        draft.raw["m"]["languages"] = value
    with pytest.raises(RenderError, match=message):
        plan(draft, resolve, tmp_path)


def test_failed_run_leaves_no_file(resolve: Any, voices: dict[str, MediaRef], tmp_path: Path) -> None:
    doomed = tmp_path / "doomed.wav"
    shutil.copy(voices["de"].path, doomed)
    refs = {"de": MediaRef(doomed, voices["de"].info)}
    p = plan(dub(), lambda name: refs.get(name) or resolve(name), tmp_path)
    doomed.unlink()
    with pytest.raises(FFmpegError):
        render(p)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["work"]


def test_cancel_leaves_no_file(resolve: Any, tmp_path: Path) -> None:
    draft = dub(extra=[(VIDEO, [{"src": "still", "k": "image", "st": 4000, "d": 30 * 60_000}])])
    draft.raw["m"]["canvas"] = {"w": 1280, "h": 720}
    p = plan(draft, resolve, tmp_path)
    assert len(p.extra_outputs) == 3
    cancel = threading.Event()
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            render(p, on_progress=lambda _: cancel.set(), cancel=cancel)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive() and len(outcome) == 1 and isinstance(outcome[0], RenderCancelled)
    assert sorted(x.name for x in tmp_path.iterdir()) == ["work"]
