"""build_notes on a small transcript: invariants of the notes and the memo."""

import json
import re
import subprocess
import sys
from pathlib import Path

import jsonschema

from pipeline.notes.build import NotesOptions, build_notes, notes_to_json
from pipeline.types import MEMO_SECTIONS, MemoContent, Segment, Transcript

SCHEMA = json.loads(
    (Path(__file__).resolve().parents[1] / "pipeline" / "schemas" / "notes.schema.json").read_text()
)
TURNS = [
    ("dist", "Hey, come on in. Can I get you a coffee?"),
    ("rep", "Um, quick background on us. We were founded in 2011, we have, like, 85 employees."),
    ("dist", "So, uh, what's the pricing look like on the twelve-ounce bag?"),
    ("rep", "Distributor cost is 8.10 a bag, and the margin for the store is about forty percent."),
    ("rep", "And would you want exclusivity for New England?"),
    (
        "dist",
        "Yes, exclusivity for grocery. We've got two warehouses and twenty-two trucks, and we pay on time.",
    ),
    ("dist", "My advice, you should start in the Boston suburbs, the market there cares about origin."),
    ("rep", "Thank you both, this was really great."),
]
FILLERS = re.compile(r"\b(um|uh|like,|you know)\b", re.I)


def _notes(speakers: bool = True):
    segments = tuple(
        Segment(id=100 + i, start=i * 5.0, end=i * 5.0 + 4.0, text=t, speaker=s if speakers else None)
        for i, (s, t) in enumerate(TURNS)
    )
    return build_notes(Transcript(language="en", segments=segments), NotesOptions())


def test_one_note_per_segment_same_ids_same_order() -> None:
    notes = _notes()
    assert [n.id for n in notes.segments] == [100 + i for i in range(len(TURNS))]


def test_notes_json_is_schema_valid_and_holds_the_notes() -> None:
    notes = _notes()
    data = json.loads(json.dumps(notes_to_json(notes)))  # plain JSON, as written to disk
    jsonschema.validate(data, SCHEMA)
    assert data["schema"] == "meeting-notes/1" and data["language"] == "en"
    assert data["rules_version"] and data["rules_version"] == notes.rules_version
    assert [s["id"] for s in data["segments"]] == [100 + i for i in range(len(TURNS))]
    for seg, note in zip(data["segments"], notes.segments, strict=True):
        labels = ("category", "question", "suggestion", "strength", "parting_question")
        assert {k: seg[k] for k in labels} == {k: getattr(note, k) for k in labels}
        assert seg["rules"] == list(note.rules) and seg["rules"]
        assert seg["clean_text"] == note.clean_text and not FILLERS.search(seg["clean_text"])
    assert "founded in 2011" in data["segments"][1]["clean_text"], "cleaning keeps the content"
    assert MemoContent.from_dict(data["memo"]) == notes.memo
    assert data["memo"]["parting_question"] is None, "no one asks a parting question here"
    cited = {i for name in MEMO_SECTIONS for b in data["memo"][name] for i in b["segments"]}
    assert cited and 100 not in cited and 107 not in cited, "chit-chat and goodbyes stay out of the memo"


def test_bullets_point_to_existing_segments() -> None:
    notes = _notes()
    ids = {n.id for n in notes.segments}
    memo = notes.memo
    bullets = [*memo.parties, *memo.market, *memo.product, *memo.concerns]
    bullets += [*memo.questions, *memo.suggestions, *memo.strengths]
    assert bullets
    for b in bullets:
        assert b.segments and set(b.segments) <= ids


def test_no_fillers_in_bullets() -> None:
    memo = _notes().memo
    for b in [*memo.parties, *memo.market, *memo.product, *memo.concerns, *memo.questions]:
        assert not FILLERS.search(b.text), b.text


def test_chitchat_is_none_and_not_in_memo() -> None:
    notes = _notes()
    assert notes.segments[0].category == "none"
    memo_ids = {i for b in notes.memo.parties + notes.memo.market for i in b.segments}
    assert 100 not in memo_ids


