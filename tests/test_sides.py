"""Which speaker is the rep, without an enrollment: inferred from what each one says."""

from __future__ import annotations

from pipeline.notes.build import NotesOptions, build_notes
from pipeline.types import Segment, Transcript

EN = [
    ("S1", "Thanks for coming out. Grab a seat."),
    ("S2", "Thanks for having me. So we make commercial espresso machines, our plant is outside Bologna."),
    ("S1", "We distribute to about four hundred cafes across Ontario with our own trucks."),
    ("S2", "Our distributor price on the two-group machine is four thousand two hundred, landed."),
    ("S1", "What kind of margin are we looking at, and do you offer exclusivity for the province?"),
    ("S2", "We can give you exclusivity for Ontario if you hit the first-year target."),
    ("S2", "And we'll train your techs."),
    ("S1", "Our service team would need parts in stock here, we promise same-day repairs to our accounts."),
    ("S2", "We can ship a parts kit with the first order."),
]
ZH = [
    ("S1", "來，請坐，喝茶。"),
    ("S2", "謝謝。我先介紹一下，我們工廠在台中，做商用咖啡機二十年了。"),
    ("S1", "我們在北部有三百多家咖啡店客戶，自己有倉庫跟貨車。"),
    ("S2", "我們給經銷商的價格是一台四萬二，毛利大概三成。"),
    ("S1", "你們的保固多久？帳期可以月結嗎？"),
    ("S2", "保固兩年，我們可以派人幫你們的技師做培訓。"),
]


def _transcript(turns: list[tuple[str, str]], language: str) -> Transcript:
    segs = tuple(Segment(i, i * 10.0, i * 10.0 + 9.0, t, s) for i, (s, t) in enumerate(turns))
    return Transcript(language=language, script="hant" if language == "zh" else None, segments=segs)  # type: ignore[arg-type]


def test_the_rep_is_inferred_from_what_each_speaker_says() -> None:
    for turns, language in ((EN, "en"), (ZH, "zh")):
        notes = build_notes(_transcript(turns, language))
        assert notes.sides is not None
        assert (notes.sides.rep, notes.sides.how) == ("S2", "inferred"), notes.sides
        assert notes.sides.confidence is not None and notes.sides.confidence >= 0.6
        # The maker's factory is never the distributor's strength; the distributor's network is.
        assert not any(n.strength for n, (s, _t) in zip(notes.segments, turns, strict=True) if s == "S2")
        assert notes.to_dict()["sides"]["how"] == "inferred"


def test_the_inferred_rep_does_not_depend_on_who_speaks_first() -> None:
    swapped = [("S2" if s == "S1" else "S1", t) for s, t in EN]
    notes = build_notes(_transcript(swapped, "en"))
    assert notes.sides is not None and notes.sides.rep == "S1"


def test_small_talk_alone_leaves_the_sides_unknown() -> None:
    turns = [("S1", "Nice weather today."), ("S2", "Yes, lovely."), ("S1", "Coffee?"), ("S2", "Sure.")]
    notes = build_notes(_transcript(turns, "en"))
    assert notes.sides is not None and notes.sides.how == "unknown" and notes.sides.rep is None


def test_a_given_rep_label_wins() -> None:
    notes = build_notes(_transcript(EN, "en"), NotesOptions(rep_speaker="S1"))
    assert notes.sides is not None and (notes.sides.rep, notes.sides.how) == ("S1", "given")


def test_no_speaker_labels_no_sides() -> None:
    turns = [(None, t) for _s, t in EN]
    notes = build_notes(_transcript(turns, "en"))  # type: ignore[arg-type]
    assert notes.sides is None and "sides" not in notes.to_dict()
