"""The smart-render worker process: ``python -m nemo_nb.local.media.splice_worker`` (job JSON on stdin).

It reads the source's packets with PyAV, plans which frames can be copied (``gop.plan_pieces``), re-encodes
the others with the ffmpeg binary in ONE run (ffmpeg decodes them, draws the titles and encodes; each piece
starts with an IDR picture and is coded with parameter-set ids of its own), and writes one H.264 stream: the
copied packets and the new ones, in decode order, the sample entry listing the parameter sets of both.
PyAV's libraries (and the x264 they are built with) are GPL, like ffmpeg: they stay in this process.

Job: ``{"source", "out", "work", "rate": [num, den], "size": [w, h], "clips": [[in_ms, frames], …],
"captions": [{"filter", "first", "end"}, …], "crf", "preset", "max_share"}`` (caption frames are output
frames, half-open). Stdout lines: ``{"progress": pct}`` … then ``{"ok": true, "copied", "encoded",
"pieces"}``, or ``{"ok": false, "reason"}`` when the source cannot be spliced safely (the caller renders
in full), or ``{"ok": false, "error"}``.
"""
from __future__ import annotations

import bisect
import itertools
import json
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Any

import av

from nemo_nb.local.media import h264
from nemo_nb.local.media.ffmpeg import FFmpegError, run_ffmpeg
from nemo_nb.local.media.gop import Piece, SourceFrame, decode_timestamps, plan_pieces
from nemo_nb.local.media.titles import enabled

MAX_ENCODED_PIECES = 24  # one input each in the encoder's run (~20 MB of decoder each at 1080p)


class NotSpliceable(Exception):
    """The source cannot be spliced safely; the message says why (the caller encodes in full)."""


@dataclass
class Source:
    """The source's video stream: its facts and its packets in decode order."""

    path: Path
    time_base: Fraction
    frame_ticks: int  # one frame's duration in ``time_base`` ticks
    config: h264.AvcConfig
    frames: list[SourceFrame]
    pts: list[int]  # per decode position
    start_s: Fraction  # the container's start time: "-ss" positions count from it
    width: int
    height: int
    sar: Fraction | None
    colours: dict[str, Any]
    used_ids: set[int]  # parameter-set ids the source uses, in its avcC or in-band
    keyframes: int  # packets marked as keyframes (IDR pictures or, in open GOPs, plain I-frames)


def read_source(path: Path, rate: Fraction, size: tuple[int, int]) -> Source:
    """Index the first video stream; ``NotSpliceable`` when it is not one clean, constant-rate H.264 stream."""
    with av.open(str(path), metadata_errors="ignore") as container:
        if not container.streams.video:
            raise NotSpliceable("the source has no video stream")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        if ctx.name != "h264":
            raise NotSpliceable(f"the source is {ctx.name}, not H.264")
        if ctx.pix_fmt != "yuv420p":
            raise NotSpliceable(f"the source's pixels are {ctx.pix_fmt}, not yuv420p")
        if (ctx.width, ctx.height) != size:
            raise NotSpliceable(f"the source is {ctx.width}x{ctx.height}, the output {size[0]}x{size[1]}")
        try:
            config = h264.AvcConfig.parse(bytes(ctx.extradata or b""))
        except h264.BitstreamError as exc:
            raise NotSpliceable(str(exc)) from None
        if config.profile not in h264.PROFILE_NAMES:
            raise NotSpliceable(f"profile {config.profile} cannot be matched by the encoder")
        if stream.time_base is None:
            raise NotSpliceable("the source's video stream has no time base")
        time_base = Fraction(stream.time_base)
        entries: list[tuple[int, int, bool]] = []  # (dts, pts, idr)
        used_ids = config.sps_ids() | config.pps_ids()
        keyframes = 0
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.pts is None or packet.dts is None or packet.is_discard or packet.is_corrupt:
                raise NotSpliceable("the source has packets without timestamps, discarded or corrupt")
            data = memoryview(packet)
            idr = False
            for pos, length in _spans(data, config.length_size):
                kind = data[pos] & 0x1F
                idr = idr or kind == h264.NAL_IDR
                if kind == h264.NAL_SPS:  # parameter sets sent in-band: their ids are taken too
                    used_ids.add(h264.sps_id(bytes(data[pos:pos + length])))
                elif kind == h264.NAL_PPS:
                    used_ids.add(h264.pps_ids(bytes(data[pos:pos + length]))[0])
            entries.append((packet.dts, packet.pts, idr and packet.is_keyframe))
            keyframes += packet.is_keyframe
        start_s = Fraction(container.start_time or 0, 1_000_000)
        width, height, sar, colours = ctx.width, ctx.height, _sar(stream), _colours(ctx)
        container.seek(0, stream=stream)
        first_frame = next(container.decode(stream), None)
        if first_frame is not None and (first_frame.rotation or first_frame.interlaced_frame):
            raise NotSpliceable("the source is rotated or interlaced")
    if not entries or not entries[0][2]:
        raise NotSpliceable("the source does not start with an IDR picture")
    if len(used_ids) > h264.MAX_SPS_ID:
        raise NotSpliceable("the source uses every parameter-set id")
    ticks = _frame_ticks([pts for _, pts, _ in entries], time_base, rate)
    order = sorted(range(len(entries)), key=lambda i: entries[i][1])
    display = [0] * len(entries)
    for rank, i in enumerate(order):
        display[i] = rank
    frames = [SourceFrame(display[i], entries[i][2]) for i in range(len(entries))]
    return Source(path, time_base, ticks, config, frames, [pts for _, pts, _ in entries], start_s,
                  width, height, sar, colours, used_ids, keyframes)


