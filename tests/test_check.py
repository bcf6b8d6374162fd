"""`memo check`: a finished memo is ready to print or not, each problem naming its section; `--final`."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from docx import Document
from typer.testing import CliRunner

from pipeline.cli.main import app
from pipeline.errors import NotReadyError
from pipeline.followup.check import check_memo
from pipeline.followup.document import TIME_TAG, blocks
from pipeline.followup.final import final_version
from pipeline.followup.rules import load_rules

KEYS = ["zh-Hant", "zh-Hans", "en"]
WRITING = {
    "zh-Hant": {
        "praise": "貴公司在新竹、桃園的通路網絡完整，倉儲與車隊管理嚴謹，業界信譽卓著。",
        "boss": "李經理看起來真年輕，個人能力很強。",
        "thanks": "感謝貴公司的寶貴建議，我們會照辦。",
        "answer": "我們每個月派人來兩次。",
        "chatter": "嗯，今天天氣很好，先喝杯茶。",
    },
    "zh-Hans": {
        "praise": "贵公司在新竹、桃园的渠道网络完整，仓储与车队管理严谨，业界信誉卓著。",
        "boss": "李经理看起来真年轻，个人能力很强。",
        "thanks": "感谢贵公司的宝贵建议，我们会照办。",
        "answer": "我们每个月派人来两次。",
        "chatter": "嗯，今天天气很好，先喝杯茶。",
    },
    "en": {
        "praise": "Your network of 400 contractors, your own trucks and your reputation in Denver "
        "impressed us.",
        "boss": "Mike, you look so young, and your personal charm is remarkable.",
        "thanks": "Thank you for this advice; we will follow it.",
        "answer": "Yes, I will come back to train your counter staff.",
        "chatter": "Um, the weather was great, thanks for the coffee.",
    },
}


def _memo_of(notes: Path) -> Path:
    return notes.with_name(notes.name.replace(".notes.json", ".memo.docx"))


def _copy(drafted: dict[str, Path], key: str, folder: Path) -> Path:
    """The drafted memo and its notes, copied side by side into ``folder``; the memo's path."""
    notes = drafted[key]
    shutil.copy(notes, folder / notes.name)
    return Path(shutil.copy(_memo_of(notes), folder / _memo_of(notes).name))


def _set(paragraph, text: str) -> None:  # type: ignore[no-untyped-def]
    runs = paragraph.runs
    runs[0].text = text
    for run in runs[1:]:
        run.text = ""


def fill(memo: Path, key: str, *, praise: str = "praise", thanks: int | None = None, answer: str = "answer",
         empty_answers: int = 0) -> Path:  # fmt: skip
    """Do what the rep does in Word: replace every fill-in marker (header, headings, sections 5–7)."""
    words = WRITING[key]
    rules = load_rules("en" if key == "en" else "zh")
    doc = Document(str(memo))
    left_empty = 0
    for b in blocks(doc):
        if b.hint or not rules.hits("marker", b.text):
            continue
        if b.heading or b.section == 0:
            for run in b.paragraph.runs:
                run.text = rules.strip("marker", run.text).rstrip()
        elif b.section == 5:
            _set(b.paragraph, words[praise])
        elif b.section == 6:
            if thanks is None:  # one thanks per piece of advice in the notes beside the memo
                notes = memo.with_name(memo.name.replace(".memo.docx", ".notes.json"))
                thanks = len(json.loads(notes.read_text("utf-8"))["memo"]["suggestions"])
            _set(b.paragraph, " ".join([words["thanks"]] * thanks))
        elif b.section == 7:
            label = rules.first("answer_label", b.text)
            head = b.text[: label.end] if label else ""
            if left_empty < empty_answers:
                _set(b.paragraph, head)
                left_empty += 1
            else:
                _set(b.paragraph, head + words[answer])
    doc.save(str(memo))
    return memo


@pytest.mark.parametrize("key", KEYS)
def test_a_drafted_memo_is_not_ready_markers_left(drafted: dict[str, Path], key: str) -> None:
    result = check_memo(_memo_of(drafted[key]))
    assert not result.ready
    marked = {p.section for p in result.problems if p.kind == "marker"}
    assert {5, 6, 7} <= marked
    assert all(p.message for p in result.problems)


