"""The few H.264 bitstream facts that splicing needs: NAL units, parameter set ids, and the ``avcC`` record.

An MP4 stores H.264 samples as length-prefixed NAL units and the parameter sets (SPS, PPS) once, in the
sample entry's ``avcC`` record. A spliced stream keeps the source's parameter sets and adds those of the
re-encoded pieces under ids of their own, so every slice still finds the parameter sets it was coded with.
Pure Python, no decoding: only headers are read.
"""
from __future__ import annotations

from dataclasses import dataclass

NAL_SLICE = 1
NAL_IDR = 5
NAL_SEI = 6
NAL_SPS = 7
NAL_PPS = 8
MAX_SPS_ID = 31
# avcC carries chroma format and bit depth after the PPS list for these profiles (ISO/IEC 14496-15).
_EXTENDED_PROFILES = frozenset({100, 110, 122, 144})
PROFILE_NAMES = {66: "baseline", 77: "main", 100: "high"}  # profile_idc → x264 profile that may encode it


class BitstreamError(ValueError):
    """The data is not the H.264 structure it should be."""


@dataclass(frozen=True)
class AvcConfig:
    """An ``avcC`` record: the stream's profile, level, NAL length size and parameter sets."""

    profile: int
    compatibility: int
    level: int
    length_size: int
    sps: tuple[bytes, ...]
    pps: tuple[bytes, ...]
    tail: bytes = b""  # High-profile extension (chroma format, bit depths, SPS extensions), kept as it is

    @classmethod
    def parse(cls, data: bytes) -> AvcConfig:
        if len(data) < 7 or data[0] != 1:
            raise BitstreamError("not an avcC record (the stream stores parameter sets in-band)")
        length_size = (data[4] & 3) + 1
        pos = 5
        lists: list[tuple[bytes, ...]] = []
        for count_mask in (0x1F, 0xFF):
            if pos >= len(data):
                raise BitstreamError("truncated avcC record")
            count, pos = data[pos] & count_mask, pos + 1
            units = []
            for _ in range(count):
                if pos + 2 > len(data):
                    raise BitstreamError("truncated avcC record")
                size = int.from_bytes(data[pos:pos + 2], "big")
                unit = data[pos + 2:pos + 2 + size]
                if len(unit) != size or size == 0:
                    raise BitstreamError("truncated avcC record")
                units.append(bytes(unit))
                pos += 2 + size
            lists.append(tuple(units))
        return cls(data[1], data[2], data[3], length_size, lists[0], lists[1], bytes(data[pos:]))

    def to_bytes(self) -> bytes:
        if len(self.sps) > MAX_SPS_ID + 1 or len(self.pps) > 255:
            raise BitstreamError("too many parameter sets for one avcC record")
        out = bytearray([1, self.profile, self.compatibility, self.level, 0xFC | (self.length_size - 1),
                         0xE0 | len(self.sps)])
        for unit in self.sps:
            out += len(unit).to_bytes(2, "big") + unit
        out.append(len(self.pps))
        for unit in self.pps:
            out += len(unit).to_bytes(2, "big") + unit
        if self.profile in _EXTENDED_PROFILES:
            out += self.tail
        return bytes(out)

    def sps_ids(self) -> set[int]:
        return {sps_id(unit) for unit in self.sps}

    def pps_ids(self) -> set[int]:
        return {pps_ids(unit)[0] for unit in self.pps}

    def with_sets(self, sps: list[bytes], pps: list[bytes]) -> AvcConfig:
        """This record with more parameter sets (ids must not clash with the ones it holds)."""
        new_sps = [unit for unit in sps if unit not in self.sps]
        new_pps = [unit for unit in pps if unit not in self.pps]
        if {sps_id(u) for u in new_sps} & self.sps_ids() or {pps_ids(u)[0] for u in new_pps} & self.pps_ids():
            raise BitstreamError("the added parameter sets reuse ids of the stream's own")
        return AvcConfig(self.profile, self.compatibility, self.level, self.length_size,
                         self.sps + tuple(new_sps), self.pps + tuple(new_pps), self.tail)


def nal_units(sample: bytes, length_size: int) -> list[bytes]:
    """The NAL units of one length-prefixed sample."""
    return [bytes(sample[pos:pos + size]) for pos, size in unit_spans(sample, length_size)]


def unit_spans(sample: bytes | memoryview, length_size: int) -> list[tuple[int, int]]:
    """(offset, size) of each NAL unit of one length-prefixed sample, without copying it."""
    spans, pos, end = [], 0, len(sample)
    while pos < end:
        if pos + length_size > end:
            raise BitstreamError("a NAL length runs past the end of the sample")
        size = int.from_bytes(sample[pos:pos + length_size], "big")
        pos += length_size
        if size == 0 or pos + size > end:
            raise BitstreamError("a NAL unit runs past the end of the sample")
        spans.append((pos, size))
        pos += size
    return spans


def join_units(units: list[bytes], length_size: int) -> bytes:
    """Length-prefix ``units`` into one sample."""
    limit = 1 << (8 * length_size)
    if any(len(unit) >= limit for unit in units):
        raise BitstreamError(f"a NAL unit is too large for {length_size}-byte lengths")
    return b"".join(len(unit).to_bytes(length_size, "big") + unit for unit in units)


def nal_type(unit: bytes) -> int:
    return unit[0] & 0x1F


def is_idr(sample: bytes, length_size: int) -> bool:
    """The sample holds an IDR slice: decoding can start here with nothing remembered from before."""
    return any(nal_type(unit) == NAL_IDR for unit in nal_units(sample, length_size))


def sps_id(unit: bytes) -> int:
    """``seq_parameter_set_id`` of an SPS NAL unit."""
    if nal_type(unit) != NAL_SPS or len(unit) < 5:
        raise BitstreamError("not a sequence parameter set")
    return _Bits(unit[4:]).ue()


def pps_ids(unit: bytes) -> tuple[int, int]:
    """(``pic_parameter_set_id``, the SPS id it refers to) of a PPS NAL unit."""
    if nal_type(unit) != NAL_PPS or len(unit) < 2:
        raise BitstreamError("not a picture parameter set")
    bits = _Bits(unit[1:])
    return bits.ue(), bits.ue()


class _Bits:
    """An RBSP bit reader (emulation prevention bytes removed) for Exp-Golomb header fields."""

    def __init__(self, data: bytes):
        self.data = bytes(data).replace(b"\x00\x00\x03", b"\x00\x00")
        self.pos = 0

    def bit(self) -> int:
        if self.pos >= 8 * len(self.data):
            raise BitstreamError("a header field runs past its NAL unit")
        value = (self.data[self.pos >> 3] >> (7 - (self.pos & 7))) & 1
        self.pos += 1
        return value

    def ue(self) -> int:
        zeros = 0
        while self.bit() == 0:
            zeros += 1
            if zeros > 31:
                raise BitstreamError("an Exp-Golomb code longer than 32 bits")
        value = 0
        for _ in range(zeros):
            value = (value << 1) | self.bit()
        return (1 << zeros) - 1 + value
