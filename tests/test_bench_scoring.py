"""How the benchmarks score a transcript against its reference (``bench.common.errors``)."""

from __future__ import annotations

from bench.common import errors, norm_zh


def test_mandarin_is_scored_in_simplified_characters_without_punctuation() -> None:
    assert norm_zh("進價，很貴！ 好") == "进价很贵好"
    assert errors("进价很贵。", "進價很貴", "zh") == (0, 4)


def test_mandarin_numbers_count_as_written_unless_read_out() -> None:
    reference, heard = "含量百分之九十五，卖十五到二十块，一百五十克", "含量95%，賣15-20塊，150克"
    wrong, length = errors(reference, heard, "zh")
    assert length == len(norm_zh(reference)) and wrong >= 12  # the corpus convention: as written
    assert errors(reference, heard, "zh", numbers=True) == (0, length)
    assert norm_zh("第1年3.5%", numbers=True) == "第一年百分之三点五"


def test_english_numbers_are_read_the_same_either_way() -> None:
    assert errors("fifty two dollars a case", "$52 a case", "en")[0] == 0
