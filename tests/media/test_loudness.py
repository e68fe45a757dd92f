"""Exports are normalised to −14 LUFS integrated with true peak ≤ −1 dBTP (two-pass), keeping the mix's balance."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from media_helpers import ffmpeg, loudness, pcm, tone_level, window

from nemo_nb.draft import Draft
from nemo_nb.local.media.probe import probe
from nemo_nb.local.media.render import MediaRef, RenderError, plan_render, render

VIDEO, AUDIO = 0, 1


@pytest.fixture(scope="module")
def sounds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, MediaRef]:
    """Speech-like bursts with sharp peaks (crest ~18 dB, like a TTS voice), quiet music, a quiet clip."""
    d = tmp_path_factory.mktemp("loud")
    # Syllables: 180 Hz buzz with harmonics, on/off 3x a second, with a click on each onset.
    speech = ("0.3*sin(2*PI*180*t)*(0.6+0.4*sin(2*PI*900*t))*gt(sin(2*PI*3*t),0)*gt(sin(2*PI*0.45*t),-0.3)"
              "+0.9*lt(mod(t,0.333),0.002)")
    ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{speech}':d=8:s=24000", str(d / "speech.wav"))
    ffmpeg("-f", "lavfi", "-i", "sine=f=220:d=8:sample_rate=44100,volume=0.1", "-ac", "2", str(d / "music.wav"))
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=6", "-f", "lavfi",
           "-i", "sine=f=440:d=6:sample_rate=48000,volume=0.2", "-c:v", "libx264", "-preset", "ultrafast",
           "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", str(d / "quiet.mp4"))
    return {p.stem: MediaRef(p, probe(p)) for p in d.iterdir()}


@pytest.fixture()
def export(sounds: dict[str, MediaRef], tmp_path: Path) -> Callable[..., tuple[Path, Any]]:
    counter = iter(range(100))

    def _export(*tracks: tuple[int, list[dict[str, Any]]], meta: dict[str, Any] | None = None,
                **kw: Any) -> tuple[Path, Any]:
        n = next(counter)
        draft = Draft({"t": [{"tt": tt, "sg": sg} for tt, sg in tracks], "m": dict(meta or {})})
        plan = plan_render(draft, sounds.get, tmp_path / f"out{n}.mp4", tmp_path / f"work{n}", **kw)
        return plan.out_path, render(plan)

    return _export


VOICE = (AUDIO, [{"src": "speech", "k": "voiceover"}])
MUSIC = (AUDIO, [{"src": "music", "k": "music", "duck": True}])


@pytest.mark.slow
@pytest.mark.parametrize("tracks", [[VOICE], [MUSIC], [VOICE, MUSIC], [(VIDEO, [{"src": "quiet"}])]],
                         ids=["voice", "music", "voice+music", "clip-sound"])
def test_every_kind_of_export_is_at_minus_14_lufs_with_peaks_under_minus_1(export, tracks) -> None:
    out, report = export(*tracks)
    integrated, peak = loudness(out)
    assert integrated == pytest.approx(-14, abs=1.0)
    assert peak <= -1.0
    assert "→ -14 LUFS" in report.sound  # the render log says what it did


@pytest.mark.slow
def test_music_alone_is_no_longer_near_silent(export, sounds) -> None:
    before, _ = loudness(sounds["music"].path)
    out, _ = export(MUSIC)
    assert before < -25 and loudness(out)[0] > -15


@pytest.mark.slow
def test_the_target_is_settable_in_the_draft_and_per_render(export) -> None:
    podcast, _ = export(VOICE, meta={"loudness": -16})
    quiet, _ = export(VOICE, loudness=-23)
    assert loudness(podcast)[0] == pytest.approx(-16, abs=1.0)
    assert loudness(quiet)[0] == pytest.approx(-23, abs=1.0)


@pytest.mark.slow
def test_off_keeps_the_mix_as_it_is(export, sounds) -> None:
    out, report = export(MUSIC, meta={"loudness": "off"})
    assert loudness(out)[0] == pytest.approx(loudness(sounds["music"].path)[0], abs=0.5)
    assert report.sound == "loudness as mixed"


@pytest.mark.slow
def test_voice_and_music_keep_their_balance(export) -> None:
    """One gain for the whole mix: the music's level relative to the clip's sound is what it was."""
    clip = (VIDEO, [{"src": "quiet"}])
    music = (AUDIO, [{"src": "music", "k": "music", "v": 50}])
    mixed, _ = export(clip, music, meta={"loudness": "off"})
    levelled, _ = export(clip, music)

    def ratio(path: Path) -> float:
        part = window(pcm(path), 1.0, 5.0)
        return tone_level(part, 220) / tone_level(part, 440)

    assert ratio(levelled) == pytest.approx(ratio(mixed), rel=0.05)
    assert tone_level(window(pcm(levelled), 1.0, 5.0), 440) > 1.5 * tone_level(window(pcm(mixed), 1.0, 5.0), 440)


def test_silence_stays_silent(export) -> None:
    out, _ = export((VIDEO, [{"src": "quiet", "v": 0}]), (AUDIO, [{"src": "music", "v": 0}]))
    assert float(abs(pcm(out)).max()) < 1e-4


@pytest.mark.parametrize("value", [0, -60, "loud", True, float("nan"), float("-inf"), 10**400, [1], {"i": -14}])
def test_a_bad_target_is_refused(export, value) -> None:
    with pytest.raises(RenderError, match="loudness"):
        export(VOICE, meta={"loudness": value})


@pytest.mark.slow
def test_a_real_voice_pushed_through_the_limiter_keeps_its_peaks_after_aac(tmp_path: Path) -> None:
    """The project's own neural voice (mono, peaky) levelled to several targets, each through the limiter:
    the encoded file's true peak stays under -1 dBTP (an AAC coder can lift limited mono peaks by dBs)."""
    pytest.importorskip("piper")
    from nemo_nb.local.media.tts import engine

    voice = tmp_path / "voice.wav"
    engine().synthesize("Hello, I'm here with big news from the Atlas team. Starting today, your sales dashboard "
                        "updates live, so every order and return shows up the moment it happens. Reports are "
                        "one click away.", voice)
    refs = {"voice": MediaRef(voice, probe(voice))}
    for target in (-16, -14, -13, -12, -11):
        draft = Draft({"t": [{"tt": AUDIO, "sg": [{"src": "voice", "k": "voiceover"}]}], "m": {"loudness": target}})
        plan = plan_render(draft, refs.get, tmp_path / f"v{-target}.mp4", tmp_path / f"work{-target}")
        report = render(plan)
        integrated, peak = loudness(plan.out_path)
        assert "through a peak limiter" in report.sound, report.sound
        assert integrated == pytest.approx(target, abs=1.0) and peak <= -1.0, (target, integrated, peak)