def test_check_json_and_exit_code(drafted: dict[str, Path]) -> None:
    result = CliRunner().invoke(app, ["check", str(_memo_of(drafted["en"])), "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ready"] is False
    assert {"section", "kind", "message"} <= set(data["problems"][0])


@pytest.mark.parametrize("key", KEYS)
def test_the_memo_with_every_marker_filled_passes(drafted: dict[str, Path], key: str, tmp_path: Path) -> None:
    memo = fill(_copy(drafted, key, tmp_path), key)
    result = check_memo(memo)
    assert result.ready, result.lines()
    cli = CliRunner().invoke(app, ["check", str(memo)])
    assert cli.exit_code == 0, cli.output
    assert "ready to print" in cli.stdout


@pytest.mark.parametrize("key", KEYS)
def test_praise_of_the_boss_personally_is_flagged(drafted: dict[str, Path], key: str, tmp_path: Path) -> None:
    memo = fill(_copy(drafted, key, tmp_path), key, praise="boss")
    problems = [p for p in check_memo(memo).problems if p.kind == "personal_praise"]
    assert problems and {p.section for p in problems} == {5}
    assert all(p.rule for p in problems)  # each finding names its rule


@pytest.mark.parametrize("key", ["zh-Hant", "en"])
def test_an_answer_left_empty_is_flagged(drafted: dict[str, Path], key: str, tmp_path: Path) -> None:
    memo = fill(_copy(drafted, key, tmp_path), key, empty_answers=2)
    kinds = [p.kind for p in check_memo(memo).problems if p.section == 7]
    # the first answer is the parting question's, the second an ordinary question's
    assert kinds == ["parting_unanswered", "empty_answer"]


def test_the_parting_question_must_come_first(drafted: dict[str, Path], tmp_path: Path) -> None:
    memo = fill(_copy(drafted, "en", tmp_path), "en")
    doc = Document(str(memo))
    section7 = [b.paragraph for b in blocks(doc) if b.section == 7 and not b.heading and not b.hint]
    question, answer = section7[0], section7[1]  # the parting question and its answer lead
    last = section7[-1]._p
    last.addnext(question._p)
    question._p.addnext(answer._p)
    doc.save(str(memo))
    assert [p.kind for p in check_memo(memo).problems] == ["parting_not_first"]


def test_fewer_thanks_than_advice_is_flagged(drafted: dict[str, Path], tmp_path: Path) -> None:
    memo = fill(_copy(drafted, "en", tmp_path), "en", thanks=1)
    problems = check_memo(memo).problems
    assert [(p.section, p.kind) for p in problems] == [(6, "few_thanks")]


@pytest.mark.parametrize("key", ["zh-Hant", "en"])
def test_fillers_and_chatter_left_in_sections_1_to_4(
    drafted: dict[str, Path], key: str, tmp_path: Path
) -> None:
    memo = fill(_copy(drafted, key, tmp_path), key)
    doc = Document(str(memo))
    bullet = next(b.paragraph for b in blocks(doc) if b.section == 2 and not b.heading)
    bullet.insert_paragraph_before(WRITING[key]["chatter"], style=bullet.style)
    doc.save(str(memo))
    kinds = {(p.section, p.kind) for p in check_memo(memo).problems}
    assert kinds == {(2, "filler"), (2, "chatter")}


def test_sections_are_found_by_heading_order_not_wording(drafted: dict[str, Path], tmp_path: Path) -> None:
    memo = fill(_copy(drafted, "en", tmp_path), "en", praise="boss")
    doc = Document(str(memo))
    for n, b in enumerate(b for b in blocks(doc) if b.heading):
        _set(b.paragraph, f"Part {n + 1}: reworded")
    doc.save(str(memo))
    problems = check_memo(memo).problems
    assert {(p.section, p.kind) for p in problems} == {(5, "personal_praise")}
    assert "(Part 5: reworded)" in problems[0].message


def _text_and_marks(path: Path) -> tuple[str, list[object]]:
    doc = Document(str(path))
    paragraphs = [p for p in doc.paragraphs] + [p for t in doc.tables for r in t.rows for c in r.cells
                                                for p in c.paragraphs]  # fmt: skip
    text = "\n".join(p.text for p in paragraphs)
    marks = [r for p in paragraphs for r in p.runs if r.font.highlight_color or (r.italic and r.text.strip())]
    return text, marks


@pytest.mark.parametrize("key", ["zh-Hant", "en"])
def test_final_has_no_markers_hints_or_time_tags(drafted: dict[str, Path], key: str, tmp_path: Path) -> None:
    memo = fill(_copy(drafted, key, tmp_path), key)
    out = tmp_path / "print.docx"
    result = CliRunner().invoke(app, ["check", str(memo), "--final", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text, marks = _text_and_marks(out)
    rules = load_rules("en" if key == "en" else "zh")
    assert not rules.hits("marker", text)
    assert not TIME_TAG.search(text)
    assert not marks  # no highlight, no hint left
    assert WRITING[key]["praise"] in text and WRITING[key]["answer"] in text
    hint = "Hint:" if key == "en" else "提示："
    assert hint in _text_and_marks(memo)[0] and hint not in text
    # nothing else changed: the headings and the bullets of section 1 are as they were
    before = [p.text for p in Document(str(memo)).paragraphs if p.style.name == "Heading 1"]
    after = [p.text for p in Document(str(out)).paragraphs if p.style.name == "Heading 1"]
    assert before == after


def test_final_is_refused_while_problems_remain(drafted: dict[str, Path], tmp_path: Path) -> None:
    memo = _copy(drafted, "en", tmp_path)
    with pytest.raises(NotReadyError, match="--force"):
        final_version(memo, tmp_path / "out.docx")
    result = CliRunner().invoke(app, ["check", str(memo), "--final", "-o", str(tmp_path / "out.docx")])
    assert result.exit_code == 1 and result.output.count("\n") == 1 and "error:" in result.output
    forced = CliRunner().invoke(
        app, ["check", str(memo), "--final", "-o", str(tmp_path / "f.docx"), "--force"]
    )
    assert forced.exit_code == 0
    text, marks = _text_and_marks(tmp_path / "f.docx")
    assert "[TO BE WRITTEN BY THE REP]" not in text and not marks


def test_a_file_that_is_not_a_docx_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "memo.docx"
    bad.write_text("not a zip")
    result = CliRunner().invoke(app, ["check", str(bad)])
    assert result.exit_code == 1 and result.output.startswith("error:") and "Traceback" not in result.output


def test_without_the_notes_the_advice_is_counted_from_the_quotes(
    drafted: dict[str, Path], tmp_path: Path
) -> None:
    memo = Path(shutil.copy(_memo_of(drafted["en"]), tmp_path / "finished.docx"))  # no notes beside
    fill(memo, "en", thanks=1)
    assert [(p.section, p.kind) for p in check_memo(memo).problems] == [(6, "few_thanks")]