def test_rep_questions_excluded_from_questions_when_speakers_known() -> None:
    notes = _notes()
    assert notes.segments[4].question  # the rep's exclusivity question is a question
    asked = {i for b in notes.memo.questions for i in b.segments}
    assert 102 in asked and 104 not in asked


def test_all_questions_kept_without_speakers() -> None:
    asked = {i for b in _notes(speakers=False).memo.questions for i in b.segments}
    assert {102, 104} <= asked


def test_suggestion_and_strength_from_distributor() -> None:
    notes = _notes()
    assert notes.segments[6].suggestion
    assert notes.segments[5].strength
    assert {i for b in notes.memo.suggestions for i in b.segments} == {106}


def test_every_label_has_its_rules() -> None:
    for n in _notes().segments:
        assert n.rules, n


def test_short_real_question_takes_the_topic() -> None:
    turns = [
        ("rep", "产品的部分，我们第一波想推三样：唇釉十二色、气垫粉饼、眼影盘。"),
        ("dist", "批价多少？"),
    ]
    segs = tuple(Segment(i, i * 10.0, i * 10.0 + 9, t, s) for i, (s, t) in enumerate(turns))
    notes = build_notes(Transcript(language="zh", script="hans", segments=segs))
    assert notes.segments[1].category == "product" and notes.segments[1].question


def test_transcript_labelled_in_one_pass_matches_segment_by_segment() -> None:
    from pipeline.notes.build import _analyse

    texts = ["我们的系统看得到每一家店卖多少。", "一个卖多少？那物流呢？", "好的。"]
    batch = _analyse(texts, "zh")
    single = [_analyse([t], "zh")[0] for t in texts]
    assert [[s.labels for s in ss] for ss in batch] == [[s.labels for s in ss] for ss in single]


def test_terse_topic_put_to_the_other_side_is_a_question() -> None:
    turns = [
        ("rep", "Our distributor price is eleven dollars a unit, landed."),
        ("dist", "Payment terms."),
        ("rep", "Thirty percent deposit, the rest before shipment."),
        ("dist", "Net sixty."),
        ("rep", "We can look at that after two orders."),
    ]
    segments = tuple(Segment(i, i * 10.0, i * 10.0 + 9.0, t, s) for i, (s, t) in enumerate(turns))
    notes = build_notes(Transcript(language="en", script=None, segments=segments))
    assert notes.segments[1].question and "ctx.terse-question" in notes.segments[1].rules
    assert not notes.segments[3].question


def test_a_question_the_speaker_answers_at_once_asks_nothing() -> None:
    answered = [
        ("rep", "We'd want payment before the container leaves."),
        ("dist", "Before it leaves? Who pays for stock unseen? Nobody here. It's thirty days from arrival."),
        ("rep", "Understood."),
    ]
    asked = [answered[0], ("dist", "Before it leaves? Who pays for stock unseen?"), answered[2]]
    one_more = [answered[0], ("dist", "We pay in thirty days. Could you do the same? Most do."), answered[2]]
    for turns, question in ((answered, False), (asked, True), (one_more, True)):
        segs = tuple(Segment(i, i * 10.0, i * 10.0 + 9.0, t, s) for i, (s, t) in enumerate(turns))
        notes = build_notes(Transcript(language="en", segments=segs), NotesOptions(), model=None)
        assert notes.segments[1].question is question, turns[1]


def test_speakers_without_a_rep_label_count_as_unknown_sides() -> None:
    """S1/S2 (no enrollment): an answer by the other voice is still read as the answer.

    The rules alone (``model=None``): the context rule is what is tested; the back-off, asked
    about a two-line meeting, may read a bare "Thirty days" differently."""
    segs = (
        Segment(0, 0.0, 3.0, "What are your payment terms?", speaker="S1"),
        Segment(1, 3.0, 6.0, "Thirty days, usually.", speaker="S2"),
    )
    notes = build_notes(Transcript(language="en", segments=segs), NotesOptions(rep_speaker="rep"), model=None)
    assert notes.segments[1].category == "concerns"
    assert "ctx.answer" in notes.segments[1].rules


