"""``memo check``: is the memo the rep finished in Word ready to print?

The seven sections are found by the order of their Heading 1 paragraphs (1–4 what was
heard, 5 compliments, 6 thanks, 7 answers), never by their wording. Hints, and the
evidence quoted under them, are not checked: the print version drops them. Each problem
names its section and the rule that found it.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ..types import MemoContent
from .document import TIME_TAG, Block, blocks, heading_text, is_hint, language_of, open_docx
from .rules import Rules, load_rules

SECTIONS = 7
HEARD = (1, 2, 3, 4)  # what the meeting gave, as the draft wrote it
COMPLIMENTS, THANKS, ANSWERS = 5, 6, 7
_QUESTION_END = re.compile(r"[?？]\s*$")


@dataclass(frozen=True)
class Problem:
    """One reason the memo is not ready: its section (0: the header), kind, and a message."""

    section: int
    kind: str
    message: str
    rule: str = ""


@dataclass(frozen=True)
class CheckResult:
    """The verdict on one memo."""

    path: Path
    problems: tuple[Problem, ...]

    @property
    def ready(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        """``{"ready": bool, "problems": [{"section", "kind", "message"}]}`` (``--json``)."""
        return {
            "ready": self.ready,
            "problems": [{k: v for k, v in asdict(p).items() if k != "rule" or v} for p in self.problems],
        }

    def lines(self) -> list[str]:
        """One line per problem, for the terminal."""
        return [f"section {p.section}: {p.message}" for p in self.problems]


def _body(doc_blocks: list[Block], section: int) -> list[Block]:
    return [b for b in doc_blocks if b.section == section and not b.heading and not b.hint]


def _clean(text: str) -> str:
    return TIME_TAG.sub("", text).strip()


def _name(doc_blocks: list[Block], section: int) -> str:
    """``"(heading) "`` of a section, its markers left out, to start a problem's message."""
    if section == 0:
        return "(header) "
    rules = load_rules(language_of(doc_blocks))  # cached
    title = rules.strip("marker", heading_text(doc_blocks, section)).strip()
    return f"({title}) " if title else ""


def advice_heard(memo_path: Path, doc_blocks: list[Block], rules: Rules) -> int:
    """How much advice the meeting gave: the notes beside the memo, else the quotes under section 6's hint."""
    notes = _notes_beside(memo_path)
    if notes is not None:
        return len(notes.suggestions)
    quoted = [b for b in doc_blocks if b.section == THANKS and b.hint and not is_hint(b.paragraph)]
    return sum(1 for b in quoted if b.text.strip() and not rules.hits("marker", b.text))


def _notes_beside(memo_path: Path) -> MemoContent | None:
    """The memo content of ``NAME.notes.json`` beside ``NAME.memo.docx``, if it is there."""
    name, stem = memo_path.name, memo_path.stem
    for suffix in (".memo.docx", ".final.docx"):
        if name.endswith(suffix):
            stem = name[: -len(suffix)]
            break
    path = memo_path.with_name(f"{stem}.notes.json")
    try:
        return MemoContent.from_dict(json.loads(path.read_text("utf-8")).get("memo") or {})
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _markers(doc_blocks: list[Block], rules: Rules) -> list[Problem]:
    problems = []
    for b in doc_blocks:
        if b.hint:
            continue
        for hit in rules.hits("marker", b.text):
            where = _name(doc_blocks, b.section)
            problems.append(
                Problem(b.section, "marker", f"{where}fill-in marker left: {hit.text!r}", hit.rule)
            )
    return problems


def _heard(doc_blocks: list[Block], rules: Rules) -> list[Problem]:
    problems = []
    for section in HEARD:
        for b in _body(doc_blocks, section):
            for kind, what in (("filler", "filler"), ("chatter", "small talk")):
                for hit in rules.hits(kind, b.text):
                    problems.append(Problem(
                        section, kind,
                        f"{_name(doc_blocks, section)}{what} left: {hit.text.strip()!r} "
                        f"in {_clean(b.text)[:60]!r}",
                        hit.rule,
                    ))  # fmt: skip
    return problems


