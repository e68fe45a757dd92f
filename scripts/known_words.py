"""Write nemo_nb/local/understanding/known_words.txt: the common English words close to the agent's vocabulary.

The speller never corrects these (e.g. "made" stays "made", not "make"). Run after changing the lexicon:

    pip install pyspellchecker && python scripts/known_words.py

The word frequencies come from pyspellchecker's English list (MIT); only words used at least ``MIN_COUNT``
times there, and within the speller's reach of a vocabulary word, are written.
"""
from __future__ import annotations

import gzip
import json
from importlib.resources import files
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import OSA

MIN_COUNT = 1000
OUT = Path(__file__).resolve().parent.parent / "nemo_nb" / "local" / "understanding" / "known_words.txt"


def main() -> None:
    OUT.write_text("# placeholder while the vocabulary is read\n", encoding="utf-8")
    from nemo_nb.local.understanding.words import SPELLER

    data = files("spellchecker").joinpath("resources/en.json.gz").read_bytes()
    counts: dict[str, int] = json.loads(gzip.decompress(data))
    vocabulary = sorted(SPELLER.choices)
    near = set()
    for word, count in counts.items():
        if count < MIN_COUNT or len(word) < 3 or not word.isascii() or not word.isalpha() or word in SPELLER.vocabulary:
            continue
        limit = 1 if len(word) < 8 else 2  # as the speller (spelling.Speller)
        if process.extractOne(word, vocabulary, scorer=OSA.distance, score_cutoff=limit):
            near.add(word)
    header = ("# English words close to the agent's vocabulary: the speller never corrects them.\n"
              "# Made by scripts/known_words.py from pyspellchecker's English word counts (MIT).\n")
    OUT.write_text(header + "\n".join(sorted(near)) + "\n", encoding="utf-8")
    print(f"{len(near)} words → {OUT}")


if __name__ == "__main__":
    main()
