"""Sentence segments from Whisper's segments, using word timestamps.

Whisper cuts its segments by its 30-second windows and timestamp tokens, not by
sentences: one segment may end mid-sentence ("Your price would" / "be $115 a
unit") or hold the end of one speaker's turn and the start of the next. The notes
label one segment at a time, so the transcript is re-cut at sentence ends and at
long pauses (where turns change), keeping every word's timing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace

from ..types import Segment, Word

SENTENCE_END = re.compile(r"[.?!。？！…]+[\"'”’」』）)]*$")
# "Mr." or "Co." do not end a sentence.
_ABBREVIATION = re.compile(r"(?:^|\s)(?:mr|mrs|ms|dr|st|co|ltd|inc|corp|vs|etc|e\.g|i\.e|no|approx)\.$", re.I)


@dataclass(frozen=True)
class ResegmentOptions:
    """How to cut.

    Attributes:
        pause_s: a silence this long between two words ends a segment (a turn change
            is most often a pause).
        max_s: a segment without any sentence end is cut at its longest pause once it
            is this long.
        min_words: shorter pieces are joined to their neighbour rather than standing alone,
            unless a pause separates them.
    """

    pause_s: float = 1.0
    max_s: float = 30.0
    min_words: int = 2


def _ends_sentence(word: str) -> bool:
    w = word.strip()
    return bool(SENTENCE_END.search(w)) and not _ABBREVIATION.search(" " + w)


_LATIN_END = re.compile(r"[A-Za-z0-9%$]$")
_LATIN_START = re.compile(r"^[A-Za-z0-9$]")


def _join(words: list[Word]) -> str:
    """Words as Whisper spelled them; a space kept between Latin words in Chinese text.

    In Chinese output Whisper often gives English words no leading space, which would
    run "Ask not" and "What" together.
    """
    text = ""
    for w in words:
        if text and _LATIN_END.search(text) and _LATIN_START.search(w.word):
            text += " "
        text += w.word
    return text.strip()


def _emit(words: list[Word], source: Segment) -> Segment:
    return Segment(
        id=0,
        start=words[0].start,
        end=max(words[-1].end, words[0].start),
        text=_join(words),
        speaker=source.speaker,
        avg_logprob=source.avg_logprob,
        no_speech_prob=source.no_speech_prob,
        words=tuple(words),
    )


def _split_long(words: list[Word], max_s: float) -> list[list[Word]]:
    """Cut at the longest inner pause until every piece is under ``max_s``."""
    if len(words) < 2 or words[-1].end - words[0].start <= max_s:
        return [words]
    gaps = [(words[i + 1].start - words[i].end, i) for i in range(len(words) - 1)]
    _, cut = max(gaps)
    return _split_long(words[: cut + 1], max_s) + _split_long(words[cut + 1 :], max_s)


def resegment(segments: Iterable[Segment], options: ResegmentOptions | None = None) -> Iterator[Segment]:
    """Yield sentence-level segments, streaming; ids are renumbered from 0.

    Segments without word timings are passed through as they are (after any
    pending words), since they cannot be re-cut.
    """
    opts = options or ResegmentOptions()
    pending: list[Word] = []
    source: Segment | None = None
    next_id = 0

    def flush() -> Iterator[Segment]:
        nonlocal pending, next_id
        if pending and source is not None:
            for piece in _split_long(pending, opts.max_s):
                yield replace(_emit(piece, source), id=next_id)
                next_id += 1
        pending = []

    for seg in segments:
        if not seg.words:
            yield from flush()
            yield replace(seg, id=next_id)
            next_id += 1
            continue
        for word in seg.words:
            if pending and word.start - pending[-1].end >= opts.pause_s:
                yield from flush()
            if not pending:
                source = seg
            pending.append(word)
            if _ends_sentence(word.word) and len(pending) >= opts.min_words:
                yield from flush()
    yield from flush()
