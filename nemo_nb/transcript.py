"""A transcript: what a clip says, word by word, with times and confidence. The one model shared by the
embedded backend (captions, transcripts, dubbing from speech) and the client (``s.transcript()``, the
notebook's transcript lane).

Its JSON form is nemo_nb's own (the embedded backend keeps it in ``generated_media`` as a file of kind
``transcript``)::

    {"version": 1, "media_id": "med_…", "filename": "talk.mp4", "hash": "<sha256>", "language": "en",
     "model": "whisper-tiny.en", "duration_ms": 30000, "heard_ms": 30000, "truncated": false,
     "multilingual": false,
     "segments": [{"start": 480, "end": 2900, "text": "Welcome to the tour.", "confidence": 0.81,
                   "words": [[480, 820, "Welcome", 0.97], …]}, …]}

Times are ms in the media; ``on_timeline(draft)`` moves them to where the media sits on a draft's video
track (trims and cuts followed, words cut away dropped), keeping the media time as ``source_ms``.
"""
from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from nemo_nb.draft import VIDEO, Draft

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

VERSION = 1
UNSPACED_LANGUAGES = frozenset({"zh", "ja", "th", "lo", "km", "my", "yue"})
MAX_SEGMENTS = 100_000  # a transcript read from JSON is refused beyond this (hostile input)
SEGMENT_COLUMNS = ("start_s", "end_s", "text", "confidence", "words", "source_s", "media")
WORD_COLUMNS = ("start_s", "end_s", "word", "probability", "segment", "source_s", "media")


