"""``%nemo transcript`` and the transcript lane, in an IPython shell (no kernel) against the embedded backend."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from nemo_nb.draft import Draft
from nemo_nb.notebook import get_magics
from nemo_nb.notebook.errors import NemoCellError
from nemo_nb.notebook.timeline import timeline_svg
from nemo_nb.notebook.transcript_view import TranscriptView
from nemo_nb.transcript import Transcript, Utterance, Word

pytest.importorskip("IPython")
pytest.importorskip("faster_whisper")


def cell(ip: Any, code: str) -> tuple[Any, list[dict[str, Any]], str]:
    """Run ``code``; (result, display bundles, printed text). No output may hold the client's token."""
    from IPython.utils.capture import capture_output

    with capture_output(display=True) as cap:
        result = ip.run_cell(code)
    bundles = [o.data for o in cap.outputs]
    magics = get_magics(ip)
    client = magics.controller.client if magics is not None else None
    token = client.aio.identity._token if client is not None else None
    everything = cap.stdout + cap.stderr + "".join(str(v) for b in bundles for v in b.values())
    assert not token or token not in everything
    return result, bundles, cap.stdout + cap.stderr


@pytest.fixture(scope="module")
def shell(tmp_path_factory: pytest.TempPathFactory):
    from IPython.core.interactiveshell import InteractiveShell

    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "nemo_nb")
    data = tmp_path_factory.mktemp("transcript-magics")
    result, _, printed = cell(ip, f"%nemo connect --local --data-dir {data}")
    assert result.success, printed
    yield ip
    cell(ip, "%nemo disconnect")
    ip.run_line_magic("unload_ext", "nemo_nb")


@pytest.mark.slow
def test_transcript_magic_shows_the_words_and_stores_them(shell, spoken) -> None:
    clip, lines = spoken
    assert cell(shell, "%nemo new talk")[0].success
    assert cell(shell, f"%nemo upload {clip}")[0].success
    result, bundles, printed = cell(shell, "%nemo transcript --out said")
    assert result.success, printed
    final = bundles[-1]
    assert "Transcript of talk.mp4" in final["text/plain"] and "language en" in final["text/plain"]
    assert re.search(r"\[0:0\d\.\d–0:0\d\.\d\] Welcome", final["text/plain"])
    svg = re.search(r"<svg.*?</svg>", final["text/html"], re.DOTALL).group(0)
    ET.fromstring(svg)
    assert ">Transcript<" in svg and "confidence" in svg
    said = shell.user_ns["said"]
    assert isinstance(said, Transcript) and len(said.segments_df()) == len(lines)
    assert {"start_s", "end_s", "word", "probability"} <= set(said.words_df().columns)
    quiet, bundles, _ = cell(shell, "%nemo transcript --quiet --out again")
    assert quiet.success and not bundles and shell.user_ns["again"].text == said.text


@pytest.mark.slow
def test_transcript_magic_fails_short_without_speech(shell, silent_clip: Path) -> None:
    assert cell(shell, "%nemo new mute")[0].success
    assert cell(shell, f"%nemo upload {silent_clip}")[0].success
    result, _, printed = cell(shell, "%nemo transcript")
    assert isinstance(result.error_in_exec, NemoCellError), printed
    assert "Traceback" not in printed and "no clip with sound" in printed
    result, _, printed = cell(shell, "%nemo transcript --bogus")
    assert isinstance(result.error_in_exec, NemoCellError) and "--bogus" in printed


def test_transcript_lane_and_view_escape_what_was_said() -> None:
    hostile = '</svg><script>alert("x")</script> & co'
    words = (Word(500, 900, hostile, 0.9),)
    transcript = Transcript((Utterance(500, 2500, hostile, 0.8, words),), filename="<b>x</b>.mp4")
    draft = Draft({"t": [{"tt": 0, "sg": [{"k": "video", "st": 0, "d": 3000, "n": "clip"}]}]})
    svg = timeline_svg(draft, transcript=transcript)
    root = ET.fromstring(svg)
    assert "<script" not in svg and "&lt;script&gt;" in svg
    lanes = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text") if t.text in ("Transcript", "1 Video")]
    assert lanes == ["1 Video", "Transcript"]
    bundle = TranscriptView(transcript, draft).bundle()
    assert "<script" not in bundle["text/html"] and "<b>" not in bundle["text/html"]
    assert "80%" in bundle["text/html"] and hostile in bundle["text/plain"]
    ET.fromstring(timeline_svg(Draft(), transcript=transcript))  # no tracks: the lane still draws
    assert "Transcript" not in timeline_svg(draft)  # no transcript: no lane
