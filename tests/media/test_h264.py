"""The H.264 header reading that splicing relies on, on real x264 output and on hostile bytes."""
from __future__ import annotations

from pathlib import Path

import pytest
from media_helpers import ffmpeg

from nemo_nb.local.media import h264


def avcc_of(path: Path) -> bytes:
    data = path.read_bytes()
    at = data.index(b"avcC")
    size = int.from_bytes(data[at - 4:at], "big")
    return data[at + 4:at - 4 + size]


@pytest.fixture(scope="module")
def encoded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("h264")
    out = {}
    for name, extra in (("baseline", ["-preset", "ultrafast"]), ("high", ["-preset", "medium"]),
                        ("id5", ["-preset", "ultrafast", "-x264-params", "sps-id=5"])):
        out[name] = folder / f"{name}.mp4"
        ffmpeg("-f", "lavfi", "-i", "testsrc2=s=160x120:r=10:d=1", "-c:v", "libx264", *extra, "-pix_fmt", "yuv420p",
               str(out[name]))
    return out


def test_parse_and_write_back_real_records(encoded):
    for path in encoded.values():
        raw = avcc_of(path)
        config = h264.AvcConfig.parse(raw)
        assert config.to_bytes() == raw
        assert config.length_size == 4 and len(config.sps) == len(config.pps) == 1
    assert h264.AvcConfig.parse(avcc_of(encoded["baseline"])).profile == 66
    high = h264.AvcConfig.parse(avcc_of(encoded["high"]))
    assert high.profile == 100 and high.tail  # High profile records carry the chroma/bit-depth extension


def test_parameter_set_ids(encoded):
    assert h264.AvcConfig.parse(avcc_of(encoded["baseline"])).sps_ids() == {0}
    five = h264.AvcConfig.parse(avcc_of(encoded["id5"]))
    assert five.sps_ids() == {5} and h264.pps_ids(five.pps[0]) == (5, 5)


def test_adding_parameter_sets_keeps_both_and_refuses_clashes(encoded):
    base = h264.AvcConfig.parse(avcc_of(encoded["baseline"]))
    five = h264.AvcConfig.parse(avcc_of(encoded["id5"]))
    both = base.with_sets(list(five.sps), list(five.pps))
    again = h264.AvcConfig.parse(both.to_bytes())
    assert again.sps_ids() == {0, 5} and again.pps_ids() == {0, 5}
    assert base.with_sets(list(base.sps), list(base.pps)) == base  # the same sets are not added twice
    high = h264.AvcConfig.parse(avcc_of(encoded["high"]))
    with pytest.raises(h264.BitstreamError):
        base.with_sets(list(high.sps), list(high.pps))  # both use id 0


def test_nal_units_round_trip_and_idr():
    idr, sei = bytes([0x65, 0x88, 0x84]), bytes([0x06, 0x05, 0x01])
    sample = h264.join_units([sei, idr], 4)
    assert h264.nal_units(sample, 4) == [sei, idr]
    assert h264.is_idr(sample, 4) and not h264.is_idr(h264.join_units([bytes([0x41, 0x9a])], 4), 4)
    assert h264.nal_units(h264.join_units([idr], 2), 2) == [idr]


@pytest.mark.parametrize("bad", [b"", b"\x00", b"\x02\x64\x00\x1f\xff\xe1", b"\x01\x64\x00\x1f\xff\xe1\x00\x10\x67",
                                 b"\x01\x64\x00\x1f\xff\xe0"])
def test_hostile_records_raise(bad):
    with pytest.raises(h264.BitstreamError):
        h264.AvcConfig.parse(bad)


@pytest.mark.parametrize("bad", [b"\x00\x00\x00\x05\x65", b"\x00\x00\x00\x00", b"\x00\x00"])
def test_hostile_samples_raise(bad):
    with pytest.raises(h264.BitstreamError):
        h264.nal_units(bad, 4)


def test_hostile_headers_raise():
    with pytest.raises(h264.BitstreamError):
        h264.sps_id(bytes([0x67, 0x42, 0, 0x1e, 0, 0, 0]))  # the id's Exp-Golomb code never ends
    with pytest.raises(h264.BitstreamError):
        h264.pps_ids(bytes([0x65, 0x80]))  # not a PPS
