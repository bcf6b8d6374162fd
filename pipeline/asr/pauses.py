"""Pauses the word timings miss: each silence the VAD hears is put back between two words.

Whisper times words by aligning its cross-attention within a 30 s window, and there one
word ends exactly where the next begins: a pause, even the one between two turns, often
shows as no gap at all. How often depends on the CPU: through int8 kernels with AMX the
Mandarin sample gave 15 sentences for its 21 turns (with AVX2, 26), because Whisper wrote
fewer marks and the turn changes had no gap to cut at. The sentence
cut (``resegment``: a new segment at a 1 s pause) and the Mandarin punctuation (，or 。 at a
pause) read pauses from the words, so they are taken from the audio instead.

For each silence (the gaps between Silero VAD's speech regions, found with almost no
padding), the word boundary nearest to it, within ``SNAP_S``, is opened so that the word
before ends where the silence starts and the word after starts where it ends; words only
ever shrink, and never below ``MIN_WORD_S``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from typing import Any

from .audio import SAMPLE_RATE

__all__ = ["MIN_PAUSE_S", "SNAP_S", "VAD_PAD_MS", "silences", "with_pauses"]

MIN_PAUSE_S = 0.25
"""Shortest silence given back: shorter ones are a stop consonant or a breath, not a pause
(the punctuation's shortest pause is 0.3 s)."""
SNAP_S = 0.4
"""How far from a silence a word boundary may be and still be its edge (alignment puts a
boundary up to a few tenths of a second off)."""
VAD_PAD_MS = 30
"""Padding of the VAD's speech regions here: the decoder's 400 ms would hide every pause
shorter than 0.8 s."""
MIN_WORD_S = 0.04


def silences(regions: Sequence[tuple[int, int]], min_s: float = MIN_PAUSE_S) -> list[tuple[float, float]]:
    """The silences (s) between consecutive speech ``regions`` (sample ranges) of at least ``min_s``."""
    out = []
    for (_, end), (start, _) in itertools.pairwise(regions):
        if (start - end) / SAMPLE_RATE >= min_s:
            out.append((end / SAMPLE_RATE, start / SAMPLE_RATE))
    return out


PREFER_S = 0.25
"""A boundary where Whisper itself ended a segment or wrote a mark counts as this much
nearer: when the alignment is a character off, two boundaries are often equally near (on
the Mandarin sample "怎麼樣 | 養貓": 0.20 s before the silence and 0.19 s after it)."""
_MARK_END = re.compile(r"[,.?!;:，。？！、；：…]$")


def _opened(
    words: list[Any], quiet: Sequence[tuple[float, float]], ends: frozenset[int] = frozenset()
) -> list[Any]:
    """``words`` (in time order) with each silence opened at its nearest word boundary.

    ``ends``: indices of words that end one of Whisper's segments (preferred boundaries).
    """
    words = list(words)
    if len(words) < 2:
        return words
    for s0, s1 in quiet:
        if any(s0 <= w.start and w.end <= s1 for w in words):
            continue  # a word Whisper heard in it: the VAD missed soft speech, not a pause
        best: tuple[float, int] | None = None
        for i in range(len(words) - 1):
            a, b = words[i].end, words[i + 1].start
            if a > s1 + SNAP_S:
                break
            distance = max(0.0, s0 - b, a - s1)
            if distance > SNAP_S:
                continue
            if i in ends or _MARK_END.search(words[i].word.strip()):
                distance -= PREFER_S
            if best is None or distance < best[0]:
                best = (distance, i)
        if best is None:
            continue
        i = best[1]
        before, after = words[i], words[i + 1]
        end = max(min(before.end, s0), before.start + MIN_WORD_S)
        start = min(max(after.start, s1), after.end - MIN_WORD_S)
        if end < before.end:
            words[i] = replace(before, end=round(end, 3))
        if start > after.start and start >= words[i].end:
            words[i + 1] = replace(after, start=round(start, 3))
    return words


def _with_words(segment: Any, words: list[Any]) -> Any:
    return replace(segment, words=words, start=words[0].start, end=words[-1].end)


def with_pauses(segments: Iterable[Any], quiet: Sequence[tuple[float, float]]) -> Iterator[Any]:
    """faster-whisper ``segments`` (with words, times as in ``quiet``) with the silences opened.

    Still a stream: a segment is held back only while a silence not yet opened could still
    reach one of its words. Each silence is opened once, when no later word could be nearer.
    """
    pending = sorted(quiet)
    held: list[Any] = []

    def settled(last: bool) -> Iterator[Any]:
        nonlocal pending, held
        words = [w for s in held for w in s.words]
        # Ready: the silences no later word could be nearer to; when the held words are the
        # last before a segment without words, every silence that can still reach them (the
        # ones after are kept for the segments that follow).
        if last:
            cut = next((k for k, q in enumerate(pending) if q[0] > words[-1].end + SNAP_S), len(pending))
        else:
            cut = next((k for k, q in enumerate(pending) if q[1] >= words[-1].end - SNAP_S), len(pending))
        ready, pending = pending[:cut], pending[cut:]
        sizes = [len(s.words) for s in held]
        ends = frozenset(k - 1 for k in itertools.accumulate(sizes[:-1]))
        words = _opened(words, ready, ends)
        starts = [0, *itertools.accumulate(sizes)]
        held = [_with_words(s, words[a:b]) for s, a, b in zip(held, starts, starts[1:], strict=False)]
        # A segment goes once the next one starts before any silence left could reach it.
        reach = pending[0][0] - SNAP_S if pending and not last else float("inf")
        while held and (last or (len(held) > 1 and held[1].words[0].start < reach)):
            yield held.pop(0)

    for seg in segments:
        if not seg.words:
            if held:
                yield from settled(True)
            yield seg
            continue
        held.append(seg)
        yield from settled(False)
    if held:
        yield from settled(True)