@dataclass(frozen=True)
class Word:
    """One recognized word: where it is (ms), its text and the recognizer's probability for it (0–1)."""

    start_ms: int
    end_ms: int
    text: str
    probability: float
    source_ms: int = -1  # where it starts in the media (ms); -1: the same as start_ms

    @property
    def media_ms(self) -> int:
        return self.start_ms if self.source_ms < 0 else self.source_ms


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech (a sentence or phrase) and its words."""

    start_ms: int
    end_ms: int
    text: str
    confidence: float  # the recognizer's mean token probability, 0–1
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """What one media file says (or, merged, a timeline)."""

    segments: tuple[Utterance, ...]
    language: str = "en"
    model: str = ""
    media_id: str = ""
    filename: str = ""
    hash: str = ""
    duration_ms: int = 0          # the media's length
    heard_ms: int = 0             # how much of it was listened to (a cap may stop short of the end)
    truncated: bool = False
    multilingual: bool = False    # the model knows many languages (else English only: "und" = not English)
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False)

    # -- reading ------------------------------------------------------------------------------------
    @property
    def words(self) -> list[Word]:
        return [w for s in self.segments for w in s.words]

    @property
    def text(self) -> str:
        """The whole transcript, one segment per line."""
        return "\n".join(s.text for s in self.segments)

    @property
    def is_empty(self) -> bool:
        return not any(s.text.strip() for s in self.segments)

    def join(self, words: Iterable[str]) -> str:
        """Words as text: spaced, except in languages written without spaces."""
        return ("" if self.language in UNSPACED_LANGUAGES else " ").join(w for w in words if w)

    # -- JSON ---------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION, "media_id": self.media_id, "filename": self.filename, "hash": self.hash,
            "language": self.language, "model": self.model, "duration_ms": self.duration_ms,
            "heard_ms": self.heard_ms, "truncated": self.truncated, "multilingual": self.multilingual,
            "segments": [{"start": s.start_ms, "end": s.end_ms, "text": s.text, "confidence": round(s.confidence, 4),
                          "words": [[w.start_ms, w.end_ms, w.text, round(w.probability, 4)] for w in s.words]}
                         for s in self.segments],
        }

    @classmethod
    def from_json(cls, data: Any) -> Transcript:
        """A transcript from its JSON form; ``ValueError`` when it is not one."""
        if not isinstance(data, dict) or not isinstance(data.get("segments"), list):
            raise ValueError("not a transcript: expected an object with a list of segments")
        if len(data["segments"]) > MAX_SEGMENTS:
            raise ValueError(f"a transcript of more than {MAX_SEGMENTS} segments is refused")
        segments = tuple(_utterance(s) for s in data["segments"] if isinstance(s, dict))
        return cls(segments=segments, language=_text(data.get("language")) or "en", model=_text(data.get("model")),
                   media_id=_text(data.get("media_id")), filename=_text(data.get("filename")),
                   hash=_text(data.get("hash")), duration_ms=_ms(data.get("duration_ms")),
                   heard_ms=_ms(data.get("heard_ms")), truncated=data.get("truncated") is True,
                   multilingual=data.get("multilingual") is True)

    # -- placing on a timeline ----------------------------------------------------------------------
    def on_timeline(self, draft: Draft) -> Transcript:
        """The words where this media is heard on ``draft``'s video tracks (every placement, trims
        followed); unchanged when the media is not on the timeline (it would be placed at 0, untrimmed)."""
        windows = sorted((s.start_ms, s.source_in_ms, s.duration_ms) for t in draft.tracks if t.type == VIDEO
                         for s in t.segments if self.media_id and s.src == self.media_id)
        if not windows:
            return self
        placed: list[Utterance] = []
        for start, source_in, length in windows:
            for segment in self.segments:
                shift = start - source_in
                words = tuple(replace(w, start_ms=w.media_ms + shift, source_ms=w.media_ms,
                                      end_ms=min(w.media_ms + w.end_ms - w.start_ms, source_in + length) + shift)
                              for w in segment.words if source_in <= w.media_ms < source_in + length)
                if words:
                    text = segment.text if len(words) == len(segment.words) else self.join(w.text for w in words)
                    placed.append(Utterance(words[0].start_ms, words[-1].end_ms, text, segment.confidence, words))
        return replace(self, segments=tuple(sorted(placed, key=lambda u: u.start_ms)))

    @staticmethod
    def merge(parts: Iterable[Transcript]) -> Transcript:
        """Several transcripts (each already on the timeline) as one, in time order."""
        parts = list(parts)
        if len(parts) == 1:
            return parts[0]
        segments = tuple(sorted((s for p in parts for s in p.segments), key=lambda u: u.start_ms))
        first = parts[0] if parts else Transcript(())
        return replace(first, segments=segments, media_id=",".join(p.media_id for p in parts),
                       filename=", ".join(p.filename for p in parts), hash="",
                       duration_ms=sum(p.duration_ms for p in parts), heard_ms=sum(p.heard_ms for p in parts),
                       truncated=any(p.truncated for p in parts))

    # -- views --------------------------------------------------------------------------------------
    def segments_df(self) -> pd.DataFrame:
        """One row per segment: start_s, end_s, text, confidence, words (count), source_s (in the media), media."""
        rows = [(s.start_ms / 1000, s.end_ms / 1000, s.text, s.confidence, len(s.words),
                 (s.words[0].media_ms if s.words else s.start_ms) / 1000, self.filename) for s in self.segments]
        return _frame(SEGMENT_COLUMNS, rows)

    def words_df(self) -> pd.DataFrame:
        """One row per word: start_s, end_s, word, probability, segment (0-based), source_s, media."""
        rows = [(w.start_ms / 1000, w.end_ms / 1000, w.text, w.probability, index, w.media_ms / 1000, self.filename)
                for index, s in enumerate(self.segments) for w in s.words]
        return _frame(WORD_COLUMNS, rows)

    def __str__(self) -> str:
        return self.text


def word_error_rate(reference: str, hypothesis: str) -> float:
    """How far ``hypothesis`` is from ``reference``: word substitutions, insertions and deletions over the
    reference's words (case and punctuation ignored). 0.0 is word for word."""
    ref, hyp = _plain_words(reference), _plain_words(hypothesis)
    row = list(range(len(hyp) + 1))
    for i, word in enumerate(ref, 1):
        previous, row[0] = row[:], i
        for j, heard in enumerate(hyp, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (word != heard))
    return row[-1] / max(1, len(ref))


def _plain_words(text: str) -> list[str]:
    return re.sub(r"[^\w' ]+", " ", text.lower()).split()


def _frame(columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    import pandas as pd

    frame = pd.DataFrame(rows, columns=list(columns))
    for name in columns:
        if name.endswith("_s") or name in ("confidence", "probability"):
            frame[name] = frame[name].astype("float64")
    return frame


def _utterance(data: dict[str, Any]) -> Utterance:
    words = tuple(Word(_ms(w[0]), max(_ms(w[0]), _ms(w[1])), _text(w[2]), _probability(w[3]))
                  for w in data.get("words") or () if isinstance(w, list) and len(w) == 4)
    start = _ms(data.get("start"))
    return Utterance(start, max(start, _ms(data.get("end"))), _text(data.get("text")),
                     _probability(data.get("confidence")), words)


def _ms(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0
    return max(0, int(value))


def _probability(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0.0
    return min(1.0, max(0.0, float(value)))


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
