"""Pauses the VAD hears are put back between words whose timings run into each other.

The unit tests build faster-whisper segments by hand; the test marked ``e2e`` reads the
Mandarin sample with the real model and VAD and checks the turn changes the renderer
wrote (``samples/zh-hant-meeting.timeline.json``) show as pauses in the words.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import pytest
from faster_whisper.transcribe import Segment, Word

from pipeline.asr.audio import SAMPLE_RATE as SR
from pipeline.asr.pauses import MIN_PAUSE_S, MIN_WORD_S, SNAP_S, silences, with_pauses
from tests.conftest import SAMPLES


def seg(*words: tuple[str, float, float]) -> Segment:
    ws = [Word(start=a, end=b, word=w, probability=0.9) for w, a, b in words]
    return Segment(
        id=0, seek=0, start=ws[0].start, end=ws[-1].end, text="".join(w.word for w in ws), tokens=[],
        avg_logprob=-0.2, compression_ratio=1.0, no_speech_prob=0.0, words=ws, temperature=0.0,
    )  # fmt: skip


def times(segments: list[Segment]) -> list[tuple[str, float, float]]:
    return [(w.word, w.start, w.end) for s in segments for w in s.words]


def test_silences_are_the_gaps_between_speech_regions() -> None:
    regions = [(0, 2 * SR), (int(2.1 * SR), 4 * SR), (5 * SR, 6 * SR)]
    assert silences(regions) == [(4.0, 5.0)]  # 0.1 s is shorter than MIN_PAUSE_S
    assert MIN_PAUSE_S > 0.1


def test_a_word_stretched_over_the_pause_ends_where_the_silence_starts() -> None:
    # "蘭" runs on to where the next turn starts: the VAD hears silence from 21.34 s.
    out = list(
        with_pauses(
            [seg(("山", 20.84, 21.06), ("蘭", 21.06, 22.10), ("我們", 22.10, 22.48))], [(21.34, 22.24)]
        )
    )
    assert times(out) == [("山", 20.84, 21.06), ("蘭", 21.06, 21.34), ("我們", 22.24, 22.48)]


def test_the_pause_between_two_segments_is_opened_and_segment_times_follow() -> None:
    a = seg(("送", 38.54, 39.00), ("到", 39.00, 39.28))
    b = seg(("那個", 39.28, 40.44), ("新", 40.44, 41.20))
    out = list(with_pauses([a, b], [(39.39, 40.19)]))
    assert [w.start for w in out[1].words] == [40.19, 40.44]
    assert out[1].start == 40.19 and out[0].end == 39.28  # the silence begins after "到" ended


def test_whispers_own_segment_end_wins_a_near_tie() -> None:
    # The silence is 0.20 s after "樣" ends and 0.19 s before "貓" starts: Whisper ended a
    # segment after "怎麼樣", so the pause goes there, not between "養" and "貓".
    a = seg(("市場", 42.08, 42.26), ("怎麼樣", 42.26, 42.74))
    b = seg(("養", 42.74, 43.42), ("貓", 43.42, 43.62))
    out = times(list(with_pauses([a, b], [(42.94, 43.23)])))
    assert out[1] == ("怎麼樣", 42.26, 42.74) and out[2] == ("養", 43.23, 43.42)


def test_a_silence_far_from_any_boundary_changes_nothing() -> None:
    s = seg(("a", 0.0, 0.5), ("long", 0.5, 3.0), ("b", 3.0, 3.2))
    assert times(list(with_pauses([s], [(1.5, 2.0)]))) == times([s])
    assert SNAP_S < 1.0


def test_a_word_inside_the_silence_means_the_vad_missed_it() -> None:
    s = seg(("one", 0.0, 0.5), ("uh", 0.6, 0.8), ("two", 0.9, 1.4))
    assert times(list(with_pauses([s], [(0.55, 0.85)]))) == times([s])


def test_each_silence_is_opened_once_and_no_word_shrinks_to_nothing() -> None:
    a = seg(("x", 0.0, 1.0), ("y", 1.0, 1.6))
    b = seg(("z", 1.6, 2.0), ("w", 2.0, 2.02))
    c = seg(("v", 2.02, 3.0))
    out = times(list(with_pauses([a, b, c], [(1.1, 1.5)])))
    gaps = [n[1] - p[2] for p, n in itertools.pairwise(out)]
    assert sum(g > 0 for g in gaps) == 1
    assert all(e - s >= MIN_WORD_S - 1e-9 or e - s == pytest.approx(0.02) for _, s, e in out)
    assert all(p[2] <= n[1] for p, n in itertools.pairwise(out))


def test_segments_without_words_pass_through_in_order() -> None:
    bare = replace(seg(("x", 5.0, 6.0)), words=None)
    out = list(with_pauses([seg(("a", 0.0, 1.0), ("b", 1.0, 2.0)), bare, seg(("c", 7.0, 8.0))], [(0.9, 1.2)]))
    assert [s.start for s in out] == [0.0, 5.0, 7.0]
    assert out[0].words[1].start == 1.2


def test_a_segment_without_words_does_not_use_up_the_silences_after_it() -> None:
    bare = replace(seg(("x", 3.0, 4.0)), words=None)
    after = seg(("c", 5.0, 6.0), ("d", 6.0, 7.0))
    out = list(with_pauses([seg(("a", 0.0, 1.0), ("b", 1.0, 2.0)), bare, after], [(0.9, 1.2), (5.8, 6.3)]))
    assert [(w.start, w.end) for w in out[2].words] == [(5.0, 5.8), (6.3, 7.0)]


@pytest.mark.e2e
def test_turn_changes_of_the_mandarin_sample_are_pauses_in_the_words() -> None:
    from pipeline.asr.transcribe import TranscribeOptions, transcribe

    timeline = json.loads((SAMPLES / "zh-hant-meeting.timeline.json").read_text("utf-8"))
    words = [
        w
        for s in transcribe(SAMPLES / "zh-hant-meeting.wav", TranscribeOptions(language="zh")).segments
        for w in s.words
    ]
    changes = [(a["end"], b["start"]) for a, b in itertools.pairwise(timeline)]
    # Near each turn change two words are apart by about the silence the renderer left
    # there (0.5-1 s; the VAD's edges take up to 0.2 s of it). Whisper's own timings left
    # 2 of the 20 without (a word ran on into the next turn).
    opened = 0
    for end, start in changes:
        mid = (end + start) / 2
        gaps = [
            b.start - a.end
            for a, b in itertools.pairwise(words)
            if a.end <= mid + 0.5 and b.start >= mid - 0.5
        ]
        opened += bool(gaps) and max(gaps) >= (start - end) - 0.2
    assert opened == len(changes), (opened, len(changes))
