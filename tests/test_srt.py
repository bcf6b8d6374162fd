"""Subtitles of a transcript."""

from __future__ import annotations

from pipeline.memo.srt import timestamp, to_srt
from pipeline.types import Segment, Transcript


def test_timestamps_are_srt_style() -> None:
    assert timestamp(3723.5) == "01:02:03,500"
    assert timestamp(0) == "00:00:00,000"


def test_cues_are_numbered_from_one_and_prefixed_by_speaker() -> None:
    t = Transcript(
        language="en",
        segments=(
            Segment(0, 0.0, 1.5, "Hello.", speaker="rep"),
            Segment(1, 1.5, 3.0, "Hi there."),
        ),
    )
    srt = to_srt(t)
    assert srt.startswith("1\n00:00:00,000 --> 00:00:01,500\n[rep] Hello.\n")
    assert "\n2\n00:00:01,500 --> 00:00:03,000\nHi there.\n" in srt
