"""Asking for a loudness in words: the agent sets the exports' level ("for a podcast", "-12 LUFS", "off") and
the exported file measures it; questions about loudness change nothing."""
from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import loudness

from nemo_nb import Nemo
from nemo_nb.local.understanding import Scene, understand

CLIP = Scene(video=True, clips=("clip.mp4",), video_ms=3_000, music=True)


@pytest.mark.parametrize("message,off,lufs", [
    ("normalize the audio for my podcast", False, -16.0),
    ("make it podcast ready", False, -16.0),
    ("set the loudness to -16 LUFS", False, -16.0),
    ("export at 12 lufs please", False, -12.0),
    ("normalise to minus eighteen", False, -18.0),
    ("loudness -20", False, -20.0),
    ("make it broadcast loudness", False, -23.0),
    ("normalise the audio to -14 LUFS for YouTube", False, -14.0),
    ("normalize the volume", False, None),
    ("loudness: -16 LUFS integrated", False, -16.0),
    ("can you normalise it to -16 LKFS for Apple Podcasts", False, -16.0),
    ("把响度调到-16", False, -16.0),
    ("响度调成负十六", False, -16.0),
    ("做成播客的响度", False, -16.0),
    ("响度调成18", False, -18.0),
    ("loudness around 15 please", False, -15.0),
    ("turn off loudness normalization", True, None),
    ("don't normalize the audio", True, None),
    ("no loudness normalisation, keep my mix as it is", True, None),
    ("export without normalization", True, None),
])
def test_loudness_in_words(message: str, off: bool, lufs: float | None) -> None:
    intents = understand(message, CLIP).intents
    assert [i.kind for i in intents] == ["loudness"], intents
    assert (intents[0].note == "off", intents[0].slots.loudness) == (off, lufs)


@pytest.mark.parametrize("message", ["make it louder", "the music is too loud", "set the volume to 50%",
                                     "add a voiceover for my podcast: Hello and welcome",
                                     "how loud will the export be in LUFS?", "don't change the loudness"])
def test_volume_and_questions_are_not_loudness_targets(message: str) -> None:
    assert "loudness" not in understand(message, CLIP).kinds


@pytest.mark.slow
def test_a_podcast_export_measures_minus_16_and_off_keeps_the_mix(nemo: Nemo, clip: Path, tmp_path: Path) -> None:
    s = nemo.session()
    s.upload(clip)
    s.send("add my clip to the timeline")
    before = s.state().draft
    reply = s.send("how loud will my export be?")
    assert s.state().draft.raw == before.raw and reply.credits_used == 0  # a question: answered, nothing changed
    reply = s.send("normalize the audio for my podcast")
    assert s.state().draft.raw["m"]["loudness"] == -16 and "-16 LUFS" in reply.text and "podcast" in reply.text
    integrated, peak = loudness(s.export(tmp_path / "podcast.mp4").path)
    assert abs(integrated + 16) <= 1.0 and peak <= -1.0, (integrated, peak)
    again = s.send("set the loudness to -16 LUFS")
    assert again.credits_used == 0 and "already" in again.text
    s.send("turn off loudness normalization")
    assert s.state().draft.raw["m"]["loudness"] == "off"
    integrated, _ = loudness(s.export(tmp_path / "as_mixed.mp4").path)
    source, _ = loudness(clip)
    assert abs(integrated - source) <= 1.0, (integrated, source)  # the clip's own level, untouched
    refused = s.send("normalize to -60 LUFS")
    assert refused.credits_used == 0 and "-40 to -5 LUFS" in refused.text
    assert s.state().draft.raw["m"]["loudness"] == "off"


@pytest.mark.slow
def test_loudness_questions_are_answered_from_the_draft(nemo: Nemo, clip: Path) -> None:
    s = nemo.session()
    s.upload(clip)
    s.send("add my clip to the timeline")
    assert "-14 LUFS" in s.send("what LUFS does it export at?").text
    s.send("normalise the audio for a podcast")
    reply = s.send("is the export normalized?")
    assert "-16 LUFS" in reply.text and reply.credits_used == 0
