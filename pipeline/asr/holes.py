"""Speech the sequential decoder skipped: VAD speech that no word covers, decoded again.

Whisper decodes 30 s windows one after another and moves on from the last timestamp it
wrote; now and then that jumps over a whole turn (on 18 rendered meetings, 169 min, 15 of
1,037 turns had no word at all, among them a parting question and a distributor's own
introduction). After a window is decoded, each stretch of VAD speech of at least
``MIN_HOLE_S`` that no word touches is decoded again on its own, and what comes back is
put in its place (the usual filters then apply to it as to any segment).
"""

from __future__ import annotations

from collections.abc import Sequence

from .audio import SAMPLE_RATE

__all__ = ["FINE_SILENCE_MS", "MIN_HOLE_S", "holes"]

MIN_HOLE_S = 1.5
"""Shortest stretch of uncovered speech decoded again: shorter ones are mostly a word the
timings put a little off, or a breath the VAD took for speech."""
_JOIN_S = 1.0
"""Uncovered speech regions closer than this are one hole (one turn with pauses)."""
_PAD_S = 0.2
FINE_SILENCE_MS = 300
"""The pause that splits the VAD regions ``holes`` looks at (``audio.speech_regions``):
finer than decoding's 2 s, so that a region is speech and not the pauses around it."""


def holes(
    regions: Sequence[tuple[int, int]], words: Sequence[tuple[float, float]], n: int
) -> list[tuple[int, int]]:
    """Sample ranges of the ``regions`` (``audio.speech_regions``) that no word overlaps, joined when close,
    padded, kept when at least ``MIN_HOLE_S`` long.

    Args:
        regions: speech, as sample ranges of the window.
        words: (start, end) in seconds into the window of the words decoded there.
        n: the window's length in samples.
    """
    spans = [(int(s * SAMPLE_RATE), int(e * SAMPLE_RATE)) for s, e in words]
    bare = [(s, e) for s, e in regions if not any(ws < e and s < we for ws, we in spans)]
    joined: list[list[int]] = []
    for s, e in bare:
        # Close regions are one turn with pauses, unless a word was decoded between them.
        if (
            joined
            and s - joined[-1][1] <= _JOIN_S * SAMPLE_RATE
            and not any(joined[-1][1] <= ws < s for ws, _ in spans)
        ):
            joined[-1][1] = e
        else:
            joined.append([s, e])
    pad = int(_PAD_S * SAMPLE_RATE)
    return [(max(0, s - pad), min(n, e + pad)) for s, e in joined if e - s >= MIN_HOLE_S * SAMPLE_RATE]
