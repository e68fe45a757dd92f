"""A talking presenter without any model: a drawn head-and-shoulders figure whose mouth follows the
phoneme timings of the speech, whose eyes blink every few seconds, and who moves a little — the head
sways, the shoulders breathe, and the head nods on some stressed syllables (``avatar_motion``).

How it is rendered: the frame timeline is reduced to runs of one picture (mouth shape × eyes open,
half-closed or closed × one of a few quantized poses); each distinct picture is drawn once with Pillow
(``avatar_art``: the background and the figure's layers once, each pose once, then small eye and mouth
patches pasted in) and converted to raw yuv420p once, and ffmpeg encodes one frame per run from a concat
list of those pictures (``stills``: variable frame rate, the cost of the picture changes, not of the
frames), with the speech (H.264 + AAC), in one run. A minute of speech is a few hundred list entries and at
most ``len(POSES)`` × 24 pictures (65–75 for a 150-word script), never one Python-drawn image per frame.

Hostile input: colours come only as ``#rrggbb`` or a few names, an image background must be an existing
PNG/JPEG/WebP/GIF/BMP file Pillow can read, sizes are even and at most 1920×1920, durations at most
15 minutes; anything else raises ``ValueError`` before work starts.
"""
from __future__ import annotations

import bisect
import contextvars
import itertools
import math
import numbers
import os
import random
import re
import tempfile
import threading
import time
import unicodedata
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps

from nemo_nb.draft.colours import COLOURS, colour_hex
from nemo_nb.local.media import stills
from nemo_nb.local.media.avatar_art import (
    VISEMES,
    Artist,
    Layout,
    PresenterStyle,
)
from nemo_nb.local.media.avatar_art import background as draw_background
from nemo_nb.local.media.avatar_motion import REST, Pose, motion_track, speech_level
from nemo_nb.local.media.ffmpeg import AAC_AUDIO, RenderCancelled, run_ffmpeg
from nemo_nb.local.media.loudness import check_target, level_file
from nemo_nb.local.media.probe import MediaInfo

__all__ = [
    "MAX_DURATION_S", "STYLES", "VISEMES", "PresenterStyle", "blink_track", "mouth_track", "render_presenter",
    "viseme_of",
]

MAX_SIDE = 1920
MIN_WIDTH, MIN_HEIGHT = 320, 180
MAX_DURATION_S = 15 * 60.0
FPS_RANGE = (10, 60)
MAX_PHONEMES = 200_000
MIN_SEGMENT_S = 0.06  # the mouth holds a shape at least this long (1.5 frames at 25 fps)
BRIDGE_GAP_S = 0.1  # shorter silences between phonemes (word joins) keep the mouth moving
BLINK_EVERY_S = (2.0, 6.0)
BLINK_LENGTH_S = (0.12, 0.18)
BACKGROUND_FORMATS = ("PNG", "JPEG", "WEBP", "GIF", "BMP")
MAX_BACKGROUND_PIXELS = 40_000_000
CONTAINER = ["-map_metadata", "-1", "-movflags", "+faststart", "-f", "mp4"]
# The speech's peaks, when levelled here: under the export's linear ceiling even after AAC (which adds up to
# ~0.6 dB), so exporting the presenter measures it and applies a plain gain, without the limiter's trial run.
SPEECH_LIMIT_DB = -3.5
_DRAW_SHARE = 10.0  # percent of the progress bar given to drawing