def _compliments(doc_blocks: list[Block], rules: Rules) -> list[Problem]:
    problems = []
    for b in _body(doc_blocks, COMPLIMENTS):
        for hit in rules.hits("personal_praise", b.text):
            problems.append(Problem(
                COMPLIMENTS, "personal_praise",
                f"{_name(doc_blocks, COMPLIMENTS)}praises a person, not the company: {hit.text!r}; "
                "praise the company's network, management or reputation instead",
                hit.rule,
            ))  # fmt: skip
    return problems


def _thanks(doc_blocks: list[Block], rules: Rules, advice: int) -> list[Problem]:
    text = "\n".join(b.text for b in _body(doc_blocks, THANKS))
    said = len(rules.hits("thanks", text))
    name = _name(doc_blocks, THANKS)
    if said == 0:
        return [Problem(THANKS, "no_thanks", f"{name}has no thanks; thank them for each piece of advice")]
    if said < advice:
        return [Problem(
            THANKS, "few_thanks",
            f"{name}thanks {said} time(s) for {advice} piece(s) of advice heard; thank them for each",
        )]  # fmt: skip
    return []


@dataclass
class _Question:
    text: str
    parting: bool
    answer: str = ""


def _questions(doc_blocks: list[Block], rules: Rules) -> list[_Question]:
    """Section 7 as questions, each with the answer written under it."""
    found: list[_Question] = []
    for b in _body(doc_blocks, ANSWERS):
        text = b.text
        label = rules.first("answer_label", text)
        styles = (b.paragraph.style.name or "").lower() if b.paragraph.style is not None else ""
        if label is not None:
            if found:
                found[-1].answer += text[label.end :]
            continue
        is_question = (
            "list number" in styles
            or _QUESTION_END.search(_clean(text))
            or rules.first("parting_label", text)
        )
        if is_question:
            found.append(_Question(_clean(text), rules.first("parting_label", text) is not None))
        elif found:
            found[-1].answer += text
    return found


def _answered(answer: str, rules: Rules) -> bool:
    return bool(_clean(rules.strip("marker", answer)).strip(" ：:。.-—"))


def _answers(doc_blocks: list[Block], rules: Rules, memo: MemoContent | None) -> list[Problem]:
    name = _name(doc_blocks, ANSWERS)
    questions = _questions(doc_blocks, rules)
    if memo is not None and memo.parting_question is not None and not any(q.parting for q in questions):
        # the label may have been deleted: the parting question is known by its words then
        heard = memo.parting_question.text.strip()
        for q in questions:
            q.parting = q.parting or (bool(heard) and heard in q.text)
    problems = []
    for n, q in enumerate(questions):
        if q.parting and n > 0:
            problems.append(Problem(
                ANSWERS, "parting_not_first",
                f"{name}the parting question comes {n + 1}th; answer it first: {q.text[:60]!r}",
            ))  # fmt: skip
        if not _answered(q.answer, rules):
            kind = "parting_unanswered" if q.parting else "empty_answer"
            what = "the parting question is not answered" if q.parting else "a question has no answer"
            problems.append(Problem(ANSWERS, kind, f"{name}{what}: {q.text[:60]!r}"))
    if memo is not None and memo.parting_question is not None and not any(q.parting for q in questions):
        problems.append(Problem(
            ANSWERS, "parting_unanswered",
            f"{name}the parting question is missing; answer it first: {memo.parting_question.text[:60]!r}",
        ))  # fmt: skip
    return problems


def check_memo(path: Path) -> CheckResult:
    """Check a finished memo .docx.

    Raises:
        InputError: the file is missing or not a .docx.
    """
    path = Path(path)
    doc_blocks = blocks(open_docx(path))
    rules = load_rules(language_of(doc_blocks))
    sections = max((b.section for b in doc_blocks), default=0)
    problems: list[Problem] = []
    if sections < SECTIONS:
        problems.append(Problem(
            sections, "sections",
            f"the memo has {sections} Heading 1 section(s), not {SECTIONS}; keep each section's heading "
            "in the Heading 1 style",
        ))  # fmt: skip
    memo = _notes_beside(path)
    problems += _markers(doc_blocks, rules)
    problems += _heard(doc_blocks, rules)
    problems += _compliments(doc_blocks, rules)
    problems += _thanks(doc_blocks, rules, advice_heard(path, doc_blocks, rules))
    problems += _answers(doc_blocks, rules, memo)
    problems.sort(key=lambda p: p.section)  # stable: within a section, in reading order
    return CheckResult(path, tuple(problems))