def _spans(sample: memoryview, length_size: int) -> list[tuple[int, int]]:
    try:
        return h264.unit_spans(sample, length_size)
    except h264.BitstreamError as exc:
        raise NotSpliceable(f"a source packet is malformed: {exc}") from None


def _frame_ticks(pts: list[int], time_base: Fraction, rate: Fraction) -> int:
    """One frame's duration in ticks; ``NotSpliceable`` unless every frame lasts exactly 1/rate."""
    ticks = 1 / (rate * time_base)
    ordered = sorted(pts)
    if ticks.denominator != 1 or len(set(ordered)) != len(ordered):
        raise NotSpliceable(f"the source's time base {time_base} cannot hold {rate} fps frames exactly")
    if any(b - a != ticks for a, b in itertools.pairwise(ordered)):
        raise NotSpliceable(f"the source's frame rate is variable or not {float(rate):.3f} fps")
    return int(ticks)


def _sar(stream: Any) -> Fraction | None:
    sar = stream.sample_aspect_ratio
    return Fraction(sar) if sar else None


def _colours(ctx: Any) -> dict[str, Any]:
    """The source's colour description, as libx264 options (unspecified values left out)."""
    names = {"color_primaries": ctx.color_primaries, "color_trc": ctx.color_trc, "colorspace": ctx.colorspace,
             "color_range": ctx.color_range}
    return {key: int(value) for key, value in names.items() if value not in (None, 0, 2)}