STYLES: Mapping[str, PresenterStyle] = {
    style.name: style for style in (
        PresenterStyle(
            name="professional", description="navy suit, white shirt and tie, short dark hair; neutral colours",
            skin="#f0c5a0", skin_shade="#d9a07b", blush="#ec8f80", hair="#3a2a22", hair_style="short",
            brows="#2e211b", iris="#5a3d2b", lips="#bf6368", outfit="suit",
            top="#27334b", top_shade="#1a2234", shirt="#f3f5f8", tie="#a3283c",
        ),
        PresenterStyle(
            name="friendly", description="terracotta sweater over a light shirt, long auburn hair; warm colours",
            skin="#e8b08a", skin_shade="#cf8f6b", blush="#f08a7a", hair="#7b3a1e", hair_style="long",
            brows="#5a2a16", iris="#4f6b3a", lips="#c4565c", outfit="sweater",
            top="#dd7457", top_shade="#b85a42", shirt="#fbe7c6",
        ),
        PresenterStyle(
            name="modern", description="teal blazer over a white tee, short curly black hair",
            skin="#a8704c", skin_shade="#8c5a3b", blush="#c0645a", hair="#1f1a19", hair_style="curly",
            brows="#171312", iris="#3b2619", lips="#8f4a45", outfit="blazer",
            top="#2b7a78", top_shade="#1f5c5a", shirt="#f4f1ea",
        ),
    )
}

# IPA symbols → visemes. Symbols are matched by their first letter after dropping length marks, stress
# and diacritics, so espeak's diphthongs (``oʊ``, ``aɪ``) and affricates (``tʃ``) and piper's single
# codepoints all land somewhere sensible.
_VISEME_LETTERS = {
    "closed": "mbp",
    "fv": "fvɱʋ",
    "teeth": "szʃʒtdθðcɟçʝjkgɡxɣχnŋɲɳɴʂʐɕʑʈɖ",
    "small": "əɘɜɚɝlɫʎɬɮɹrɾɻʀʁhɦʔħʕ",
    "wide": "iɪeɛɨɯɤᵻ",
    "open": "aɑæʌɐɒäɶ",
    "round": "ouʊɔwʍyʏøœɥʉɵ",
}
_VISEME_OF_LETTER = {ch: vis for vis, letters in _VISEME_LETTERS.items() for ch in letters}
_GRADIENT = re.compile(r"gradient:\s*(\S+?)\s*(?:→|->|,|\s)\s*(\S+)", re.IGNORECASE)


def viseme_of(symbol: str) -> str | None:
    """The mouth shape for one phoneme symbol (IPA); ``None`` for what is not a speech sound."""
    for ch in symbol.strip().lower():
        if ch in _VISEME_OF_LETTER:
            return _VISEME_OF_LETTER[ch]
        if unicodedata.category(ch) in ("Ll", "Lu", "Lo"):
            return "small"  # a letter this table does not know: a neutral, slightly open mouth
        # Stress and length marks, diacritics (modifier letters, combining marks), digits and
        # punctuation are skipped.
    return None


# --- tracks --------------------------------------------------------------------------------------------------

def _check_duration(duration_s: float) -> float:
    try:
        value = float(duration_s)
    except (TypeError, ValueError):
        raise ValueError(f"duration {duration_s!r} is not a number") from None
    if not 0 < value <= MAX_DURATION_S:  # also rejects NaN
        raise ValueError(f"duration must be between 0 and {MAX_DURATION_S:g} s, not {duration_s!r}")
    return value


def _spans(phonemes: Iterable[Sequence[Any]], duration: float) -> list[tuple[float, float, str]]:
    """Checked (start, end, viseme) spans inside ``[0, duration]``, in time order."""
    spans = []
    if isinstance(phonemes, (str, bytes)) or not isinstance(phonemes, Iterable):
        raise ValueError("phonemes are a list of (symbol, start_s, end_s)")
    for count, item in enumerate(phonemes):
        if count >= MAX_PHONEMES:
            raise ValueError(f"more than {MAX_PHONEMES} phonemes")
        try:
            symbol, start, end = item
            start, end = float(start), float(end)
        except (TypeError, ValueError):
            raise ValueError(f"a phoneme is (symbol, start_s, end_s), not {item!r:.80}") from None
        if not isinstance(symbol, str) or not (math.isfinite(start) and math.isfinite(end)):
            raise ValueError(f"a phoneme is (symbol, start_s, end_s), not {item!r:.80}")
        start, end = max(0.0, start), min(duration, end)
        viseme = viseme_of(symbol)
        if viseme is not None and end > start:
            spans.append((start, end, viseme))
    spans.sort()
    return spans


