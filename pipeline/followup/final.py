"""``memo check --final``: the print version of a finished memo.

Hints (and the evidence quoted under them), highlights, fill-in markers and ``[mm:ss]``
evidence tags are removed; nothing else changes: the rep's wording, styles, fonts,
letterhead and page set-up stay as Word left them. Refused while ``memo check`` finds
problems, unless forced.
"""

from __future__ import annotations

from pathlib import Path

from docx.text.paragraph import Paragraph

from ..errors import InputError, NotReadyError
from ..outputs import write_with
from .check import CheckResult, check_memo
from .document import TIME_TAG, blocks, language_of, open_docx
from .rules import Rules, load_rules


def _remove(paragraph: Paragraph) -> None:
    element = paragraph._p
    parent = element.getparent()
    if parent is None:
        return
    if parent.tag.endswith("}tc") and len(parent.findall(element.tag)) == 1:
        for run in paragraph.runs:  # a table cell must keep one paragraph
            run.text = ""
        return
    parent.remove(element)


def _clean_runs(paragraph: Paragraph, rules: Rules) -> None:
    """Highlights off; tags and markers out of each run's text (a tag is written in one run)."""
    runs = paragraph.runs
    for n, run in enumerate(runs):
        run.font.highlight_color = None
        text = rules.strip("marker", TIME_TAG.sub("", run.text))
        if n == len(runs) - 1 or not "".join(r.text for r in runs[n + 1 :]).strip():
            text = text.rstrip()
        if text != run.text:
            run.text = text


def final_version(memo: Path, out: Path, *, force: bool = False) -> CheckResult:
    """Write the print version of ``memo`` to ``out``; the check's result (empty when ready).

    Raises:
        InputError: ``out`` is the memo itself, or the memo cannot be read.
        NotReadyError: the memo has problems and ``force`` is not set.
    """
    memo, out = Path(memo), Path(out)
    if out.resolve() == memo.resolve():
        raise InputError(f"{out}: is the memo itself; write the print version to another file (-o)")
    result = check_memo(memo)
    if result.problems and not force:
        raise NotReadyError(
            f"{memo}: not ready to print ({len(result.problems)} problem(s); see `memo check {memo.name}`); "
            "fix them in Word, or pass --force"
        )
    doc = open_docx(memo)
    doc_blocks = blocks(doc)
    rules = load_rules(language_of(doc_blocks))
    for b in doc_blocks:
        if b.hint:
            _remove(b.paragraph)
            continue
        before = b.text
        _clean_runs(b.paragraph, rules)
        if before.strip() and not b.text.strip() and not b.heading:
            _remove(b.paragraph)  # it held only a marker or a tag
    write_with(out, doc.save)
    return result
