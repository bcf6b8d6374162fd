"""The notes stage's learned back-off: shipped, in step with the rules, and side-aware."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.notes import backoff
from pipeline.notes.build import NotesOptions, backoff_inputs, build_notes
from pipeline.notes.classify import rules_version
from pipeline.types import Segment, SegmentNote, Transcript


def _notes(turns: list[tuple[str | None, str]], language: str = "en", **kw: object) -> list[SegmentNote]:
    segs = tuple(Segment(i, i * 10.0, i * 10.0 + 9.0, t, s) for i, (s, t) in enumerate(turns))
    script = "hant" if language == "zh" else None
    return list(build_notes(Transcript(language=language, script=script, segments=segs), **kw).segments)  # type: ignore[arg-type]


def test_the_model_ships_and_was_trained_on_the_current_rules() -> None:
    model = backoff.shipped()
    assert model is not None, "run python -m bench.train_notes"
    # Its features are the rules' evidence: after a rule change, train it again.
    assert model.meta["rules_version"] == rules_version(), "rules changed: run python -m bench.train_notes"
    assert set(model.heads) == set(backoff.HEADS)
    assert set(model.heads["cat2"].classes) == {"parties", "market", "product", "concerns", "none"}


def test_save_and_load_give_the_same_predictions(tmp_path: Path) -> None:
    model = backoff.shipped()
    assert model is not None
    segs = tuple(
        Segment(i, i * 10.0, i * 10.0 + 9, t, s)
        for i, (s, t) in enumerate(
            [("rep", "Our plant makes forty thousand units a month."), ("dist", "What's the margin?")]
        )
    )
    inputs = backoff_inputs(Transcript(language="en", segments=segs))
    model.save(tmp_path / "m.npz")
    again = backoff.load(tmp_path / "m.npz")
    assert again.predict(inputs, "en") == model.predict(inputs, "en")
    assert again.meta == model.meta


def test_what_the_model_changes_carries_its_reason() -> None:
    turns = [
        (
            "rep",
            "Thanks for having me. So, we make espresso machines in Bologna, about nine thousand a year.",
        ),
        ("dist", "We've got two warehouses and our own service vans covering the whole province."),
        ("rep", "That's a great footprint."),
    ]
    rules_only = _notes(turns, model=None)
    with_model = _notes(turns)

    def labels(n: SegmentNote) -> tuple[str, bool, bool, bool]:
        return (n.category, n.question, n.suggestion, n.strength)

    changed = [(a, b) for a, b in zip(rules_only, with_model, strict=True) if labels(a) != labels(b)]
    for _a, b in changed:
        assert any(r.startswith("model:") for r in b.rules), b
    for a, b in zip(rules_only, with_model, strict=True):
        if (a.category, a.strength) == (b.category, b.strength):
            assert not any(r.startswith(f"model:{b.category}") for r in b.rules)


@pytest.mark.parametrize(
    ("language", "own_means"),
    [
        ("en", "We have three warehouses and our own fleet of twenty trucks; stores get it in two days."),
        ("zh", "我們自己有三個倉庫、二十台車，全縣的店四十八小時內一定送到。"),
    ],
)  # fmt: skip
def test_a_fleet_and_warehouses_are_a_strength_of_the_distributor_only(language: str, own_means: str) -> None:
    """The same words: a strength when the distributor says them, never when the rep does."""
    other = "Good to meet you." if language == "en" else "很高興認識你。"
    dist_says = _notes([("rep", other), ("dist", own_means)], language)
    rep_says = _notes([("dist", other), ("rep", own_means)], language)
    assert dist_says[1].strength and dist_says[1].category == "parties"
    assert not rep_says[1].strength


def test_advice_comes_only_from_the_distributor_side() -> None:
    advice = "My advice: start with the two best sellers and put a tasting stand in the big stores first."
    assert _notes([("rep", "Any thoughts on the launch?"), ("dist", advice)])[1].suggestion
    assert not _notes([("dist", "Any thoughts on the launch?"), ("rep", advice)])[1].suggestion


def test_an_answer_takes_its_questions_section() -> None:
    notes = _notes(
        [("dist", "What are your payment terms for a first order?"), ("rep", "Thirty days, usually.")]
    )
    assert notes[0].question and notes[0].category == "concerns"
    assert notes[1].category == "concerns"


def test_a_reaction_to_a_number_is_not_a_point() -> None:
    for language, number, reaction in (
        ("en", "We ship about two hundred containers a year to Europe.", "That many? Impressive."),
        ("zh", "我們一年出口兩百個貨櫃到歐洲。", "這麼多？厲害。"),
    ):
        notes = _notes([("rep", number), ("dist", reaction), ("rep", number)], language)
        assert notes[1].category == "none" and not notes[1].question, notes[1]


def test_thanks_to_a_title_starts_the_goodbyes_before_the_parting_question() -> None:
    turns = [
        ("rep", "我們工廠在彰化，成立二十年，月產能五萬套。"),
        ("dist", "你們給經銷商的價格大概多少？"),
        ("rep", "出廠價一套三百二，經銷商毛利大概三成。"),
        ("dist", "付款方式呢？月結還是現金？"),
        ("rep", "首單現金，之後可以月結三十天。"),
        ("rep", "好，那就不打擾了，謝謝陳經理。"),
        ("dist", "欸，再問一個，你們的保固是一年還是兩年？"),
        ("rep", "兩年，工廠直接換新。"),
        ("dist", "好，那我送你下樓。"),
    ]
    notes = _notes(turns, "zh")
    assert [n.id for n in notes if n.parting_question] == [6]
    assert notes[6].category == "concerns"


def test_no_sides_known_still_uses_the_model() -> None:
    turns = [
        (None, "We run two warehouses and deliver to three hundred shops with our own trucks."),
        (None, "Great."),
    ]
    notes = _notes(turns, options=NotesOptions(rep_speaker=None))
    assert notes[0].category == "parties"
