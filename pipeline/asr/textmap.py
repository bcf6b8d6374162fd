"""Where each character of a segment's text came from: which word, and the pause after it.

A segment's text is its words joined, then converted to one script and given full-width
punctuation (``script.punctuate_zh``), so text and words differ by marks and spaces. The
post-processing after decoding (punctuation, glossary corrections) reads pauses from the
words and writes into the text; this map lets it do both and keep them in step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..types import Segment

MARKS = frozenset("，。？！、；：…,.?!;:")
"""Characters that end a run of text: a run longer than the limit needs one of these."""
_SKIP = re.compile(r"[\s\W_]", re.UNICODE)
"""Spaces and punctuation, left out when text and words are compared."""


@dataclass(frozen=True)
class CharMap:
    """Text positions of a segment mapped onto its words.

    Attributes:
        word_of: for each character of the text, the index of the word it came from, or
            -1 for marks and spaces added after decoding.
        gap_after: for each text position ``p`` that ends a word (between ``text[p-1]`` and
            ``text[p]``), the silence (s) before the next word starts.
        word_end: for each such position, the index of the word that ends there.
    """

    word_of: tuple[int, ...]
    gap_after: dict[int, float]
    word_end: dict[int, int]


def char_map(segment: Segment) -> CharMap | None:
    """Map ``segment.text`` onto ``segment.words``, or ``None`` when they disagree.

    Text and words are compared without spaces and punctuation, character by character.
    They disagree when a filter rewrote the text (a collapsed loop) or there are no words;
    then callers work on the text alone, without pauses.
    """
    if not segment.words:
        return None
    owners: list[int] = []
    for i, w in enumerate(segment.words):
        owners += [i] * len(_SKIP.sub("", w.word))
    text = segment.text
    word_of = [-1] * len(text)
    k = 0
    word_chars = "".join(_SKIP.sub("", w.word) for w in segment.words)
    for p, ch in enumerate(text):
        if _SKIP.fullmatch(ch):
            continue
        # OpenCC may convert a character differently inside a phrase than alone (干, 幺):
        # the count must agree, a character may differ.
        if k >= len(owners):
            return None
        word_of[p] = owners[k]
        k += 1
    if k != len(owners) or sum(a != b for a, b in zip(_SKIP.sub("", text), word_chars, strict=False)) > 2:
        return None
    gap_after: dict[int, float] = {}
    word_end: dict[int, int] = {}
    last = -1
    for p, owner in enumerate(word_of):
        if owner < 0:
            continue
        if last >= 0 and owner != word_of[last]:
            # The boundary sits right after the previous word's last character.
            prev = word_of[last]
            gap_after[last + 1] = max(0.0, segment.words[owner].start - segment.words[prev].end)
            word_end[last + 1] = prev
        last = p
    return CharMap(tuple(word_of), gap_after, word_end)
