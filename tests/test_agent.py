"""The editing agent through the HTTP API: each skill end to end, probing the exported MP4."""
from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from media_helpers import frame, pcm, rms, window
from rawapi import RawApi

from nemo_nb import samples
from nemo_nb.local.credits import COSTS
from nemo_nb.local.media.probe import probe

SCRIPT = ("Welcome to our product walkthrough. This dashboard shows your sales at a glance. "
          "Click any chart to see the details.")


@pytest.fixture(scope="module")
def colours(media_dir: Path) -> Path:
    """A silent 6 s clip: red, green, blue, 2 s each."""
    return samples.make_color_sequence(media_dir / "colours.mp4", seconds_each=2)


@pytest.fixture(scope="module")
def silent_long(media_dir: Path) -> Path:
    return samples.make_clip(media_dir / "silent8.mp4", seconds=8, audio=False)


def replies(events) -> str:
    return "".join(e["content"] for e in events if e and e.get("type") == "text")


def balance(api: RawApi) -> int:
    return api.call("GET", "/api/credits/balance/simple").json()["data"]["available"]


def export(api: RawApi, sid: str, name: str, tmp_path: Path) -> Path:
    assert api.render(sid, name).status_code == 200
    done = api.wait_render(name)["data"]
    assert done["status"] == "completed", done
    out = tmp_path / f"{name}.mp4"
    out.write_bytes(api.call("GET", f"/api/render/proxy/{name}/download").content)
    return out


def voiced(api: RawApi, clip: Path, message: str) -> tuple[str, list]:
    sid = api.session()
    api.upload(sid, clip)
    return sid, api.sse(sid, message)


@pytest.mark.slow
def test_voiceover_speech_where_the_script_is(api: RawApi, silent_long: Path, tmp_path: Path):
    sid, events = voiced(api, silent_long, f"add a natural AI voiceover in English: {SCRIPT}")
    text = replies(events)
    assert "Added an English voiceover: 3 sentences" in text and "Joe" in text
    assert [e["name"] for e in events if e and e.get("type") == "tool_call"] == ["generate_voiceover"]
    draft = api.state(sid)["state"]["draft"]
    voice = next(t for t in draft["t"] if t.get("n") == "Voiceover")["sg"]
    assert [s["n"] for s in voice] == ["Welcome to our product walkthrough.",
                                       "This dashboard shows your sales at a glance.",
                                       "Click any chart to see the details."]
    assert balance(api) == 100 - COSTS["voiceover"]
    out = export(api, sid, "render_vo", tmp_path)
    info = probe(out)
    assert info.has_audio and info.video_codec == "h264" and abs(info.duration_s - 8.0) < 0.1
    samples_ = pcm(out)
    speech = [rms(window(samples_, (s["st"] + 100) / 1000, (s["st"] + s["d"] - 100) / 1000)) for s in voice]
    gaps = [(0.0, voice[0]["st"] / 1000 - 0.05)] + [
        ((a["st"] + a["d"]) / 1000 + 0.05, b["st"] / 1000 - 0.05) for a, b in itertools.pairwise(voice)]
    silence = [rms(window(samples_, a, b)) for a, b in gaps if b - a > 0.1]
    assert min(speech) > 0.02 and max(silence) < 0.005
    state = api.state(sid)["state"]
    srt = next(g for g in state["generated_media"] if g["filename"].endswith(".srt"))
    assert "Welcome to our product walkthrough." in api.http.get(srt["cdn_url"]).text


@pytest.mark.slow
def test_voiceover_copies_the_video_stream(api: RawApi, silent_long: Path, tmp_path: Path):
    from media_helpers import video_packet_hashes

    sid, _ = voiced(api, silent_long, f"add a voiceover: {SCRIPT}")
    out = export(api, sid, "render_vo_copy", tmp_path)
    assert video_packet_hashes(out) == video_packet_hashes(silent_long)


def test_voiceover_asks_for_a_script_and_charges_nothing(api: RawApi, silent_long: Path):
    sid, events = voiced(api, silent_long, "generate a natural-sounding voiceover in English for this silent video")
    assert "I need the words to say" in replies(events)
    assert balance(api) == 100 and api.state(sid)["state"]["draft"]["t"] == []


@pytest.mark.parametrize("prompt", [
    "generate a natural-sounding voiceover in English for this silent video",
    "add a natural AI voiceover in English for my product walkthrough video",
    "adding AI-generated voiceovers to silent or muted videos for content creators, marketers, educators",
])
@pytest.mark.slow
def test_seed_voiceover_prompts_with_an_uploaded_script(api: RawApi, silent_long: Path, tmp_path: Path, prompt):
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT)
    sid = api.session()
    api.upload(sid, silent_long, script)
    text = replies(api.sse(sid, prompt))
    assert "from script.txt" in text and "Added an English voiceover" in text
    assert any(t.get("n") == "Voiceover" for t in api.state(sid)["state"]["draft"]["t"])


