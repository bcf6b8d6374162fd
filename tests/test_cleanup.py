"""Filler, stutter and false-start removal."""

import pytest

from pipeline.notes.cleanup import clean_text


def test_zh_hans_fillers_removed() -> None:
    assert clean_text("嗯，那个，我们是零九年开始做的。", "zh") == "我们是零九年开始做的。"


def test_zh_hant_fillers_removed_and_script_kept() -> None:
    assert clean_text("欸，那個，我們豐禾是一九八八年開始做的齁。", "zh") == "我們豐禾是一九八八年開始做的。"


def test_zh_demonstrative_nage_kept() -> None:
    assert clean_text("那个样品什么时候能寄过来？", "zh") == "那个样品什么时候能寄过来？"


def test_zh_jiushishuo_and_ellipsis() -> None:
    assert clean_text("水饺这一块……就是说，其实还有空档。", "zh") == "水饺这一块，其实还有空档。"


def test_zh_stutter_collapsed() -> None:
    assert clean_text("对对对，谢谢谢谢。", "zh") == "对，谢谢。"


def test_en_fillers_removed() -> None:
    assert clean_text("So, um, we're, like, totally new here, you know.", "en") == (
        "So we're totally new here."
    )


def test_en_like_as_verb_kept() -> None:
    assert clean_text("I'd like to see the numbers.", "en") == "I'd like to see the numbers."


def test_en_false_start_and_stutter() -> None:
    assert clean_text("uh, we- we roast to order, I mean the the same day.", "en") == (
        "We roast to order, I mean the same day."
    )


def test_unknown_language_names_the_choices() -> None:
    with pytest.raises(ValueError, match="zh, en"):
        clean_text("hola", "es")
