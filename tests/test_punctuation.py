"""Mandarin punctuation inside long turns: pauses, particles, and a limit on unmarked runs."""

from __future__ import annotations

import itertools
import json

import pytest

from pipeline.asr.postprocess import finish
from pipeline.asr.punctuation import load_rules, longest_run, punctuate_segments, punctuate_text
from pipeline.types import Segment, Word
from tests.conftest import SAMPLES


def seg(pieces: list[str], gaps: dict[int, float] | None = None, sid: int = 0, t0: float = 0.0) -> Segment:
    """A segment of one word per piece, 0.2 s each, ``gaps[i]`` s of silence after word i."""
    words, t = [], t0
    for i, w in enumerate(pieces):
        words.append(Word(round(t, 3), round(t + 0.2, 3), w, 0.95))
        t += 0.2 + (gaps or {}).get(i, 0.0)
    return Segment(sid, words[0].start, words[-1].end, "".join(pieces), words=tuple(words))


# 40 Han characters, no mark; a 0.5 s pause after the 20th (after 公司).
FIRST = list("我們這次來是想跟您介紹一下我們的公司")  # 18
SECOND = list("我們在南投做寵物食品已經做了十五年現在也開始做自己的品牌")  # 28
LONG = [*FIRST, *SECOND]


def test_a_long_run_with_a_half_second_pause_gets_a_mark_there() -> None:
    out, _ = punctuate_segments([seg(LONG, {len(FIRST) - 1: 0.5})], options=None)
    text = "".join(s.text for s in out)
    assert text.startswith("我們這次來是想跟您介紹一下我們的公司，") or text.startswith(
        "我們這次來是想跟您介紹一下我們的公司。"
    ), text
    assert max(longest_run(s.text) for s in out) <= 25


def test_a_long_pause_ends_the_sentence_and_cuts_the_segment_at_that_word() -> None:
    s = seg(LONG, {len(FIRST) - 1: 0.8})
    out, origin = punctuate_segments([s])
    assert out[0].text == "".join(FIRST) + "。"
    assert origin == [0] * len(out) and len(out) >= 2
    assert out[0].words[-1].word == "司。" and out[1].words[0].start == s.words[len(FIRST)].start
    assert sum(len(p.words) for p in out) == len(s.words)
    assert all(a.end <= b.start for a, b in itertools.pairwise(out))
    assert all(p.start == p.words[0].start and p.end == p.words[-1].end for p in out)


def test_a_run_with_no_pause_is_still_cut_to_25_at_the_largest_gap_available() -> None:
    # Gaps too short to be pauses (0.1 s) except a slightly larger one (0.2 s) after 公司.
    gaps = {i: 0.1 for i in range(0, len(LONG) - 1, 3)} | {len(FIRST) - 1: 0.2}
    out, _ = punctuate_segments([seg(LONG, gaps)])
    text = out[0].text
    assert "公司，" in text, text
    assert max(longest_run(s.text) for s in out) <= 25


def test_a_run_with_no_timing_at_all_is_cut_to_25() -> None:
    text, marks = punctuate_text("".join(LONG * 2), None)
    assert marks and longest_run(text) <= 25
    assert text.replace("，", "") == "".join(LONG * 2)


def test_a_chinese_number_is_never_split() -> None:
    # Every boundary a pause, inside the numbers too: the numbers stay whole.
    pieces = list("我們一個月大概可以賣三百五十箱如果做到兩千四百八十萬的話就可以簽約")
    gaps = {i: 0.5 for i in range(len(pieces) - 1)}
    out, _ = punctuate_segments([seg(pieces, gaps)])
    text = "".join(s.text for s in out)
    assert "三百五十箱" in text and "兩千四百八十萬" in text, text