def first_frames(source: Source, clips: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """(first display index, frame count) of each clip: the first frame at or after its in-point, as "-ss" picks it.

    A clip may run past the source's end (its container lasts longer, e.g. by its sound): the last frame is held."""
    by_display = sorted(source.pts)
    ranges = []
    for in_ms, count in clips:
        wanted = Fraction(in_ms, 1000) + source.start_s
        index = 0 if in_ms == 0 else bisect.bisect_left(by_display, wanted / source.time_base)
        if index >= len(by_display) or count <= 0:
            raise NotSpliceable("a clip starts after the source's last frame")
        ranges.append((index, count))
    return ranges


def encode_pieces(source: Source, pieces: list[Piece], captions: list[dict[str, Any]], job: dict[str, Any],
                  progress: Callable[[float], None]) -> tuple[list[list[bytes]], h264.AvcConfig]:
    """Re-encode the pieces in one ffmpeg run; the samples of each piece and the encoder's parameter sets.

    ffmpeg decodes each piece's frames itself (one input per piece, sought to just before its first frame,
    so the first frame kept is exactly that one), joins them, draws the titles and encodes them, each
    piece starting with an IDR picture, with parameter-set ids the source does not use.
    """
    encoded = [p for p in pieces if not p.copy]
    if not encoded:
        return [], source.config
    if len(encoded) > MAX_ENCODED_PIECES:
        raise NotSpliceable(f"the picture changes in {len(encoded)} separate places")
    new_id = next(i for i in range(h264.MAX_SPS_ID + 1) if i not in source.used_ids)
    rate = Fraction(job["rate"][0], job["rate"][1])
    work = Path(job["work"])
    out = work / "pieces.mp4"
    script = work / "pieces_filter.txt"
    inputs, chains, starts, total = [], [], [], 0
    shown_at = sorted(source.pts)
    for index, piece in enumerate(encoded):
        starts.append(total)
        total += piece.count
        first = min(piece.first, len(shown_at) - 1)  # past the source's end its last frame is held
        seek = shown_at[first] * source.time_base - source.start_s - 1 / (2 * rate)
        length = (piece.count + 2) / rate
        inputs += [*(["-ss", f"{float(seek):.6f}"] if seek > 0 else []), "-t", f"{float(length):.6f}",
                   "-protocol_whitelist", "file", "-i", str(source.path)]
        chains.append(f"[{index}:v:0]setpts=PTS-STARTPTS,tpad=stop=-1:stop_mode=clone,"
                      f"trim=end_frame={piece.count}[p{index}]")
    joined = "".join(f"[p{i}]" for i in range(len(encoded)))
    joined += f"concat=n={len(encoded)}:v=1:a=0," if len(encoded) > 1 else "null,"
    script.write_text(";\n".join([*chains, f"{joined}{_filters(source, encoded, captions)}[v]"]) + "\n",
                      encoding="utf-8")
    keyframes = "+".join(f"eq(n,{start})" for start in starts)
    x264 = f"sps-id={new_id}:bframes=0:scenecut=0:keyint=infinite:open-gop=0"
    colours = [arg for key, value in source.colours.items() for arg in (f"-{key}", str(value))]
    args = [*inputs, "-/filter_complex", str(script), "-map", "[v]", "-fps_mode", "passthrough",
            "-c:v", "libx264", "-preset", str(job.get("preset", "ultrafast")), "-crf", str(job.get("crf", 18)),
            "-profile:v", h264.PROFILE_NAMES[source.config.profile], "-level:v", _level(source.config),
            "-x264-params", x264, "-forced-idr", "1", "-force_key_frames", f"expr:{keyframes}",
            "-pix_fmt", "yuv420p", *colours, "-an", "-f", "mp4", str(out)]
    try:
        run_ffmpeg(args, duration_s=float(total / rate), on_progress=lambda pct: progress(10 + 0.7 * pct))
    except FFmpegError as exc:
        raise RuntimeError(f"the encoder failed: {exc}") from None
    return _encoded_samples(out, encoded, source.config.length_size, new_id)


def _level(config: h264.AvcConfig) -> str:
    return f"{config.level // 10}.{config.level % 10}"


def _filters(source: Source, encoded: list[Piece], captions: list[dict[str, Any]]) -> str:
    """The source's pixel aspect, then each title on the joined frames it covers (frames count from 0)."""
    chain = [f"setsar={source.sar.numerator}/{source.sar.denominator}" if source.sar else "setsar=1"]
    for caption in captions:
        spans, joined = [], 0
        for piece in encoded:
            first = max(caption["first"], piece.out_start)
            end = min(caption["end"], piece.out_start + piece.count)
            if end > first:
                spans.append((joined + first - piece.out_start, joined + end - piece.out_start))
            joined += piece.count
        if spans:
            chain.append(enabled(caption["filter"], spans))
    return ",".join(chain)


def _encoded_samples(path: Path, encoded: list[Piece], length_size: int,
                     new_id: int) -> tuple[list[list[bytes]], h264.AvcConfig]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        config = h264.AvcConfig.parse(bytes(stream.codec_context.extradata or b""))
        samples = [bytes(p) for p in container.demux(stream) if p.size]
    if {h264.sps_id(u) for u in config.sps} != {new_id} or {h264.pps_ids(u) for u in config.pps} != {(new_id, new_id)}:
        raise NotSpliceable("the encoder did not use the parameter-set ids it was given")
    if len(samples) != sum(p.count for p in encoded):
        raise RuntimeError(f"the encoder gave {len(samples)} frames for {sum(p.count for p in encoded)}")
    pieces, at = [], 0
    for piece in encoded:
        chunk = [h264.join_units(h264.nal_units(s, config.length_size), length_size)
                 for s in samples[at:at + piece.count]]
        if not h264.is_idr(chunk[0], length_size):
            raise RuntimeError("a re-encoded piece does not start with an IDR picture")
        pieces.append(chunk)
        at += piece.count
    return pieces, config


def write_output(source: Source, pieces: list[Piece], encoded: list[list[bytes]], encoder: h264.AvcConfig,
                 out: Path, progress: Callable[[float], None]) -> None:
    """Mux copied and re-encoded samples, in decode order, into one MP4 video stream (packets stream through:
    the source is never held in memory)."""
    config = source.config if not encoded else source.config.with_sets(list(encoder.sps), list(encoder.pps))
    shown: list[int] = []  # each output packet's output frame, in decode order
    for piece in pieces:
        if piece.copy:
            run = source.frames[piece.decode_start:piece.decode_start + piece.count]
            shown += [piece.out_start + frame.display - piece.first for frame in run]
        else:
            shown += range(piece.out_start, piece.out_start + piece.count)
    dts = decode_timestamps(shown)
    ticks, written = source.frame_ticks, 0
    fresh = iter(encoded)
    with av.open(str(source.path), metadata_errors="ignore") as container, \
            av.open(str(out), "w", format="mp4") as output:
        stream = container.streams.video[0]
        ostream = output.add_stream_from_template(stream)
        ostream.codec_context.extradata = config.to_bytes()
        ostream.time_base = stream.time_base
        for piece in pieces:
            packets = (_copied(container, stream, source, piece) if piece.copy
                       else ((av.Packet(data), n == 0) for n, data in enumerate(next(fresh))))
            for packet, key in packets:
                packet.stream = ostream
                packet.time_base = source.time_base
                packet.pts, packet.dts, packet.duration = shown[written] * ticks, dts[written] * ticks, ticks
                packet.is_keyframe = key
                output.mux(packet)
                written += 1
                if written % 64 == 0:
                    progress(80 + 20 * written / len(shown))


def _copied(container: Any, stream: Any, source: Source, piece: Piece) -> Iterator[tuple[Any, bool]]:
    """The source's packets of a copied piece, in decode order, with their keyframe flags."""
    wanted = source.pts[piece.decode_start:piece.decode_start + piece.count]
    container.seek(wanted[0], stream=stream, backward=True)
    count = 0
    for packet in container.demux(stream):
        if packet.size == 0 or (count == 0 and packet.pts != wanted[0]):
            continue
        if packet.pts != wanted[count]:
            raise RuntimeError("the source's packets changed order while copying")
        yield packet, packet.is_keyframe
        count += 1
        if count == piece.count:
            return
    raise RuntimeError("the source ended before a copied piece did")


def splice(job: dict[str, Any], progress: Callable[[float], None]) -> dict[str, Any]:
    """Do one job; the answer line's content."""
    started = time.perf_counter()
    rate = Fraction(int(job["rate"][0]), int(job["rate"][1]))
    source = read_source(Path(job["source"]), rate, (int(job["size"][0]), int(job["size"][1])))
    progress(10)
    ranges = first_frames(source, [(int(a), int(b)) for a, b in job["clips"]])
    captions = list(job.get("captions", []))
    pieces = plan_pieces(source.frames, ranges, [(int(c["first"]), int(c["end"])) for c in captions])
    total = sum(p.count for p in pieces)
    encoded_count = sum(p.count for p in pieces if not p.copy)
    if encoded_count > float(job.get("max_share", 0.7)) * total:
        why = f"{encoded_count} of {total} frames would be re-encoded: a full encode is as fast"
        if sum(f.idr for f in source.frames) < source.keyframes:
            why += " (the source's GOPs are open: most keyframes are not IDR pictures, so copying cannot resume there)"
        raise NotSpliceable(why)
    read = time.perf_counter()
    encoded, encoder = encode_pieces(source, pieces, captions, job, progress)
    encode = time.perf_counter()
    write_output(source, pieces, encoded, encoder, Path(job["out"]), progress)
    timings = {"read_s": read - started, "encode_s": encode - read, "write_s": time.perf_counter() - encode}
    return {"ok": True, "copied": total - encoded_count, "encoded": encoded_count,
            "pieces": [[p.copy, p.out_start, p.count] for p in pieces],
            "timings": {key: round(value, 3) for key, value in timings.items()}}


def main() -> None:
    out: IO[str] = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # C libraries printing to stdout must not break answers
    av.logging.set_level(av.logging.ERROR)

    def say(answer: dict[str, Any]) -> None:
        out.write(json.dumps(answer) + "\n")
        out.flush()

    last = [0.0]

    def progress(pct: float) -> None:
        if pct - last[0] >= 1:
            last[0] = pct
            say({"progress": round(pct, 1)})

    try:
        answer = splice(json.loads(sys.stdin.read()), progress)
    except NotSpliceable as exc:
        answer = {"ok": False, "reason": str(exc)}
    except (av.FFmpegError, h264.BitstreamError) as exc:
        answer = {"ok": False, "reason": f"the source could not be read: {exc}"}
    except Exception as exc:  # noqa: BLE001 — any failure is reported; the caller renders in full
        answer = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
    say(answer)


if __name__ == "__main__":
    main()
