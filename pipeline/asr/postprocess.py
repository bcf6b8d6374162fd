"""The last steps after decoding: glossary corrections, then Mandarin punctuation.

One call (``finish``) at the end of ``transcribe``: the segments are final there (filters
run, sentences cut, script converted), so what is recorded refers to the segment ids the
transcript keeps. Corrections come first, so a corrected name is one word that the
punctuation never splits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ..script import to_script
from ..types import Correction, Script, Segment
from .glossary import correct_segment
from .punctuation import PunctuationOptions, punctuate_segments


def finish(
    segments: Sequence[Segment],
    script: Script,
    glossary: Sequence[str] = (),
    sentences: bool = True,
) -> tuple[tuple[Segment, ...], tuple[Correction, ...]]:
    """Correct near-misses of the glossary, punctuate long Mandarin runs, renumber ids.

    Args:
        segments: the transcript's segments, in order.
        script: the Chinese script of the transcript (glossary names are converted to it).
        glossary: company, product and place names (``TranscribeOptions.glossary``).
        sentences: cut a segment where an inserted 。 or ？ ends a sentence.

    Returns:
        The segments (ids 0, 1, …) and the corrections, each pointing at its segment.
    """
    names = tuple(dict.fromkeys(to_script(n.strip(), script) for n in glossary if n.strip()))
    corrected: list[Segment] = []
    found: list[Correction] = []
    for i, seg in enumerate(segments):
        fixed, corrections = correct_segment(replace(seg, id=i), names)
        corrected.append(fixed)
        found += corrections
    pieces, origin = punctuate_segments(corrected, names, PunctuationOptions(sentences=sentences))
    out = tuple(replace(s, id=i) for i, s in enumerate(pieces))
    return out, tuple(replace(c, segment=_piece_of(c, out, origin)) for c in found)


def _piece_of(c: Correction, segments: Sequence[Segment], origin: Sequence[int]) -> int:
    """The id of the piece of segment ``c.segment`` that holds the correction."""
    ids = [s.id for s, o in zip(segments, origin, strict=True) if o == c.segment]
    holding = [i for i in ids if c.corrected in segments[i].text and segments[i].start <= c.start]
    return holding[-1] if holding else ids[0]
