"""``%nemo transcript`` and the transcript lane, in an IPython shell (no kernel) against the embedded backend."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from untrusted import check_output, decode_png

from nemo_nb.draft import Draft
from nemo_nb.notebook import get_magics
from nemo_nb.notebook import picture as p
from nemo_nb.notebook.errors import NemoCellError
from nemo_nb.notebook.picture import timeline_picture
from nemo_nb.notebook.transcript_view import TranscriptView
from nemo_nb.transcript import Transcript, Utterance, Word

pytest.importorskip("IPython")
pytest.importorskip("faster_whisper")


def cell(ip: Any, code: str) -> tuple[Any, list[dict[str, Any]], str]:
    """Run ``code``; (result, display bundles, printed text). No output may hold the client's token, and each
    reads right in an untrusted notebook (``tests/untrusted.py``)."""
    from IPython.utils.capture import capture_output

    with capture_output(display=True) as cap:
        result = ip.run_cell(code)
    bundles = [o.data for o in cap.outputs]
    for output in cap.outputs:
        check_output(output.data, output.metadata)
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
    assert 'class="nemo-timeline-png"' in final["text/html"] and "<th>confidence</th>" in final["text/html"]
    picture = decode_png(final["image/png"])
    last = (picture.height // (picture.width // 720) - p.TOP_PAD - p.AXIS_H) // (p.LANE_H + p.LANE_GAP) - 1
    said_lane = {lane_colour(picture, last, x / 100) for x in range(100)}
    assert _hex(p.TRANSCRIPT_COLOUR) in said_lane, said_lane  # the last lane: what is said
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


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


def lane_colour(image: Any, lane: int, at: float) -> tuple[int, int, int]:
    """The colour of lane ``lane`` at fraction ``at`` of the plotted time, above the bar's text."""
    s = image.width // 720
    x = round((p.LABEL_W + at * (720 - p.LABEL_W - p.RIGHT_PAD)) * s)
    y = round((p.TOP_PAD + lane * (p.LANE_H + p.LANE_GAP) + 3.5) * s)
    colour: tuple[int, int, int] = image.convert("RGB").getpixel((x, y))
    return colour


def test_transcript_lane_and_view_escape_what_was_said() -> None:
    hostile = '</svg><script>alert("x")</script> & co'
    words = (Word(500, 900, hostile, 0.9),)
    transcript = Transcript((Utterance(500, 2500, hostile, 0.8, words),), filename="<b>x</b>.mp4")
    draft = Draft({"t": [{"tt": 0, "sg": [{"k": "video", "st": 0, "d": 3000, "n": "clip"}]}]})
    lanes = decode_png(timeline_picture(draft, transcript=transcript).b64)
    assert lane_colour(lanes, 0, 0.1) == _hex(p.COLOURS["video"])  # the clip's lane first
    assert lane_colour(lanes, 1, 0.5) == _hex(p.TRANSCRIPT_COLOUR)  # then what is said, 0.5–2.5 s of 3 s
    assert lane_colour(lanes, 1, 0.1) != _hex(p.TRANSCRIPT_COLOUR)  # nothing said before 0.5 s
    data, metadata = TranscriptView(transcript, draft).bundle()
    check_output(data, metadata)
    assert "<script" not in data["text/html"] and "<b>" not in data["text/html"]
    assert "&lt;script&gt;" in data["text/html"] and "80%" in data["text/html"] and hostile in data["text/plain"]
    alone = decode_png(timeline_picture(Draft(), transcript=transcript).b64)  # no tracks: the lane still draws
    assert lane_colour(alone, 1, 0.5) == _hex(p.TRANSCRIPT_COLOUR)
    without = decode_png(timeline_picture(draft).b64).convert("RGB")  # no transcript: no lane
    assert without.height < lanes.height
    assert _hex(p.TRANSCRIPT_COLOUR) not in {colour for _, colour in without.getcolors(1 << 20)}