def mouth_track(
    phonemes: Iterable[Sequence[Any]], duration_s: float, *, min_s: float = MIN_SEGMENT_S
) -> list[tuple[str, float, float]]:
    """Mouth shapes over time: contiguous ``(viseme, start_s, end_s)`` segments covering ``[0, duration_s]``.

    ``phonemes`` are ``(symbol, start_s, end_s)`` as ``Speech.phonemes`` gives them. Silences longer than
    ``BRIDGE_GAP_S`` are ``"rest"``; shorter gaps keep the previous shape. Runs of segments shorter than
    ``min_s`` are merged (each merged piece takes the shape that lasted longest in it), so the mouth never
    changes faster than that.
    """
    duration = _check_duration(duration_s)
    min_s = max(0.0, float(min_s))
    segs: list[list[Any]] = []  # [viseme, start, end]
    cursor = 0.0
    for start, end, viseme in _spans(phonemes, duration):
        start = max(start, cursor)
        if end <= start:
            continue
        if start > cursor:
            if segs and start - cursor < BRIDGE_GAP_S:
                segs[-1][2] = start
            else:
                segs.append(["rest", cursor, start])
        segs.append([viseme, start, end])
        cursor = end
    if cursor < duration:
        segs.append(["rest", cursor, duration])
    segs = _smooth(_merge(segs), min_s)
    return [(v, round(a, 4), round(b, 4)) for v, a, b in _merge(segs)]


def _merge(segs: list[list[Any]]) -> list[list[Any]]:
    """Join neighbours showing the same shape."""
    out: list[list[Any]] = []
    for seg in segs:
        if out and out[-1][0] == seg[0]:
            out[-1][2] = seg[2]
        else:
            out.append(list(seg))
    return out


def _smooth(segs: list[list[Any]], min_s: float) -> list[list[Any]]:
    """Cut runs of too-short segments into pieces of at least ``min_s``, each showing its longest shape."""
    out: list[list[Any]] = []
    i = 0
    while i < len(segs):
        if segs[i][2] - segs[i][1] >= min_s:
            out.append(segs[i])
            i += 1
            continue
        j = i
        while j < len(segs) and segs[j][2] - segs[j][1] < min_s:
            j += 1
        pieces: list[list[Any]] = []
        group: list[list[Any]] = []
        for seg in segs[i:j]:
            group.append(seg)
            if group[-1][2] - group[0][1] >= min_s:
                pieces.append(_dominant(group))
                group = []
        if group:  # a short remainder joins the piece before it (or, failing that, a neighbour)
            if pieces:
                pieces[-1][2] = group[-1][2]
            elif out:
                out[-1][2] = group[-1][2]
            elif j < len(segs):
                segs[j] = [segs[j][0], group[0][1], segs[j][2]]
            else:
                pieces.append(_dominant(group))
        out.extend(pieces)
        i = j
    return out


def _dominant(group: list[list[Any]]) -> list[Any]:
    longest = max(group, key=lambda seg: seg[2] - seg[1])
    return [longest[0], group[0][1], group[-1][2]]


def blink_track(duration_s: float, seed: int = 0) -> list[tuple[float, float]]:
    """Blinks as ``(start_s, end_s)``: the first after 1–3 s, then every 2–6 s, each 0.12–0.18 s long.

    The same ``seed`` always gives the same blinks; every blink ends before ``duration_s``.
    """
    duration = _check_duration(duration_s)
    rng = random.Random(int(seed))  # noqa: S311 — an animation, not a secret
    blinks: list[tuple[float, float]] = []
    start = rng.uniform(1.0, 3.0)
    while True:
        length = rng.uniform(*BLINK_LENGTH_S)
        if start + length > duration:
            return blinks
        blinks.append((round(start, 3), round(start + length, 3)))
        start += rng.uniform(*BLINK_EVERY_S)


# --- checks --------------------------------------------------------------------------------------------------

def _colour(value: str) -> str:
    hexed = colour_hex(value.strip())
    if hexed is not None:
        return hexed
    raise ValueError(f"colour {value!r:.40} must be #rrggbb or one of: {', '.join(sorted(set(COLOURS)))}")


