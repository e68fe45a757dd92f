"""Loudness from the user's side: exports through the client and the embedded backend come out at −14 LUFS
by default, at the asked target with ``export(loudness=…)``, as mixed with ``"off"``; a bad target fails
the render with a message that says why."""
from __future__ import annotations

import pytest
from media_helpers import loudness

from nemo_nb import Nemo
from nemo_nb.api import Timings, errors

FAST = Timings(render_poll_min_s=0.05, render_poll_max_s=0.2)


@pytest.fixture
def session(backend, clip):
    n = Nemo(backend.url, web_url=backend.url, timings=FAST)
    s = n.session()
    s.upload(clip)
    s.send("add my clip to the timeline")
    yield s
    n.close()


@pytest.mark.slow
def test_exports_are_normalised_and_the_target_is_settable(session, clip, tmp_path) -> None:
    source, _ = loudness(clip)
    default = session.export(tmp_path / "default.mp4")
    podcast = session.export(tmp_path / "podcast.mp4", loudness=-16)
    as_mixed = session.export(tmp_path / "as_mixed.mp4", loudness="off")
    for export, target in ((default, -14), (podcast, -16)):
        integrated, peak = loudness(export.path)
        assert integrated == pytest.approx(target, abs=1.0) and peak <= -1.0
    assert loudness(as_mixed.path)[0] == pytest.approx(source, abs=0.7)
    assert abs(source + 14) > 2  # the clip's own tone is not already at the target


def test_a_bad_target_fails_the_render_saying_why(session, tmp_path) -> None:
    with pytest.raises(errors.RenderFailed, match="loudness"):
        session.export(tmp_path / "bad.mp4", loudness="very loud")
