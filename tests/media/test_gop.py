"""Which frames a splice copies and which it re-encodes (pure logic, no media)."""
from __future__ import annotations

import random

import pytest

from nemo_nb.local.media.gop import Piece, SourceFrame, decode_timestamps, plan_pieces


def no_b_frames(count: int, gop: int) -> list[SourceFrame]:
    return [SourceFrame(i, i % gop == 0) for i in range(count)]


def pyramid(count: int, gop: int) -> list[SourceFrame]:
    """Closed GOPs of I/P anchors every 4 frames with B-frames between, in x264's decode order."""
    frames: list[SourceFrame] = []
    for start in range(0, count, gop):
        end = min(count, start + gop)
        frames.append(SourceFrame(start, True))
        anchor = start
        while anchor < end - 1:
            nxt = min(anchor + 4, end - 1)
            frames.append(SourceFrame(nxt, False))
            frames += [SourceFrame(d, False) for d in range(anchor + 1, nxt)]
            anchor = nxt
    return frames


def shown(frames: list[SourceFrame], pieces: list[Piece]) -> list[int]:
    """Source display index of every output frame, checking each copied run really shows those frames."""
    out: list[int] = []
    for piece in pieces:
        assert piece.out_start == len(out)
        if piece.copy:
            run = frames[piece.decode_start:piece.decode_start + piece.count]
            assert run[0].idr and run[0].display == piece.first
            assert sorted(f.display for f in run) == list(range(piece.first, piece.first + piece.count))
        out += list(range(piece.first, piece.first + piece.count))
    return out


@pytest.mark.parametrize("make", [no_b_frames, pyramid])
def test_unchanged_whole_source_is_one_copy(make):
    frames = make(300, 60)
    assert plan_pieces(frames, [(0, 300)], []) == [Piece(True, 0, 300, 0, 0)]


@pytest.mark.parametrize("make", [no_b_frames, pyramid])
def test_a_title_re_encodes_up_to_the_next_keyframe_only(make):
    frames = make(300, 60)
    pieces = plan_pieces(frames, [(0, 300)], [(70, 100)])
    assert shown(frames, pieces) == list(range(300))
    encoded = [(p.out_start, p.out_start + p.count) for p in pieces if not p.copy]
    assert len(encoded) == 1
    start, end = encoded[0]
    assert start <= 70 and end == 120  # the change's GOP ends at the keyframe at 120
    assert start >= 60  # the part of the GOP before the title is copied where the stream allows it


def test_without_b_frames_the_copy_reaches_the_first_changed_frame():
    frames = no_b_frames(300, 60)
    pieces = plan_pieces(frames, [(0, 300)], [(70, 100)])
    assert [(p.copy, p.out_start, p.count) for p in pieces] == [(True, 0, 70), (False, 70, 50), (True, 120, 180)]


@pytest.mark.parametrize("make", [no_b_frames, pyramid])
def test_a_trim_off_a_keyframe_re_encodes_only_to_the_next_keyframe(make):
    frames = make(300, 60)
    pieces = plan_pieces(frames, [(75, 200)], [])
    assert shown(frames, pieces) == list(range(75, 275))
    assert (pieces[0].copy, pieces[0].count) == (False, 45)
    assert all(p.copy for p in pieces[1:-1])


@pytest.mark.parametrize("make", [no_b_frames, pyramid])
def test_a_cut_out_middle_joins_two_ranges(make):
    frames = make(300, 60)
    pieces = plan_pieces(frames, [(0, 100), (190, 110)], [])
    assert shown(frames, pieces) == list(range(100)) + list(range(190, 300))
    assert sum(p.count for p in pieces if not p.copy) < 60


def test_a_range_past_the_end_holds_the_last_frame_re_encoded():
    frames = no_b_frames(100, 30)
    pieces = plan_pieces(frames, [(0, 103)], [])
    assert pieces[-1] == Piece(False, 100, 3, 100)
    assert pieces[0] == Piece(True, 0, 100, 0, 0)


def test_open_gops_and_i_frames_without_idr_are_never_copy_starts():
    frames = [SourceFrame(i, i == 0) for i in range(120)]  # one IDR, later keyframes are plain I-frames
    pieces = plan_pieces(frames, [(10, 100)], [])
    assert pieces == [Piece(False, 10, 100, 0)]


def test_bad_input_is_refused():
    with pytest.raises(ValueError):
        plan_pieces([SourceFrame(0, True), SourceFrame(0, False)], [(0, 2)], [])
    with pytest.raises(ValueError):
        plan_pieces(no_b_frames(10, 5), [(10, 2)], [])


@pytest.mark.parametrize("seed", range(20))
def test_random_drafts_always_show_the_right_frames(seed):
    rng = random.Random(seed)  # noqa: S311 — random drafts, not secrets
    frames = (pyramid if seed % 2 else no_b_frames)(rng.randint(50, 400), rng.choice([12, 30, 48, 250]))
    n = len(frames)
    ranges = []
    for _ in range(rng.randint(1, 4)):
        first = rng.randrange(n)
        ranges.append((first, rng.randint(1, n - first)))
    total = sum(c for _, c in ranges)
    changed = [(a, a + rng.randint(1, 40)) for a in (rng.randrange(total) for _ in range(rng.randint(0, 3)))]
    pieces = plan_pieces(frames, ranges, changed)
    assert shown(frames, pieces) == [f + k for f, c in ranges for k in range(c)]
    for a, b in changed:  # every changed frame is re-encoded
        for frame in range(a, min(b, total)):
            assert any(not p.copy and p.out_start <= frame < p.out_start + p.count for p in pieces)


def test_decode_timestamps_never_run_ahead_of_display():
    displays = [0, 4, 2, 1, 3, 8, 6, 5, 7]
    dts = decode_timestamps(displays)
    assert dts == sorted(dts) and len(set(dts)) == len(dts)
    assert all(d <= p for d, p in zip(dts, displays, strict=True))
    assert decode_timestamps([0, 1, 2]) == [0, 1, 2]
