"""Filters against invented text: known phrases, loops, confident-silence text."""

from __future__ import annotations

from pipeline.asr.filters import clean_segment, collapse_loops, is_known_hallucination, trim_overlaps
from pipeline.types import RemovedSegment, Segment, Word


def seg(text: str, **kw: float) -> Segment:
    return Segment(id=0, start=0.0, end=2.0, text=text, **kw)  # type: ignore[arg-type]


def test_subtitle_credits_are_hallucinations_in_either_script() -> None:
    assert is_known_hallucination("字幕由Amara.org社群提供", "zh")
    assert is_known_hallucination("謝謝觀看！", "zh")
    assert is_known_hallucination("请不吝点赞 订阅 转发 打赏支持明镜与点点栏目", "zh")
    assert is_known_hallucination("Thanks for watching!", "en")


def test_real_sentences_are_not_hallucinations() -> None:
    assert not is_known_hallucination("謝謝您今天抽空和我們見面，我們觀看了貴公司的影片。", "zh")
    assert not is_known_hallucination("Thanks for watching the samples arrive, we checked them all.", "en")


def test_repetition_loop_collapses_to_one() -> None:
    assert collapse_loops("好的好的好的好的好的") == "好的"
    assert collapse_loops("we can do that, we can do that, we can do that, we can do that, ") == (
        "we can do that, "
    )


def test_a_character_said_a_few_times_is_not_a_loop() -> None:
    # A phone number read out in the corpus: 一三五八二八八八幺八八.
    assert collapse_loops("五八八八八") == "五八八八八"
    assert collapse_loops("時時時時時時時時時後") == "時後"


def test_normal_text_is_untouched_by_loop_collapse() -> None:
    text = "我們的業務大概六十幾個人，全台灣差不多有四千多個點。"
    assert collapse_loops(text) == text


def test_removed_text_keeps_its_reason() -> None:
    kept, removed = clean_segment(seg("謝謝觀看"), "zh")
    assert kept is None
    assert removed is not None and removed.reason == "known hallucination phrase"


def test_confident_silence_text_is_removed() -> None:
    kept, removed = clean_segment(seg("嗯", no_speech_prob=0.9, avg_logprob=-1.5), "zh")
    assert kept is None and removed is not None and "silence" in removed.reason


def test_a_loop_is_kept_collapsed_and_reported() -> None:
    kept, removed = clean_segment(seg("對對對對對對對對"), "zh")
    assert kept is not None and kept.text == "對"
    assert removed is not None and removed.reason == "repetition loop collapsed"


def test_music_notes_alone_are_removed_as_empty() -> None:
    kept, removed = clean_segment(seg("♪ ♪"), "en")
    assert kept is None and removed is not None and removed.reason == "empty"


def test_hallucination_data_file_lists_both_languages() -> None:
    import json
    from importlib import resources

    data = json.loads(resources.files("pipeline.asr.data").joinpath("hallucinations.json").read_text("utf-8"))
    assert data["zh"] and data["en"]
    assert all(is_known_hallucination(p, "zh") for p in data["zh"])
    assert all(is_known_hallucination(p, "en") for p in data["en"])


def test_a_word_loop_in_english_collapses() -> None:
    assert collapse_loops("thank you thank you thank you thank you thank you").startswith("thank you")
    assert collapse_loops("thank you thank you thank you thank you thank you").count("thank") == 1


def test_the_prompt_read_back_is_removed_with_its_reason() -> None:
    prompt = "The following is a business meeting between a sales representative and a distributor."
    kept, removed = clean_segment(seg(prompt), "en", prompt)
    assert kept is None and removed is not None and removed.reason == "repeats the initial prompt"
    kept, removed = clean_segment(seg("以下是普通話的句子"), "zh", "以下是普通话的句子。")
    assert kept is None and removed is not None


def test_speech_that_shares_a_word_with_the_prompt_is_kept() -> None:
    prompt = "The following is a business meeting between a sales representative and a distributor."
    kept, removed = clean_segment(seg("We are a distributor in Denver."), "en", prompt)
    assert kept is not None and removed is None


def test_text_squeezed_into_no_time_is_removed() -> None:
    # Real model output on a 0.96 s clip: a second "segment" of 15 tokens in 0.04 s.
    s = Segment(id=1, start=0.88, end=0.92, text="請問您的設計設計設計設計設計")
    kept, removed = clean_segment(s, "zh", audio_end=0.96)
    assert kept is None and removed is not None and removed.reason == "too fast to be speech"


def test_fast_speech_inside_the_audio_is_kept() -> None:
    # Real noisy phone-call output: word timings squeezed a real sentence into 0.02 s.
    s = Segment(id=3, start=22.85, end=22.87, text="Yeah, I can't hear you.")
    assert clean_segment(s, "en", audio_end=88.0) == (s, None)


def test_low_probability_words_with_low_log_probability_are_removed() -> None:
    from pipeline.types import Word

    words = tuple(Word(1.35 + i / 10, 1.4 + i / 10, w, p) for i, (w, p) in enumerate(
        [("我", 0.02), ("認", 0.31), ("識", 0.54), ("一下", 0.04)]))  # fmt: skip
    s = Segment(id=1, start=1.35, end=1.97, text="我認識一下", avg_logprob=-1.55, words=words)
    kept, removed = clean_segment(s, "zh")
    assert kept is None and removed is not None and removed.reason == "low confidence words"


def test_confident_speech_at_a_normal_rate_is_kept() -> None:
    s = Segment(id=0, start=0.0, end=2.0, text="我們在新竹有三家門市", avg_logprob=-0.3)
    assert clean_segment(s, "zh") == (s, None)


def _worded(start: float, words: list[tuple[float, str]]) -> Segment:
    ws = tuple(Word(t, t + 0.5, w, 0.9) for t, w in words)
    return Segment(id=0, start=start, end=ws[-1].end, text="".join(w for _, w in words).strip(), words=ws)


def test_words_decoded_again_by_the_next_window_are_kept_once() -> None:
    first = _worded(57.0, [(57.0, " Sure,"), (57.6, " Denver."), (78.1, "這幾年"), (79.0, "貓成長很快")])
    again = _worded(78.1, [(78.1, "這幾年"), (79.0, "貓成長很快，"), (80.0, "年輕人")])
    removed: list[RemovedSegment] = []
    out = list(trim_overlaps([first, again], removed))
    assert [s.text for s in out] == ["Sure, Denver.", "這幾年貓成長很快，年輕人"]
    assert out[0].end == 58.1
    assert [(r.text, r.reason) for r in removed] == [("這幾年貓成長很快", "decoded again by the next window")]


def test_segments_that_follow_each_other_are_untouched() -> None:
    a = _worded(0.0, [(0.0, " One"), (0.6, " two.")])
    b = _worded(1.0, [(1.0, " Three.")])
    assert list(trim_overlaps([a, b])) == [a, b]
