"""Captions broken from timed words: the style-guide rules hold on any word stream."""
from __future__ import annotations

import itertools
import random
import re

import pytest

from nemo_nb.local import srt
from nemo_nb.local.subtitles import Caption, CaptionStyle, break_captions, split_lines
from nemo_nb.transcript import Word

STYLE = CaptionStyle()
VOCABULARY = ("the quick brown fox jumps over a lazy dog while people watch from their windows and nobody says "
              "anything about it because everyone is busy with something important today unbelievably "
              "extraordinary circumstances tonight")


def speak(text: str, *, start_ms: int = 0, ms_per_char: float = 60.0, gap_ms: int = 60,
          sentence_pause_ms: int = 500) -> list[Word]:
    """Words timed like speech: length in proportion to characters, pauses after sentences."""
    words, at = [], start_ms
    for token in text.split():
        length = max(80, int(len(token) * ms_per_char))
        words.append(Word(at, at + length, token, 0.9))
        at += length + (sentence_pause_ms if re.search(r"[.!?]$", token) else gap_ms)
    return words


def random_speech(rng: random.Random, count: int) -> list[Word]:
    words, at = [], rng.randint(0, 2000)
    for _ in range(count):
        token = rng.choice(VOCABULARY.split())
        if rng.random() < 0.12:
            token += rng.choice(".,?!")
        length = rng.randint(60, 700)
        words.append(Word(at, at + length, token, rng.random()))
        at += length + rng.choice((0, 20, 80, 150, 400, 900, 2500) if rng.random() < 0.3 else (0, 30, 60))
    return words


def words(text: str) -> list[str]:
    return text.split()


def caption_words(captions: list[Caption]) -> list[str]:
    return [w for c in captions for line in c.lines for w in line.split()]


def check_rules(words: list[Word], captions: list[Caption], style: CaptionStyle = STYLE) -> None:
    assert caption_words(captions) == [w.text for w in words]  # every word, once, in order
    at = 0
    for index, caption in enumerate(captions):
        own = words[at:at + sum(len(line.split()) for line in caption.lines)]
        at += len(own)
        assert 1 <= len(caption.lines) <= style.max_lines
        if len(own) > 1:
            assert all(len(line) <= style.max_chars for line in caption.lines), caption
            assert own[-1].end_ms - own[0].start_ms <= style.max_ms
            pauses = [b.start_ms - a.end_ms for a, b in itertools.pairwise(own)]
            assert max(pauses) <= style.pause_ms  # never held over a long silence
        assert caption.end_ms - caption.start_ms <= style.max_ms
        assert caption.start_ms == own[0].start_ms or (index and caption.start_ms == captions[index - 1].end_ms
                                                       + style.gap_ms)
        if index + 1 < len(captions):
            following = captions[index + 1]
            assert following.start_ms - caption.end_ms >= style.gap_ms  # no overlap, two frames apart
            room = following.start_ms - style.gap_ms - caption.start_ms
        else:
            room = style.max_ms
        needed = max(style.min_ms, caption.chars * 1000 / style.max_cps)
        if room >= needed:  # time to read it was there: it was given
            assert caption.end_ms - caption.start_ms >= min(needed, style.max_ms) - 1, caption
        assert caption.end_ms >= min(own[-1].end_ms, caption.start_ms + room)  # up while its words are spoken


@pytest.mark.parametrize("seed", range(40))
def test_rules_hold_on_random_speech(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 — test data
    words = random_speech(rng, rng.randint(1, 160))
    check_rules(words, break_captions(words))


@pytest.mark.parametrize("style", [CaptionStyle(max_chars=32), CaptionStyle(max_lines=1, max_chars=37),
                                   CaptionStyle(max_cps=20, min_ms=1000, max_ms=6000, gap_ms=40)])
def test_rules_hold_for_other_styles(style: CaptionStyle) -> None:
    rng = random.Random(7)  # noqa: S311 — test data
    for _ in range(10):
        words = random_speech(rng, 80)
        check_rules(words, break_captions(words, style), style)


def test_nothing_to_caption() -> None:
    assert break_captions([]) == []
    assert break_captions([Word(0, 100, "  ", 0.5)]) == []


def test_a_word_longer_than_a_line_still_shows() -> None:
    word = Word(1000, 2000, "Pneumonoultramicroscopicsilicovolcanoconiosis-like!", 0.9)
    (caption,) = break_captions([word])
    assert caption.lines == (word.text,) and caption.start_ms == 1000 and caption.end_ms >= 2000


def test_sentences_end_captions_when_they_can() -> None:
    text = ("Welcome to the studio. Today we look at three ways to light a face. The first uses a single lamp "
            "by the window. The second adds a reflector on the other side. The last one needs two lamps and "
            "some patience.")
    captions = break_captions(speak(text))
    assert all(re.search(r"[.!?]$", c.lines[-1]) for c in captions), [c.text for c in captions]
    for caption in captions:  # a sentence never ends in the middle of a line
        assert all(not re.search(r"[.!?]$", w) for line in caption.lines for w in line.split()[:-1])


def test_long_sentences_break_at_phrases_not_after_little_words() -> None:
    text = ("When the light from the window is too strong for the camera you can hang a thin white curtain "
            "across it and the shadows on the face become softer and much easier to work with in the edit")
    captions = break_captions(speak(text, ms_per_char=55))
    ends = [line.split()[-1] for c in captions for line in c.lines][:-1]
    assert not {e.lower() for e in ends} & {"the", "a", "an", "to", "of", "from", "on", "for", "with", "in"}, ends
    assert len(captions) >= 3


def test_fast_speech_keeps_every_word_without_overlap() -> None:
    words = speak(" ".join(["information"] * 60), ms_per_char=12, gap_ms=0)  # ~80 characters a second
    captions = break_captions(words)
    check_rules(words, captions)
    assert all(b.start_ms - a.end_ms >= STYLE.gap_ms for a, b in itertools.pairwise(captions))


def test_slow_lone_words_get_time_to_be_read_but_not_over_silence() -> None:
    words = [Word(0, 300, "Yes.", 0.9), Word(5000, 5300, "No.", 0.9), Word(5500, 5700, "Maybe.", 0.9)]
    captions = break_captions(words)
    assert captions[0].lines == ("Yes.",) and STYLE.min_ms <= captions[0].end_ms <= 300 + STYLE.max_ms
    assert captions[0].end_ms < 5000 - STYLE.gap_ms + 1
    check_rules(words, captions)


def test_two_lines_are_balanced_and_split_at_a_phrase() -> None:
    lines = split_lines(words("We thanked everyone who came tonight, and especially my family"))
    assert len(lines) == 2 and all(len(line) <= 42 for line in lines)
    assert lines[0].endswith("tonight,")
    assert split_lines(words("Short and sweet.")) == ("Short and sweet.",)
    lines = split_lines(words("We walked along the river for an hour before the sun finally went down"))
    assert abs(len(lines[0]) - len(lines[1])) <= 16 and lines[0].split()[-1] not in ("the", "an")


def test_captions_write_as_srt_with_their_line_breaks() -> None:
    captions = break_captions(speak("This is the first caption of the test, it is long enough to need two lines "
                                    "of text. Short one."))
    text = srt.format_srt([srt.Cue(c.start_ms, c.end_ms, c.text) for c in captions])
    assert "\n\n" in text and any("\n" in c.text for c in captions)
    assert [c.start_ms for c in srt.parse(text)] == [c.start_ms for c in captions]
