"""Every memo template and the render context agree; the layout is print-ready."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Cm

from pipeline.memo.render import (
    CONTEXT_KEYS,
    MemoDetails,
    build_context,
    render_memo,
    template_path,
    template_variables,
)
from pipeline.types import Bullet, MemoContent, Notes, Segment, SegmentNote, Source, Transcript

KEYS = ["zh-Hant", "zh-Hans", "en"]


def sample(text: str = "我們在台中、桃園、高雄有三個倉庫。") -> tuple[Transcript, Notes]:
    transcript = Transcript(
        language="zh",
        script="hant",
        segments=(Segment(0, 1.0, 4.0, text), Segment(1, 64.0, 70.0, "付款方式呢？")),
        source=Source("/rec/meeting 1.m4a", "0" * 64, 125.0),
    )
    b = Bullet(text, (0,), 1.0)
    q = Bullet("付款方式呢？", (1,), 64.0)
    memo = MemoContent(parties=(b,), concerns=(q,), questions=(q,), parting_question=q, strengths=(b,))
    notes = Notes(
        language="zh",
        segments=(SegmentNote(0, text, "parties", strength=True), SegmentNote(1, "付款方式呢？", "concerns")),
        memo=memo,
    )
    return transcript, notes


@pytest.mark.parametrize("key", KEYS)
def test_template_uses_only_context_variables(key: str) -> None:
    used = template_variables(template_path(key))
    assert used <= CONTEXT_KEYS, used - CONTEXT_KEYS
    # and it shows every section of the memo
    assert {"parties", "market", "product", "concerns", "questions", "strengths", "suggestions"} <= used


@pytest.mark.parametrize("key", KEYS)
def test_template_is_a4_with_binding_margin_and_page_numbers(key: str) -> None:
    doc = Document(str(template_path(key)))
    section = doc.sections[0]
    assert abs(section.page_width - Cm(21.0)) < Cm(0.05)
    assert abs(section.page_height - Cm(29.7)) < Cm(0.05)
    assert section.gutter >= Cm(0.5)
    assert "PAGE" in section.footer._element.xml


@pytest.mark.parametrize("key", ["zh-Hant", "zh-Hans"])
def test_chinese_templates_set_an_east_asian_font(key: str) -> None:
    doc = Document(str(template_path(key)))
    fonts = doc.styles["Normal"].element.rPr.find(qn("w:rFonts"))
    assert fonts is not None and fonts.get(qn("w:eastAsia"))


def render(text: str) -> Document:
    transcript, notes = sample(text)
    buf = io.BytesIO()
    render_memo(build_context(transcript, notes, MemoDetails(rep="何嘉欣")), template_path("zh-Hant"), buf)
    buf.seek(0)
    return Document(buf)


def all_text(doc: Document) -> str:
    cells = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_rendered_memo_has_the_seven_sections_and_times() -> None:
    text = all_text(render("我們有三個倉庫。"))
    for heading in ("一、", "二、", "三、", "四、", "五、", "六、", "七、"):
        assert heading in text
    assert "我們有三個倉庫。 [00:01]" in text
    assert "【臨別提問】" in text and "付款方式呢？ [01:04]" in text
    assert text.count("付款方式呢？ [01:04]") == 2  # concerns bullet + parting question, not again
    assert "何嘉欣" in text and "meeting 1.m4a (02:05)" in text
    assert "{{" not in text and "{%" not in text


def test_markup_and_control_characters_render_as_plain_text() -> None:
    text = all_text(render("<b>&amp;</b> \x00\x0b\x1b 😀 <script>x</script>"))
    assert "<b>&amp;</b>  😀 <script>x</script>" in text


def test_a_missing_template_says_how_to_fix(tmp_path: Path) -> None:
    from pipeline.errors import TemplateError

    with pytest.raises(TemplateError, match="--templates"):
        template_path("en", tmp_path)


# -- the follow-up documents: the proposal and the invitation --------------------------------


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("kind", ["proposal", "invitation"])
def test_followup_template_uses_only_context_variables(kind: str, key: str) -> None:
    from pipeline.followup import invite, proposal
    from pipeline.followup.letters import template_path as followup_template

    keys = proposal.CONTEXT_KEYS if kind == "proposal" else invite.CONTEXT_KEYS
    used = template_variables(followup_template(kind, key))
    assert used <= keys, used - keys
    parts = {"market", "portfolio", "visits", "advice", "markets"}
    wanted = parts if kind == "proposal" else {"gifts", "factory"}
    assert wanted | {"distributor", "rep"} <= used


@pytest.mark.parametrize("key", KEYS)
@pytest.mark.parametrize("kind", ["proposal", "invitation"])
def test_followup_template_is_a4_with_binding_margin_and_page_numbers(kind: str, key: str) -> None:
    from pipeline.followup.letters import template_path as followup_template

    section = Document(str(followup_template(kind, key))).sections[0]
    assert abs(section.page_width - Cm(21.0)) < Cm(0.05) and section.gutter >= Cm(0.5)
    assert "PAGE" in section.footer._element.xml


@pytest.mark.parametrize("key", KEYS)
def test_proposal_template_has_five_heading1_parts(key: str) -> None:
    from pipeline.followup.letters import template_path as followup_template

    doc = Document(str(followup_template("proposal", key)))
    assert sum(p.style.name == "Heading 1" for p in doc.paragraphs) == 5


def test_a_missing_followup_template_says_how_to_fix(tmp_path: Path) -> None:
    from pipeline.errors import TemplateError
    from pipeline.followup.letters import template_path as followup_template

    with pytest.raises(TemplateError, match="--templates"):
        followup_template("proposal", "en", tmp_path)