def test_digits_and_latin_words_are_never_split() -> None:
    said = "我們 的 罐頭 一 罐 14.5 公克 在 Costco 跟 全聯 都 有 賣 價格 是 NT$39 我們 再 看看 要 不要 做"
    pieces = [*said.split(" "), "小", "包", "裝", "給", "你們"]
    out, _ = punctuate_segments([seg(pieces, {i: 0.4 for i in range(len(pieces) - 1)})])
    text = "".join(s.text for s in out)
    for whole in ("14.5公克", "Costco", "NT$39"):
        assert whole in text, text


def test_a_glossary_name_is_never_split() -> None:
    pieces = list("我們跟新安寵物用品談過以後覺得他們在新竹跟桃園的通路真的很完整值得合作")
    at = pieces.index("安")
    out, _ = punctuate_segments([seg(pieces, {at: 0.9, at - 1: 0.9})], names=("新安寵物",))
    assert "新安寵物" in "".join(s.text for s in out)


def test_a_question_particle_followed_by_more_text_gets_a_question_mark() -> None:
    text, _ = punctuate_text("可以給我們獨家嗎還有快到期的貨可以退嗎", None)
    assert text == "可以給我們獨家嗎？還有快到期的貨可以退嗎", text


def test_a_comma_after_a_question_particle_becomes_a_question_mark_and_a_sentence_end() -> None:
    s = seg(["可以", "給", "我們", "獨家", "嗎,", "還有", "快", "到期", "的", "貨", "可以", "退", "嗎？"])
    s = Segment(0, s.start, s.end, "可以給我們獨家嗎，還有快到期的貨可以退嗎？", words=s.words)
    out, _ = punctuate_segments([s])
    assert [p.text for p in out] == ["可以給我們獨家嗎？", "還有快到期的貨可以退嗎？"]


def test_simplified_text_is_punctuated_too() -> None:
    text, _ = punctuate_text("可以给我们独家吗还有快到期的货可以退吗", None)
    assert text.startswith("可以给我们独家吗？")


def test_ba_is_a_statement_unless_it_asks() -> None:
    text, _ = punctuate_text("那我們今天就先談到這裡吧下次再約時間", None)
    assert text.startswith("那我們今天就先談到這裡吧。")
    assert punctuate_text("你們在新竹做了很多年了對吧通路應該很熟", None)[0].startswith(
        "你們在新竹做了很多年了對吧？"
    )


def test_a_short_run_without_a_pause_is_left_as_it_is() -> None:
    text, marks = punctuate_text("我們在南投做寵物食品", {p: 0.0 for p in range(1, 10)})
    assert not marks and text == "我們在南投做寵物食品"


def test_finish_keeps_segments_sorted_without_overlap_and_ids_renumbered() -> None:
    a = seg(LONG, {len(FIRST) - 1: 0.8}, sid=0)
    b = seg(list("好的那我們下次再談"), sid=1, t0=20.0)
    out, _ = finish([a, b], "hant")
    assert [s.id for s in out] == list(range(len(out))) and len(out) == 3
    assert all(x.end <= y.start for x, y in itertools.pairwise(out))
    assert all(w.start >= s.start and w.end <= s.end for s in out for w in s.words)


def test_the_rules_file_has_ids_and_known_marks() -> None:
    rules = load_rules()
    assert rules.particle("嗎") is not None and rules.particle("吗") is not None
    assert {p.mark for p in rules.particles} <= {"，", "。", "？"}
    assert rules.numerals >= set("零一二三四五六七八九十百千萬")


@pytest.mark.e2e
def test_the_mandarin_sample_has_no_run_over_25() -> None:
    from pipeline.asr.transcribe import TranscribeOptions, transcribe

    script = json.loads((SAMPLES / "zh-hant-meeting.json").read_text("utf-8"))
    tr = transcribe(SAMPLES / "zh-hant-meeting.wav", TranscribeOptions(language="zh"))
    assert max(longest_run(s.text) for s in tr.segments) <= 25
    assert all(x.end <= y.start for x, y in itertools.pairwise(tr.segments))
    assert len(tr.segments) >= len(script["turns"]) - 3
