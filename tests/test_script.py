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


def test_ascii_punctuation_in_chinese_becomes_full_width() -> None:
    from pipeline.script import punctuate_zh

    assert punctuate_zh("付款的話,你們怎麼算?") == "付款的話，你們怎麼算？"
    assert punctuate_zh("單價是3.5元.") == "單價是3.5元。"


def test_pauses_become_commas_and_segments_close() -> None:
    from pipeline.script import punctuate_zh

    assert punctuate_zh("請坐請坐 來 喝杯茶") == "請坐請坐，來，喝杯茶。"
    assert punctuate_zh("可以給我們獨家嗎") == "可以給我們獨家嗎？"
    assert punctuate_zh("FOB price") == "FOB price"


def test_full_width_marks_stay_and_a_statement_closes_with_a_full_stop() -> None:
    from pipeline.script import punctuate_zh

    assert punctuate_zh("我們在新竹有三家門市") == "我們在新竹有三家門市。"
    assert punctuate_zh("好，沒問題！") == "好，沒問題！"


def test_english_words_inside_mandarin_are_kept() -> None:
    from pipeline.script import punctuate_zh

    assert to_script("我们的 CRM 系统", "hant") == "我們的 CRM 系統"
    assert punctuate_zh("我們的 CRM 系統") == "我們的 CRM 系統。"


def test_conversion_is_stable_so_output_is_in_one_script() -> None:
    # OpenCC s2tw alone turns 幺 into 么 and only a second pass into 麼.
    for text in ("請說出您要撥打的號碼。幺三五八幺八八", "我们在山东干了十几年，从来没拖过款"):
        once = to_script(text, "hant")
        assert is_in_script(once, "hant")
        assert to_script(once, "hant") == once


def test_wording_written_once_in_traditional_is_simplified_whole_and_tagged() -> None:
    from pipeline.script import language_tag, simplified

    table = {"fill": "【待業務填寫】", "topics": ("上市時機", "樣品"), "n": 3}
    assert simplified(table) == {"fill": "【待业务填写】", "topics": ("上市时机", "样品"), "n": 3}
    assert [language_tag("zh", "hans"), language_tag("zh", "hant"), language_tag("zh", None)] == [
        "zh-Hans",
        "zh-Hant",
        "zh-Hant",
    ]
    assert language_tag("en", None) == "en"
