"""probe(), sha256_file() and the default font."""
from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from media_helpers import ffmpeg

from nemo_nb.local.media.fonts import default_font, fonts_dir
from nemo_nb.local.media.probe import ProbeError, parse_probe_output, probe, sha256_file


def test_video_with_audio(media: dict[str, Path]) -> None:
    info = probe(media["clip"])
    assert (info.kind, info.width, info.height, info.fps) == ("video", 640, 360, 25.0)
    assert info.duration_s == pytest.approx(4.0, abs=0.1)
    assert info.has_video and info.has_audio
    assert (info.video_codec, info.audio_codec, info.pix_fmt) == ("h264", "aac", "yuv420p")


def test_video_without_audio(media: dict[str, Path]) -> None:
    info = probe(media["silent"])
    assert (info.kind, info.width, info.height, info.fps) == ("video", 320, 240, 30.0)
    assert info.has_video and not info.has_audio and info.audio_codec == ""
    assert info.duration_s == pytest.approx(2.0, abs=0.1)


def test_rotated_video_reports_displayed_size(media: dict[str, Path]) -> None:
    info = probe(media["rotated"])
    assert (info.width, info.height) == (240, 320)


@pytest.mark.parametrize(("name", "codec"), [("still.png", "png"), ("still.jpg", "mjpeg")])
def test_still_images(media_dir: Path, media: dict[str, Path], name: str, codec: str) -> None:
    info = probe(media_dir / name)
    assert (info.kind, info.width, info.height, info.duration_s) == ("image", 320, 240, 0.0)
    assert info.video_codec == codec and not info.has_audio


def test_animated_gif_is_video(media: dict[str, Path]) -> None:
    info = probe(media["anim"])
    assert info.kind == "video" and info.duration_s == pytest.approx(1.0, abs=0.15)


def test_wav(media: dict[str, Path]) -> None:
    info = probe(media["tone"])
    assert (info.kind, info.has_audio, info.has_video) == ("audio", True, False)
    assert info.audio_codec == "pcm_s16le" and info.duration_s == pytest.approx(1.0, abs=0.05)
    assert (info.width, info.height, info.video_codec) == (0, 0, "")


def test_cover_art_does_not_make_audio_a_video(media: dict[str, Path]) -> None:
    info = probe(media["cover"])
    assert (info.kind, info.has_video, info.audio_codec) == ("audio", False, "mp3")


def test_non_media_and_missing_files(media: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(ProbeError, match=r"notes\.txt"):
        probe(media["notes"])
    with pytest.raises(ProbeError, match="no such file"):
        probe(tmp_path / "missing.mp4")
    (tmp_path / "other.mp4").write_bytes(media["silent"].read_bytes())
    script = tmp_path / "playlist.mp4"  # a concat script may read other files: refused
    script.write_text("ffconcat version 1.0\nfile other.mp4\n")
    with pytest.raises(ProbeError, match="not a media file"):
        probe(script)


def test_parse_subtitle_only_listing() -> None:
    text = "Input #0, srt, from 'x.srt':\n  Duration: N/A, bitrate: N/A\n  Stream #0:0: Subtitle: subrip\n"
    with pytest.raises(ProbeError, match="neither audio nor video"):
        parse_probe_output(text, "x.srt")


def test_sha256_file(tmp_path: Path) -> None:
    data = bytes(range(256)) * 9000  # > 2 chunks of 1 MiB
    path = tmp_path / "blob.bin"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()
    assert sha256_file(path, chunk=4096) == hashlib.sha256(data).hexdigest()


def test_default_fonts() -> None:
    regular, bold = default_font(), default_font(bold=True)
    assert regular.name == "DejaVuSans.ttf" and bold.name == "DejaVuSans-Bold.ttf"
    assert regular.read_bytes()[:4] in (b"\x00\x01\x00\x00", b"true")
    assert fonts_dir() == regular.parent


def test_wav_info_reads_the_header_like_probe(tmp_path: Path) -> None:
    from nemo_nb.local.media.probe import wav_info

    wav = tmp_path / "speech.wav"
    ffmpeg("-f", "lavfi", "-i", "sine=f=300:d=1.5:sample_rate=22050", "-ac", "1", str(wav))
    fast, slow = wav_info(wav), probe(wav)
    assert fast.duration_s == pytest.approx(slow.duration_s, abs=0.011)
    assert replace(fast, duration_s=slow.duration_s) == slow
    junk = tmp_path / "junk.wav"
    junk.write_bytes(b"RIFF....WAVEjunk")
    for bad in (tmp_path / "missing.wav", junk):
        with pytest.raises(ProbeError):
            wav_info(bad)


def test_stretching_several_wavs_in_one_run(tmp_path: Path) -> None:
    from nemo_nb.local.media.probe import wav_info
    from nemo_nb.local.skills.voiceover import stretch_all

    paths = []
    for seconds in (1.0, 2.0):
        paths.append(tmp_path / f"{seconds}.wav")
        ffmpeg("-f", "lavfi", "-i", f"sine=f=300:d={seconds}:sample_rate=22050", "-ac", "1", str(paths[-1]))
    stretch_all(paths, 1.25)
    assert [wav_info(p).duration_s for p in paths] == [pytest.approx(0.8, abs=0.01), pytest.approx(1.6, abs=0.01)]
