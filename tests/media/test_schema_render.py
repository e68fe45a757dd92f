"""The render check and the draft's builders read one field schema: they accept and refuse the same values."""
from __future__ import annotations

import copy
from typing import Any

import pytest

from nemo_nb.draft import AUDIO, SEGMENT_FIELDS, TEXT, VIDEO, Draft, FieldError, Segment
from nemo_nb.draft.fields import Choice, Colour, Field, Flag, Label, LanguageCode, MediaId, Number, Text
from nemo_nb.local.media.render import MediaRef
from nemo_nb.local.media.timeline import RenderError, read_timeline

BASE = {VIDEO: {"src": "clip", "d": 1000}, AUDIO: {"src": "tone", "d": 1000}, TEXT: {"tx": "hi", "d": 1000}}


def bad_values(field: Field) -> list[Any]:
    """Values the field must refuse, by its type (a new kind of field needs its cases here)."""
    if isinstance(field, Number):
        return [field.lo - 1, (1000 if field.up_to_duration else field.hi) + 1, "7", True]
    if isinstance(field, Choice):
        return ["nope", 3]
    if isinstance(field, Flag):
        return ["yes", 1]
    if isinstance(field, Text):
        return [5, "x" * (field.max_chars + 1)]
    if isinstance(field, MediaId):
        return [42, ""]
    if isinstance(field, Colour):
        return ["#fff", "red:drawtext=x"]
    if isinstance(field, LanguageCode):
        return ["español", 12]
    raise AssertionError(f"no bad values known for a {type(field).__name__} field ({field.key})")


CASES = [(field.key, track_type, value)
         for field in SEGMENT_FIELDS.values() if not isinstance(field, Label)
         for track_type in field.tracks for value in bad_values(field)]


@pytest.mark.parametrize(("key", "track_type", "value"), CASES, ids=[f"{k}-{t}-{v!r:.12}" for k, t, v in CASES])
def test_render_check_and_setters_refuse_the_same_values(refs: dict[str, MediaRef], key: str, track_type: int,
                                                         value: Any) -> None:
    raw = copy.deepcopy(BASE[track_type])
    with pytest.raises(FieldError) as refused:
        Segment(raw, track_type).set(key, value)
    assert key not in raw or raw[key] == BASE[track_type][key]
    raw[key] = value
    draft = Draft({"t": [{"tt": track_type, "sg": [raw]}]})
    with pytest.raises(RenderError) as rendered:
        read_timeline(draft, refs.get)
    assert str(rendered.value) == f"track 1 segment 1: {refused.value}"


def test_a_draft_written_by_the_builders_reads_as_written(refs: dict[str, MediaRef]) -> None:
    draft = Draft()
    draft.set_canvas(1081, 1921, "fill")
    draft.track(VIDEO).add_video("video", 0, 2000, src="clip", in_ms=500, volume=40, duck=True)
    draft.track(VIDEO).add_video("image", 2000, 1000, src="still")
    draft.track(AUDIO).add_audio("music", 0, 3000, src="music", volume=30, fade_in_ms=500, fade_out_ms=3000)
    draft.track(AUDIO, "Dub").add_audio("voiceover", 500, 900, src="voice", lang="pt-BR")
    draft.track(TEXT).add_text("title", "Gold\ttitle", 0, 1500, pos="top", colour="Gold", font_px=8)
    draft.track(TEXT, "Captions").add_text("caption", "a line", 100, 400, colour="#A0B0C0")
    draft.set_languages(["pt-BR"])
    timeline = read_timeline(draft, refs.get)
    (clip, still), (music, dub) = timeline.visuals, timeline.sounds
    assert (clip.start_ms, clip.dur_ms, clip.in_ms, clip.volume, clip.duck) == (0, 2000, 500, 40, True)
    assert (still.start_ms, still.dur_ms, still.volume, still.duck) == (2000, 1000, 100, False)
    assert (music.kind, music.volume, music.fade_in_ms, music.fade_out_ms, music.lang) == ("music", 30, 500, 3000, None)
    assert (dub.kind, dub.start_ms, dub.dur_ms, dub.lang) == ("voiceover", 500, 900, "pt-br")
    title, caption = timeline.captions
    assert (title.text, title.pos, title.colour, title.size_px) == ("Gold title", "top", "0xffd700", 8)
    assert (caption.kind, caption.pos, caption.colour, caption.size_px) == ("caption", "bottom", "0xa0b0c0", None)
    assert timeline.canvas is not None and (timeline.canvas.width, timeline.canvas.height) == (1080, 1920)
    assert timeline.languages == ("pt-br",) and timeline.duration_ms == 3000


def test_a_field_added_to_the_schema_is_checked_by_the_render_check(refs: dict[str, MediaRef],
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(SEGMENT_FIELDS, "op", Number("op", "opacity", "opacity in percent", (VIDEO,), hi=100))
    draft = Draft()
    segment = draft.track(VIDEO).add_video("video", 0, 1000, src="clip")
    draft.track(TEXT).add({"tx": "on text the field does not exist", "d": 500, "op": "ignored"})
    segment.set("op", 60)
    assert len(read_timeline(draft, refs.get).visuals) == 1
    segment.raw["op"] = 101
    with pytest.raises(RenderError, match=r"track 1 segment 1 \('seg_\w+'\): 'op' = 101 is outside 0\.\.100"):
        read_timeline(draft, refs.get)
    with pytest.raises(FieldError, match=r"'op' = 101 is outside 0\.\.100"):
        segment.set("op", 101)
