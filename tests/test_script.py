"""One Chinese script per transcript."""

from __future__ import annotations

from pipeline.script import is_in_script, other_script, to_script


def test_simplified_becomes_traditional() -> None:
    assert to_script("我们的经销商网络覆盖华东", "hant") == "我們的經銷商網絡覆蓋華東"


def test_traditional_becomes_simplified() -> None:
    assert to_script("溝通備忘錄", "hans") == "沟通备忘录"


def test_english_and_digits_are_untouched() -> None:
    assert to_script("FOB 廣州 24 cans", "hans") == "FOB 广州 24 cans"
    assert to_script("Meeting memo", "hant") == "Meeting memo"


def test_mixed_text_is_detected() -> None:
    assert not is_in_script("這個价格", "hant")
    assert is_in_script(to_script("這個价格", "hant"), "hant")
    assert other_script("hant") == "hans"
