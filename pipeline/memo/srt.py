"""SubRip subtitles of a transcript, speaker-prefixed when speakers are known."""

from __future__ import annotations

from ..types import Transcript


def timestamp(seconds: float) -> str:
    """``HH:MM:SS,mmm``."""
    ms = max(0, round(seconds * 1000))
    h, ms = divmod(ms, 3_600_000)
    m, ms = divmod(ms, 60_000)
    s, ms = divmod(ms, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"


def to_srt(transcript: Transcript) -> str:
    """The transcript as SRT text (one cue per segment, numbered from 1)."""
    cues = []
    for n, seg in enumerate(transcript.segments, start=1):
        text = f"[{seg.speaker}] {seg.text}" if seg.speaker else seg.text
        cues.append(f"{n}\n{timestamp(seg.start)} --> {timestamp(seg.end)}\n{text.strip()}\n")
    return "\n".join(cues)