@pytest.mark.parametrize("prompt", ["add a 2-minute product demo video into a 1080p MP4",
                                    "convert a 3-minute product explainer video in English into a 1080p MP4"])
@pytest.mark.slow
def test_seed_conversion_prompts(api: RawApi, clip: Path, tmp_path: Path, prompt):
    sid = api.session()
    api.upload(sid, clip)
    text = replies(api.sse(sid, prompt))
    assert "1920x1080" in text
    info = probe(export(api, sid, f"render_{abs(hash(prompt))}", tmp_path))
    assert (info.width, info.height) == (1920, 1080)


def test_vague_request_is_answered_for_free(api: RawApi, clip: Path):
    sid = api.session()
    api.upload(sid, clip)
    text = replies(api.sse(sid, "make it look better"))
    assert "Here is what I can do" in text and "Nothing was charged" in text and balance(api) == 100


@pytest.mark.slow
def test_script_too_long_says_by_how_much_and_is_free(api: RawApi, media_dir: Path):
    short = samples.make_clip(media_dir / "short2.mp4", seconds=2, audio=False)
    _, events = voiced(api, short, f"add a voiceover: {SCRIPT} {SCRIPT}")
    text = replies(events)
    assert "too long" in text and "Cut about" in text and balance(api) == 100


@pytest.mark.slow
def test_spanish_female_and_pace(api: RawApi, silent_long: Path):
    sid, events = voiced(api, silent_long, "add a voiceover in Spanish with a female voice: Hola a todos. "
                                           "Bienvenidos a nuestra demostración.")
    text = replies(events)
    assert "Spanish voiceover" in text and "espeak-ng" in text
    files = api.state(sid)["state"]["generated_media"]
    assert any(f["filename"].startswith("voiceover-es-") for f in files)


@pytest.mark.slow
def test_captions_burned_in_and_visible(api: RawApi, silent_long: Path, tmp_path: Path):
    sid, _ = voiced(api, silent_long, f"add a voiceover: {SCRIPT}")
    api.sse(sid, "make it 9:16 with black bars")  # bars by name: plain black under the picture, where the text shows
    plain = export(api, sid, "render_nocap", tmp_path)
    text = replies(api.sse(sid, "burn in captions"))
    assert "Captions are on: 3 cues" in text
    captioned = export(api, sid, "render_cap", tmp_path)
    cue = next(t for t in api.state(sid)["state"]["draft"]["t"] if t.get("n") == "Captions")["sg"][0]
    t = (cue["st"] + cue["d"] / 2) / 1000
    band = slice(1380, 1536)  # the black bar under the 4:3 picture in a 1080x1920 frame, above the unsafe bottom 20%
    assert frame(plain, t)[band].mean() < 5
    assert (frame(captioned, t)[band] > 200).mean() > 0.01  # white caption text in the bar


@pytest.mark.slow
def test_title_position_colour_timing(api: RawApi, colours: Path, tmp_path: Path):
    sid = api.session()
    api.upload(sid, colours)
    api.sse(sid, "add my clip to the timeline")
    events = api.sse(sid, 'add a title "Launch Day" at the top in yellow from 1s for 2 seconds')
    assert any(e and e.get("type") == "tool_call" for e in events)
    assert replies(events) == "Added the title “Launch Day” in yellow at the top, 1s–3s."  # the reply says what changed
    api.sse(sid, "make it 9:16")
    out = export(api, sid, "render_title", tmp_path)
    top = slice(100, 350)
    yellow = lambda f: ((f[top, :, 0] > 180) & (f[top, :, 1] > 180) & (f[top, :, 2] < 90)).mean()  # noqa: E731
    assert yellow(frame(out, 2.0)) > 0.005 and yellow(frame(out, 0.5)) == 0 and yellow(frame(out, 4.0)) == 0


@pytest.mark.slow
def test_music_bed_ducked_under_voice(api: RawApi, silent_long: Path, tmp_path: Path):
    sid, _ = voiced(api, silent_long, "add a voiceover: Hello there. This is a short demo.")
    text = replies(api.sse(sid, "add calm background music at 30% with a fade in of 1 second"))
    assert "ambient" in text and "30% volume" in text and "ducked" in text
    out = export(api, sid, "render_music", tmp_path)
    assert abs(probe(out).duration_s - 8.0) < 0.1
    voice = next(t for t in api.state(sid)["state"]["draft"]["t"] if t.get("n") == "Voiceover")["sg"]
    gap = ((voice[0]["st"] + voice[0]["d"]) / 1000 + 0.4, voice[1]["st"] / 1000 - 0.05)
    assert gap[1] - gap[0] > 0.3
    assert rms(window(pcm(out), *gap)) > 0.005  # the music alone, between two sentences


