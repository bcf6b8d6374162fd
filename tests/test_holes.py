"""Speech sequential decoding jumped over is found (VAD speech with no word) and decoded again.

Whisper skipping a turn cannot be caused on demand, so the test marked ``e2e`` drops one
segment from the window's sequential decoding at the seam (``transcribe._sequential``) and
checks, with the real model on the English sample, that its words come back in place.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pytest

from pipeline.asr import transcribe as transcribe_mod
from pipeline.asr.audio import SAMPLE_RATE as SR
from pipeline.asr.audio import decode, speech_regions
from pipeline.asr.holes import FINE_SILENCE_MS, MIN_HOLE_S, holes
from tests.conftest import SAMPLES

VAD = {"threshold": 0.5, "min_silence_duration_ms": 2000, "speech_pad_ms": 400}


def test_speech_no_word_touches_is_a_hole() -> None:
    regions = [(0, 4 * SR), (5 * SR, 9 * SR)]
    found = holes(regions, [(0.5, 1.0), (1.2, 3.5)], 10 * SR)
    assert len(found) == 1
    start, end = found[0]
    assert start <= 5 * SR and end >= 9 * SR  # padded, the whole region
    assert end <= 10 * SR


def test_a_word_anywhere_in_a_region_covers_it() -> None:
    assert holes([(0, 6 * SR)], [(5.5, 5.8)], 10 * SR) == []


def test_short_uncovered_speech_is_no_hole() -> None:
    # A cough or a word the timings put a little off.
    assert holes([(0, int((MIN_HOLE_S - 0.2) * SR))], [], 10 * SR) == []


def test_close_regions_are_one_hole_unless_a_word_lies_between() -> None:
    regions = [(0, SR), (int(1.5 * SR), int(2.5 * SR))]  # 1 s each, 0.5 s apart
    assert len(holes(regions, [], 10 * SR)) == 1
    assert holes(regions, [(1.1, 1.3)], 10 * SR) == []  # each alone is too short


def test_vad_finds_speech_in_the_sample_and_none_in_silence() -> None:
    samples = decode(SAMPLES / "en-meeting.mp3")[: 30 * SR]
    assert speech_regions(samples, VAD, FINE_SILENCE_MS)
    assert speech_regions(np.zeros(10 * SR, dtype=np.float32), VAD, FINE_SILENCE_MS) == []


def _a_turn(segments: list[Any], samples: np.ndarray, vad: dict[str, Any]) -> int:
    """The segment nearest the middle that holds a turn of its own: a stretch of VAD speech
    (at least ``MIN_HOLE_S``) that no other segment's words touch. Which segments the decoder
    writes depends on the CPU's arithmetic (AMX or AVX2), so the seam is chosen, not fixed."""
    regions = [(s / SR, e / SR) for s, e in speech_regions(samples, vad, FINE_SILENCE_MS)]
    middle = len(segments) // 2
    for k in sorted(range(len(segments)), key=lambda i: abs(i - middle)):
        seg = segments[k]
        others = [(w.start, w.end) for i, s in enumerate(segments) if i != k for w in s.words or ()]
        if any(
            e - s >= MIN_HOLE_S and seg.start - 0.5 <= s and e <= seg.end + 0.5
            and not any(ws < e and s < we for ws, we in others)
            for s, e in regions
        ):  # fmt: skip
            return k
    raise AssertionError("no segment of the window holds a turn of its own")


@pytest.mark.e2e
def test_a_turn_the_decoder_jumped_over_is_decoded_again(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = transcribe_mod._sequential
    dropped: list[Any] = []

    def skipping(model: Any, samples: np.ndarray, options: Any, language: str) -> list[Any]:
        out = list(real(model, samples, options, language))
        if not dropped and len(out) > 6:
            # Whisper jumping over a turn: the window's decoding has no segment for it.
            k = _a_turn(out, samples, transcribe_mod._decode_kwargs(options, language)["vad_parameters"])
            dropped.append(out.pop(k))
        return out

    monkeypatch.setattr(transcribe_mod, "_sequential", skipping)
    with caplog.at_level(logging.INFO, logger="pipeline.asr"):
        tr = transcribe_mod.transcribe(
            SAMPLES / "en-meeting.mp3", transcribe_mod.TranscribeOptions(language="en")
        )
    assert dropped, "the seam was not reached"
    lost = dropped[0]
    assert any("speech with no words; decoded again" in r.getMessage() for r in caplog.records)
    assert tr.settings["holes"]["decoded_again"] >= 1 and tr.settings["holes"]["seconds"] >= MIN_HOLE_S
    back = " ".join(
        s.text for s in tr.segments if s.end > lost.start - 0.5 and s.start < lost.end + 0.5
    ).lower()
    words = [w.strip(" ,.?!").lower() for w in lost.text.split() if len(w.strip(" ,.?!")) > 3]
    # Its speech up to where the next segment's words begin comes back (the rest shares a VAD
    # region with words, so it is no hole: here "We ship from Michigan, and freight").
    assert words and sum(w in back for w in words) >= 0.5 * len(words), (lost.text, back)
