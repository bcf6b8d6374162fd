"""The memo header heard in the meeting: the distributor's company, the people met, the territory."""

from __future__ import annotations

from pipeline.notes.build import build_notes
from pipeline.notes.header import extract, known_name
from pipeline.types import Segment, Transcript


def _segs(turns: list[tuple[str, str]]) -> tuple[Segment, ...]:
    return tuple(Segment(i, i * 10.0, i * 10.0 + 9.0, t, s) for i, (s, t) in enumerate(turns))


def test_company_people_and_territory_with_the_time_they_were_heard() -> None:
    segs = _segs(
        [
            ("rep", "謝謝王總，今天打擾了。"),  # the rep thanks the person met
            ("rep", "那我先介紹一下我們青嶺，我們在南投。"),
            ("dist", "我們先安寵物啊，民國89年成立的，倉庫在湖口，做新竹跟桃園大概三百多家店。"),
        ]
    )
    header = extract(segs, ["rep", "rep", "dist"], "zh", "hant")
    assert header.distributor is not None
    assert (header.distributor.value, header.distributor.segment, header.distributor.start) == (
        "先安寵物",
        2,
        20.0,
    )
    assert [(p.value, p.start) for p in header.people] == [("王總", 0.0)]
    assert header.territory is not None and "新竹" in header.territory.value


def test_the_reps_own_company_is_never_the_distributor() -> None:
    segs = _segs([("rep", "那我先介紹一下我們青嶺啊，我們在南投。"), ("dist", "好。")])
    assert extract(segs, ["rep", "dist"], "zh", "hant").distributor is None


def test_a_company_misheard_is_written_as_the_glossary_spells_it() -> None:
    assert known_name("前眼爱", ["晨阳", "黔源"], "zh") == "黔源"  # qian yan ~ qian yuan
    assert known_name("分员", ["丰元"], "zh") == "丰元"
    assert known_name("前进", ["黔源"], "zh") is None  # another initial: another name
    assert known_name("Lakesure", ["Lakeshore"], "en") == "Lakeshore"
    assert known_name("Northwind", ["Lakeshore"], "en") is None
    segs = _segs([("rep", "你好。"), ("dist", "那我也说一下我们前眼啊，我们是一二年成立的。")])
    header = extract(segs, ["rep", "dist"], "zh", "hant", glossary=("晨陽", "黔源"))
    assert header.distributor is not None
    assert header.distributor.value == "黔源" and header.distributor.rule.endswith("+glossary")


def test_the_glossary_reaches_the_header_through_the_transcripts_settings() -> None:
    tr = Transcript(
        language="zh",
        script="hans",
        segments=_segs([("rep", "你好。"), ("dist", "我们江城啊，九八年开始做冻品的。")]),
        settings={"glossary": ["海旺", "江城"]},
    )
    header = build_notes(tr).header or {}
    assert (header.get("distributor") or {}).get("value") == "江城"


def test_months_are_not_a_territory() -> None:
    segs = _segs([("dist", "We do most of our volume in June and July.")])
    assert extract(segs, ["dist"], "en", None).territory is None


def test_a_company_named_as_founded_by_the_family_is_the_distributor() -> None:
    segs = _segs(
        [("dist", "那我也講一下我們。豐元是我岳父開的，本來只賣飼料。"), ("dist", "這家店是我爸開的。")]
    )
    header = extract(segs, ["dist", "dist"], "zh", "hant")
    assert header.distributor is not None and header.distributor.value == "豐元"