def _memo_of(language: str, turns: list[tuple[str, str]]) -> MemoContent:
    segments = tuple(
        Segment(id=i, start=i * 8.0, end=i * 8.0 + 7.0, text=t, speaker=s) for i, (s, t) in enumerate(turns)
    )
    return build_notes(Transcript(language=language, segments=segments), NotesOptions()).memo


def _where(memo: MemoContent, words: str) -> list[tuple[str, tuple[int, ...]]]:
    return [(name, b.segments) for name in MEMO_SECTIONS for b in getattr(memo, name) if words in b.text]


LONG_EN = (
    "We run a refrigerated warehouse in Tacoma and our own fleet of fourteen trucks, so every store "
    "gets its order within two days. "
    "On payment, our terms with every supplier are net sixty days, and we want exclusivity for the "
    "whole of Washington State before we sign anything."
)
LONG_ZH = (
    "我們在台中有自己的冷藏倉庫，兩百坪，還有八台冷藏車，中部的店隔天一定送到。"
    "付款的話，我們跟每家廠商都是月結六十天，而且我們要整個中部的獨家代理，不然不會簽。"
)


def test_a_long_turn_that_changes_topic_becomes_one_bullet_per_point_in_each_section() -> None:
    for language, long_turn, first, second in (
        ("en", LONG_EN, "refrigerated warehouse", "exclusivity"),
        ("zh", LONG_ZH, "冷藏倉庫", "獨家"),
    ):
        intro = "Tell me about your company." if language == "en" else "可以先介紹一下貴公司嗎？"
        memo = _memo_of(language, [("rep", intro), ("dist", long_turn)])
        where_first, where_second = _where(memo, first), _where(memo, second)
        assert len(where_first) == 1 and len(where_second) == 1, (language, memo)
        (sec1, ids1), (sec2, ids2) = where_first[0], where_second[0]
        assert sec1 == "parties" and sec2 == "concerns", (language, sec1, sec2)
        assert ids1 == ids2 == (1,), "each point still cites the turn it came from"


def test_a_short_turn_stays_one_bullet() -> None:
    memo = _memo_of("en", [("dist", "We have a warehouse in Tacoma and fourteen trucks.")])
    bullets = [b for name in MEMO_SECTIONS for b in getattr(memo, name)]
    assert len(bullets) == 1 and "fourteen trucks" in bullets[0].text


def test_one_speakers_next_segments_join_its_bullet_only_while_it_stays_short() -> None:
    intro = ("rep", "Tell me about your company.")
    said = [
        ("dist", "We supply about 300 hardware stores from our warehouse."),
        # Says whose trucks: a bare "And fourteen trucks." reads to the model as a reaction to a number.
        ("dist", "And we run fourteen trucks."),
    ]
    short = _memo_of("en", [intro, *said])
    assert [b.segments for b in short.parties] == [(1, 2)]
    long_ = _memo_of(
        "en",
        [
            intro,
            ("dist", "We have a refrigerated warehouse in Tacoma, forty thousand square feet, built 2015."),
            ("dist", "We run fourteen trucks of our own and every store in the state gets it in two days."),
        ],
    )
    assert [b.segments for b in long_.parties] == [(1,), (2,)], "a long point is its own bullet"


def test_the_notes_stage_imports_no_pytorch_and_not_spacys_commands() -> None:
    # What `memo notes` used to spend most of its start-up on (2.4 s, then 1.4 s); both stay
    # importable afterwards, as the real modules.
    code = (
        "import sys, pipeline.notes.classify;"
        "gone = ('torch', 'spacy.cli', 'spacy.cli.download', 'weasel');"
        "print(sorted(m for m in gone if m in sys.modules));"
        "import spacy.cli; print(hasattr(spacy.cli, 'download'))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "True"]