def _background(spec: str | os.PathLike[str]) -> tuple[str, Any]:
    """``spec`` → ``("colour", "#rrggbb")``, ``("gradient", (top, bottom))`` or ``("image", PIL image)``."""
    if isinstance(spec, str):
        text = spec.strip()
        if text.lower().startswith("gradient:"):
            match = _GRADIENT.fullmatch(text)
            if not match:
                raise ValueError(f"a gradient is written gradient:#rrggbb→#rrggbb, not {spec!r:.60}")
            return "gradient", (_colour(match.group(1)), _colour(match.group(2)))
        if text.startswith("#") or text.lower() in COLOURS:
            return "colour", _colour(text)
    elif not isinstance(spec, os.PathLike):
        raise ValueError(f"background must be a colour, a gradient or an image path, not {type(spec).__name__}")
    return "image", _open_image(spec)


def _open_image(spec: str | os.PathLike[str]) -> Image.Image:
    hint = "background must be #rrggbb, a colour name, gradient:#a→#b, or an existing PNG/JPEG/WebP/GIF/BMP image"
    try:
        path = Path(spec)
        if not path.is_file():
            raise ValueError(f"{hint}; no such file: {path.name!r:.60}")
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path, formats=BACKGROUND_FORMATS) as img:
                if img.width * img.height > MAX_BACKGROUND_PIXELS:
                    raise ValueError(f"background image {path.name!r:.60} is too large "
                                     f"({img.width}x{img.height}; at most {MAX_BACKGROUND_PIXELS // 1_000_000} MP)")
                img.load()
                img = ImageOps.exif_transpose(img)
                if img.mode in ("RGBA", "LA", "P", "PA"):
                    rgba = img.convert("RGBA")
                    flat = Image.new("RGB", rgba.size, (0, 0, 0))
                    flat.paste(rgba, (0, 0), rgba)
                    return flat
                return img.convert("RGB")
    except ValueError:
        raise
    except (OSError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning, TypeError) as exc:
        raise ValueError(f"{hint}; cannot read {Path(spec).name!r:.60}: {type(exc).__name__}") from None


