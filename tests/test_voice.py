"""Memo voice: one side per bullet, Q&A items, each side's pronouns as the memo says them."""

from __future__ import annotations

import pytest

from pipeline.notes.build import build_notes
from pipeline.notes.voice import addressed, sentence
from pipeline.types import Segment, Transcript


def _memo(turns: list[tuple[str, str]], language: str, script: str | None = None):  # type: ignore[no-untyped-def]
    segs = tuple(Segment(i, i * 10.0, i * 10.0 + 9.0, t, s) for i, (s, t) in enumerate(turns))
    return build_notes(Transcript(language=language, script=script, segments=segs)).memo  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("language", "script", "side", "said", "memo"),
    [
        ("zh", "hant", "dist", "我們有三個倉庫，你們的價格太高了。", "貴公司有三個倉庫，我司的價格太高了。"),
        ("zh", "hans", "dist", "我们有三个仓库，你们的价格太高了。", "贵公司有三个仓库，我司的价格太高了。"),
        ("zh", "hant", "rep", "我們工廠在彰化，給你們的價格是一百二。", "我司工廠在彰化，給貴公司的價格是一百二。"),  # noqa: E501
        ("zh", "hans", "rep", "我们工厂在佛山，给你们的价格是十块。", "我司工厂在佛山，给贵公司的价格是十块。"),  # noqa: E501
        ("en", None, "dist", "We have three warehouses. Can you send us samples?", "You have three warehouses. Can we send you samples?"),  # noqa: E501
        ("en", None, "dist", "What's your margin on our volume?", "What's our margin on your volume?"),
        ("en", None, "rep", "We can send you samples next week.", "We can send you samples next week."),
        # The distributor's "my" shop, warehouse, trucks are the company's; "I" as a person stays.
        ("zh", "hant", "dist", "我三台貨車每天跑，我倉庫四百坪，我跟你講。", "貴公司三台貨車每天跑，貴公司倉庫四百坪，我跟你講。"),  # noqa: E501
        ("zh", "hans", "dist", "我的门市有六家。", "贵公司的门市有六家。"),
    ],
)  # fmt: skip
def test_each_sides_pronouns_as_the_memo_says_them(
    language: str, script: str | None, side: str, said: str, memo: str
) -> None:
    assert addressed(said, language, side, script).text == memo


def test_unknown_sides_keep_the_words_as_said() -> None:
    assert addressed("我們有三個倉庫。", "zh", "unknown", "hant").text == "我們有三個倉庫。"


@pytest.mark.parametrize(
    ("language", "said", "memo"),
    [
        ("en", "So, I mean, we were founded in 1987.", "We were founded in 1987."),
        ("en", "So a bit about us.", ""),
        ("zh", "對，所以我們那邊有兩個倉庫。", "我們那邊有兩個倉庫。"),
        ("zh", "好的，那我先介紹一下，我們成立二十年。", "我們成立二十年。"),
        ("zh", "好像沒問題。", "好像沒問題。"),  # 好 alone is an opener; 好像 is a word
        # not "Thank us":
        ("en", "Thank you, that helps. We run ten stores.", "That helps. We run ten stores."),
    ],
)
def test_spoken_openers_are_dropped_and_numbers_kept(language: str, said: str, memo: str) -> None:
    assert sentence(said, language).text == memo


def test_an_answer_joins_the_other_sides_question_as_one_labelled_item() -> None:
    memo = _memo(
        [
            ("rep", "Our plant is in Michigan and we make water filters."),
            ("dist", "What are your payment terms?"),
            ("rep", "We normally do net thirty, and net forty-five in year one."),
        ],
        "en",
    )
    [qa] = [b for b in memo.concerns if b.kind == "qa"]
    assert (qa.question_segments, qa.answer_segments) == ((1,), (2,))
    assert qa.text.startswith("You asked: What are our payment terms?")
    assert "We answered: We normally do net thirty" in qa.text
    assert qa.to_dict()["kind"] == "qa"


def test_a_bullet_never_mixes_the_two_sides() -> None:
    turns = [
        ("rep", "我们工厂在佛山，做瓷砖二十年了。"),
        ("dist", "我们公司在合肥有六十多家门店客户，自己有仓库。"),
        ("dist", "我们的业务员有二十个人。"),
        ("rep", "我们的出厂价是每平米四十五块。"),
        ("dist", "你们的账期怎么算？"),
        ("rep", "首单款到发货，之后月结三十天。"),
    ]
    memo = _memo(turns, "zh", "hans")
    side = {i: s for i, (s, _t) in enumerate(turns)}
    for name in ("parties", "market", "product", "concerns"):
        for b in memo.section(name):
            if b.kind == "qa":
                assert {side[i] for i in b.question_segments} == {"dist"}
                assert {side[i] for i in b.answer_segments} == {"rep"}
                assert b.text.startswith("贵公司问：") and "——我方答：" in b.text
            else:
                assert len({side[i] for i in b.segments}) == 1, b
    texts = [b.text for name in ("parties", "product") for b in memo.section(name)]
    assert any(t.startswith("我司工厂在佛山") for t in texts)
    assert any(t.startswith("贵公司公司在合肥") or t.startswith("贵公司在合肥") for t in texts)


def test_section_seven_lists_only_the_distributors_questions() -> None:
    memo = _memo(
        [
            ("rep", "How many stores do you supply?"),
            ("dist", "About four hundred, across two states."),
            ("dist", "Do you offer exclusivity?"),
            ("rep", "For the state, if you hit the first-year target."),
        ],
        "en",
    )
    asked = [q.segments for q in memo.questions]
    assert asked == [(2,)]