@pytest.mark.slow
def test_mute_original_audio(api: RawApi, clip: Path, tmp_path: Path):
    sid = api.session()
    api.upload(sid, clip)
    api.sse(sid, "add my clip to the timeline")
    assert "Muted" in replies(api.sse(sid, "mute the original audio"))
    assert rms(pcm(export(api, sid, "render_mute", tmp_path))) < 1e-4


@pytest.mark.parametrize("ratio,fit,size", [("9:16", "fill", (1080, 1920)), ("1:1", "fit", (1080, 1080)),
                                            ("16:9", "fit", (1920, 1080))])
@pytest.mark.slow
def test_aspect_ratios(api: RawApi, colours: Path, tmp_path: Path, ratio, fit, size):
    sid = api.session()
    api.upload(sid, colours)
    api.sse(sid, f"make it {ratio} and {fit} the frame")
    out = export(api, sid, f"render_{ratio.replace(':', 'x')}_{fit}", tmp_path)
    info = probe(out)
    assert (info.width, info.height) == size
    picture = frame(out, 0.5)
    edge = picture[:, :20] if size == (1920, 1080) else picture[:20]  # where a 4:3 picture leaves bars
    if fit == "fill":
        assert edge[..., 0].mean() > 150  # red to the edge: cropped, no bars
    else:
        assert edge.mean() < 20  # black bars


@pytest.mark.slow
def test_vertical_by_default_has_no_black_bars(api: RawApi, colours: Path, tmp_path: Path):
    """"make it 9:16" puts the 4:3 picture over a blurred, darkened copy of itself: no black bars."""
    sid = api.session()
    api.upload(sid, colours)
    text = replies(api.sse(sid, "make it 9:16"))
    assert "blurred" in text and "no black bars" in text
    picture = frame(export(api, sid, "render_vertical_blur", tmp_path), 0.5)
    for band in (picture[:400], picture[-400:]):  # above and below the 1080x810 picture
        assert band.mean() > 30 and (band.max(axis=2) < 16).mean() < 0.02
        assert band[..., 0].mean() < picture[900:1000, :, 0].mean()  # darker than the picture itself


@pytest.mark.parametrize("prompt,duration,first_colour", [
    ("trim the first 2 seconds", 4.0, "green"),
    ("remove the last 2 seconds", 4.0, "red"),
    ("cut from 0:01 to 0:03", 4.0, "red"),
    ("keep only 0:02 to 0:04", 2.0, "green"),
])
@pytest.mark.slow
def test_trims_at_the_asked_times(api: RawApi, colours: Path, tmp_path: Path, prompt, duration, first_colour):
    sid = api.session()
    api.upload(sid, colours)
    api.sse(sid, "add my clip to the timeline")
    assert "from every track" in replies(api.sse(sid, prompt))
    out = export(api, sid, f"render_trim_{abs(hash(prompt))}", tmp_path)
    assert abs(probe(out).duration_s - duration) < 0.1
    channel = {"red": 0, "green": 1, "blue": 2}
    pixel = frame(out, 0.3)[10, 10]
    assert int(np.argmax(pixel)) == channel[first_colour]
    if prompt.startswith("cut"):
        assert int(np.argmax(frame(out, 1.5)[10, 10])) == channel["green"]  # 0:03-0:04 follows 0:00-0:01


def test_undo_restores_the_previous_timeline(api: RawApi, colours: Path):
    sid = api.session()
    api.upload(sid, colours)
    api.sse(sid, "add my clip to the timeline")
    before = api.state(sid)["state"]["draft"]
    api.sse(sid, "trim the first 2 seconds")
    text = replies(api.sse(sid, "undo"))
    assert text.startswith("Undid the last change")
    assert api.state(sid)["state"]["draft"] == before
    assert "nothing to undo" in replies(api.sse(sid, "undo")) or api.state(sid)["state"]["draft"]["t"] == []


@pytest.mark.slow
def test_batch_each_upload_has_its_own_timeline(api: RawApi, colours: Path, clip: Path, tmp_path: Path):
    sid = api.session()
    api.upload(sid, colours, clip)
    api.sse(sid, "work on colours.mp4")
    api.sse(sid, "trim the first 2 seconds")
    first = export(api, sid, "render_batch_1", tmp_path)
    assert "Now working on clip.mp4" in replies(api.sse(sid, "work on clip.mp4"))
    second = export(api, sid, "render_batch_2", tmp_path)
    assert abs(probe(first).duration_s - 4.0) < 0.1 and abs(probe(second).duration_s - 3.0) < 0.1
    api.sse(sid, "work on colours.mp4")  # its trimmed timeline comes back
    assert api.state(sid)["state"]["draft"]["d"] == 4000


def test_chinese_keywords(api: RawApi, silent_long: Path):
    sid, events = voiced(api, silent_long, "添加配音：欢迎使用我们的产品。")
    assert "Chinese voiceover" in replies(events)
    assert "Undid" in replies(api.sse(sid, "撤销"))
