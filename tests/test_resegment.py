"""Sentence segments from Whisper's segments: cut at sentence ends and long pauses."""

from __future__ import annotations

import itertools

from pipeline.asr.resegment import ResegmentOptions, resegment
from pipeline.types import Segment, Word


def seg(words: list[tuple[float, str]], sid: int = 0) -> Segment:
    ws = tuple(Word(t, t + 0.3, w, 0.9) for t, w in words)
    return Segment(sid, ws[0].start, ws[-1].end, "".join(w.word for w in ws).strip(), words=ws)


def texts(segments: list[Segment]) -> list[str]:
    return [s.text for s in segments]


def test_a_sentence_split_across_two_segments_is_joined() -> None:
    a = seg([(0.0, " Your"), (0.4, " price"), (0.8, " would")])
    b = seg([(1.2, " be"), (1.6, " $115."), (2.0, " We"), (2.4, " ship"), (2.8, " free.")], 1)
    assert texts(list(resegment([a, b]))) == ["Your price would be $115.", "We ship free."]


def test_two_speakers_in_one_segment_are_cut_at_the_pause() -> None:
    a = seg([(0.0, " That"), (0.3, " works"), (0.6, " for"), (0.9, " us"), (3.0, " Great"), (3.3, " news")])
    assert texts(list(resegment([a]))) == ["That works for us", "Great news"]


def test_chinese_words_join_without_spaces() -> None:
    a = seg([(0.0, "我們"), (0.3, "有"), (0.6, "三個"), (0.9, "倉庫。"), (1.2, "付款"), (1.5, "呢？")])
    assert texts(list(resegment([a]))) == ["我們有三個倉庫。", "付款呢？"]


def test_abbreviations_do_not_end_a_sentence() -> None:
    a = seg([(0.0, " Thanks,"), (0.3, " Mr."), (0.6, " Russo.")])
    assert texts(list(resegment([a]))) == ["Thanks, Mr. Russo."]


def test_ids_are_renumbered_and_segments_stay_ordered_without_overlap() -> None:
    a = seg([(0.0, " One."), (0.4, " Two"), (0.8, " words.")])
    b = seg([(5.0, " Three"), (5.4, " here.")], 1)
    out = list(resegment([a, b], ResegmentOptions(min_words=1)))
    assert [s.id for s in out] == [0, 1, 2]
    assert all(x.end <= y.start for x, y in itertools.pairwise(out))
    assert [len(s.words) for s in out] == [1, 2, 2]


def test_segments_without_words_pass_through() -> None:
    plain = Segment(0, 0.0, 2.0, "好的。")
    assert texts(list(resegment([plain]))) == ["好的。"]


def test_a_long_run_without_punctuation_is_cut_at_its_longest_pause() -> None:
    words = [(i * 0.5 + (0.6 if i >= 40 else 0.0), " word") for i in range(80)]
    out = list(resegment([seg(words)], ResegmentOptions(max_s=30.0)))
    assert len(out) == 2 and len(out[0].words) == 40


def test_english_words_in_chinese_keep_their_spaces() -> None:
    a = seg([(0.0, "我們用"), (0.3, "Ask"), (0.6, "not"), (0.9, "What"), (1.2, "的方法。")])
    assert texts(list(resegment([a]))) == ["我們用Ask not What的方法。"]