def _size(width: Any, height: Any) -> tuple[int, int]:
    """The frame size, checked: whatever the caller passed (even a float or a string) is refused clearly."""
    for name, value, low in (("width", width, MIN_WIDTH), ("height", height, MIN_HEIGHT)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise ValueError(f"{name} must be a whole number of pixels, not {value!r:.40}")
        if not low <= int(value) <= MAX_SIDE or int(value) % 2:
            raise ValueError(f"{name} must be even and between {low} and {MAX_SIDE}, not {value}")
    return int(width), int(height)


def _fps(fps: float) -> int:
    try:
        value = float(fps)
    except (TypeError, ValueError):
        raise ValueError(f"fps {fps!r} is not a number") from None
    if not (FPS_RANGE[0] <= value <= FPS_RANGE[1]) or value != int(value):
        raise ValueError(f"fps must be a whole number from {FPS_RANGE[0]} to {FPS_RANGE[1]}, not {fps!r}")
    return int(value)


# --- rendering -----------------------------------------------------------------------------------------------

def presenter_info(facts: Mapping[str, Any]) -> MediaInfo:
    """What probing the MP4 that ``render_presenter`` wrote would say, from the facts it returned."""
    return MediaInfo(kind="video", duration_s=float(facts["video_s"]), width=int(facts["width"]),
                     height=int(facts["height"]), fps=float(facts["fps"]), has_audio=True, has_video=True,
                     video_codec="h264", audio_codec="aac", pix_fmt="yuv420p")


def _frame_runs(
    mouth: list[tuple[str, float, float]], blinks: list[tuple[float, float]], frames: int, fps: int,
    poses: list[Pose] | None = None,
) -> list[tuple[tuple[str, str, Pose], int]]:
    """Runs of identical frames: ((viseme, eyes, pose), frame count), sampled at each frame's middle."""
    starts = [start for _, start, _ in mouth]
    blink_starts = [start for start, _ in blinks]
    runs: list[tuple[tuple[str, str, Pose], int]] = []
    for i in range(frames):
        t = (i + 0.5) / fps
        viseme = mouth[max(0, bisect.bisect_right(starts, t) - 1)][0]
        eyes = "open"
        k = bisect.bisect_right(blink_starts, t) - 1
        if k >= 0 and t < blinks[k][1]:
            phase = (t - blinks[k][0]) / (blinks[k][1] - blinks[k][0])
            eyes = "closed" if 0.25 <= phase <= 0.75 else "half"
        state = (viseme, eyes, poses[i] if poses else REST)
        if runs and runs[-1][0] == state:
            runs[-1] = (state, runs[-1][1] + 1)
        else:
            runs.append((state, 1))
    return runs


def render_presenter(
    out_path: str | os.PathLike[str],
    *,
    audio_path: str | os.PathLike[str],
    phonemes: Iterable[Sequence[Any]],
    duration_s: float,
    width: int = 1920,
    height: int = 1080,
    style: str = "professional",
    background: str | os.PathLike[str] = "#1f2a44",
    fps: int = 25,
    seed: int = 0,
    motion: bool = True,
    loudness: float | None = None,
    on_progress: Callable[[float], None] | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Write a presenter MP4 (H.264 yuv420p + the speech as AAC, ``+faststart``) to ``out_path``.

    ``phonemes`` drive the mouth (see ``mouth_track``), ``seed`` the blinks (``blink_track``) and the sway;
    ``motion`` (on by default) moves the figure: sway, breathing, and nods on stressed syllables found in the
    phonemes and the loudness of ``audio_path`` (``avatar_motion``). ``background``
    is ``#rrggbb``, a colour name, ``"gradient:#top→#bottom"`` or an image path (scaled to fill). Progress
    goes to ``on_progress`` as 0–100; ``loudness`` (LUFS) levels the speech, measured while the pictures are
    drawn, with its peaks held low enough that an export levels it again with a plain gain; ``cancel`` stops
    the work (``RenderCancelled``). The file appears only when complete; the video lasts whole frames
    (``duration_s`` rounded up to a frame).

    Returns facts: ``frames`` (video frames), ``distinct_images`` (pictures drawn), ``entries`` (concat list
    entries), ``duration_s``, ``video_s``, size, ``mouth_segments``, ``blinks``, the ``boxes`` of the eyes,
    mouth and torso in the rest pose (pixels ``x0, y0, x1, y1``, for tests and for placing captions), the
    ``nods`` (their stressed vowels' times), ``poses`` (distinct poses shown), ``motion`` (runs of
    ``[first_frame, frames, head_dx, head_dy, body_dy]``, pixels from the rest pose), ``timings``
    (``draw_s``, ``encode_s``) and ``speech_loudness`` (what levelling did, or ""). Bad arguments raise
    ``ValueError`` before any work (a missing output folder or audio file ``FileNotFoundError``); ffmpeg
    failures raise ``FFmpegError``.
    """
    out = Path(out_path)
    if out.suffix.lower() != ".mp4":
        raise ValueError(f"{out.name}: the presenter video is written as .mp4")
    if not out.parent.is_dir():
        raise FileNotFoundError(f"{out.parent}: no such directory")
    audio = Path(audio_path).resolve()
    if not audio.is_file():
        raise FileNotFoundError(f"{audio.name}: no such audio file")
    width, height = _size(width, height)
    rate = _fps(fps)
    duration = _check_duration(duration_s)
    if not isinstance(style, str) or style not in STYLES:
        raise ValueError(f"unknown presenter style {style!r:.40}; styles: {', '.join(STYLES)}")
    bg_kind, bg_value = _background(background)
    target = None if loudness is None else check_target(loudness, "loudness")
    if isinstance(phonemes, Iterator):  # read twice: by the mouth, then by the motion
        phonemes = list(itertools.islice(phonemes, MAX_PHONEMES + 1))
    mouth = mouth_track(phonemes, duration, min_s=max(MIN_SEGMENT_S, 1.0 / rate))
    blinks = blink_track(duration, seed)
    frames = math.ceil(duration * rate - 1e-6)

    started = time.perf_counter()
    layout = Layout.for_frame(width, height)
    partial = out.with_name(out.name + ".part")
    with tempfile.TemporaryDirectory(prefix="avatar-", dir=out.parent) as tmp, ThreadPoolExecutor(1) as pool:
        work = Path(tmp)
        levelling = None if target is None else pool.submit(  # the context carries the turn's budget
            contextvars.copy_context().run, level_file, audio, target, duration, work, SPEECH_LIMIT_DB, cancel)
        poses, nods = (motion_track(phonemes, speech_level(audio, work, cancel), duration, rate, seed)
                       if motion else (None, []))
        runs = _frame_runs(mouth, blinks, frames, rate, poses)
        artist = Artist(STYLES[style], layout, draw_background(bg_kind, bg_value, layout))
        files: dict[tuple[str, str, Pose], str] = {}
        states = sorted(dict.fromkeys(state for state, _ in runs), key=lambda state: state[2])  # pose by pose
        for n, state in enumerate(states):
            if cancel is not None and cancel.is_set():
                raise RenderCancelled("render cancelled")
            files[state] = stills.named(n, state[0], state[1])  # n keeps poses apart
            if n == 0 or state[2] != states[n - 1][2]:
                base = stills.Patched(artist.base(state[2]))  # a pose's picture is converted once, faces after
            planes = base.frame(artist.frame(*state), artist.face_boxes(state[2]))
            stills.save_frame(planes, base.size, work / files[state], rate)  # read by ffmpeg as a copy
            if on_progress is not None:
                on_progress(round(_DRAW_SHARE * (n + 1) / len(states), 1))
        listing = stills.concat_list(work, files, runs, rate)
        draw_s = time.perf_counter() - started

        def encode_progress(pct: float) -> None:
            if on_progress is not None:
                on_progress(round(_DRAW_SHARE + (100 - _DRAW_SHARE) * pct / 100, 1))

        levelled, sound = (None, audio) if levelling is None else levelling.result()
        args = [
            # No filter in this run: with one, ffmpeg 9 once deadlocked on these sparse frames (seen once).
            *stills.input_args(listing), "-protocol_whitelist", "file", "-i", str(sound),
            "-map", "0:v:0", "-map", "1:a:0",
            # One frame per run of equal frames; whole frames: the video ends on the frame boundary at or
            # after the speech's end.
            *stills.output_args(rate, frames), *AAC_AUDIO, *CONTAINER, str(partial),
        ]
        try:
            run_ffmpeg(args, duration_s=duration, on_progress=encode_progress, cancel=cancel)
            os.replace(partial, out)
        finally:
            partial.unlink(missing_ok=True)
    encode_s = time.perf_counter() - started - draw_s
    return {
        "path": str(out), "width": width, "height": height, "fps": rate, "duration_s": round(duration, 3),
        "video_s": round(frames / rate, 3),
        "style": style, "frames": frames, "distinct_images": len(states), "entries": len(runs),
        "speech_loudness": "" if levelled is None else str(levelled),
        "mouth_segments": len(mouth), "blinks": len(blinks), "nods": [round(t, 3) for t in nods],
        "poses": len({state[2] for state in states}), "motion": _motion_runs(runs, layout),
        "boxes": {"eyes": layout.eyes_box, "mouth": layout.mouth_box, "torso": layout.torso_box},
        "timings": {"draw_s": round(draw_s, 3), "encode_s": round(encode_s, 3)},
    }


def _motion_runs(runs: list[tuple[tuple[str, str, Pose], int]], layout: Layout) -> list[list[int]]:
    """``[first_frame, frames, head_dx, head_dy, body_dy]`` for each run of frames in one pose."""
    out: list[list[int]] = []
    first = 0
    for (_, _, pose), count in runs:
        (hx, hy), (_, by) = layout.offsets(pose)
        if out and out[-1][2:] == [hx, hy, by]:
            out[-1][1] += count
        else:
            out.append([first, count, hx, hy, by])
        first += count
    return out
