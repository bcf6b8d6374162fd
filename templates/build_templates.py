"""Build the memo templates (``memo.<lang>.docx``) that docxtpl fills in.

Run once after changing the wording or layout here:

    python templates/build_templates.py

The .docx files are written into ``pipeline/memo/templates/`` and committed there, so
they ship as package data. A company restyles them in Word (fonts, logo,
letterhead, colours) and keeps the Jinja tags (``{{ … }}``, ``{%p … %}``) as they
are; ``tests/test_template_contract.py`` proves every template and the render
context agree.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_COLOR_INDEX
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

HERE = Path(__file__).resolve().parent
OUT_DIR = HERE.parent / "pipeline" / "memo" / "templates"

LANGS = {
    "zh-Hant": {
        "east_asia": "Microsoft JhengHei",
        "lang": "zh-TW",
        "title": "溝通備忘錄",
        "details": [
            ("日期", "date"),
            ("業務代表", "rep"),
            ("我方公司", "company"),
            ("經銷商", "distributor"),
            ("錄音", "recording"),
            ("出席發言", "speakers"),
        ],
        "sections": [
            ("一、雙方情況介紹", "parties"),
            ("二、行業發展渠道與當地市場狀況", "market"),
            ("三、產品與操作概要", "product"),
            ("四、雙方所關心的其他問題", "concerns"),
        ],
        "empty": "（會議中未談及）",
        "fill": "【待業務填寫】",
        "compliment": (
            "五、對貴公司的肯定",
            "提示：稱讚經銷商「公司」的通路網絡、管理與信譽，不要稱讚老闆個人。會議中聽到的優勢：",
        ),
        "thanks": (
            "六、感謝貴公司的市場建議",
            "提示：逐條感謝對方給的市場建議，說明我方將如何採納。會議中的建議：",
        ),
        "answers": ("七、問題答覆", "提示：逐一答覆對方提出的問題，臨別時的最後一個問題最重要，放在最前面。"),
        "parting": "【臨別提問】",
        "answer": "答覆：",
        "none_heard": "（會議中未聽到，請依記憶填寫）",
        "page": ("第 ", " 頁，共 ", " 頁"),
    },
    "zh-Hans": {
        "east_asia": "Microsoft YaHei",
        "lang": "zh-CN",
        "title": "沟通备忘录",
        "details": [
            ("日期", "date"),
            ("业务代表", "rep"),
            ("我方公司", "company"),
            ("经销商", "distributor"),
            ("录音", "recording"),
            ("出席发言", "speakers"),
        ],
        "sections": [
            ("一、双方情况介绍", "parties"),
            ("二、行业发展渠道与当地市场状况", "market"),
            ("三、产品与操作概要", "product"),
            ("四、双方所关心的其他问题", "concerns"),
        ],
        "empty": "（会议中未谈及）",
        "fill": "【待业务填写】",
        "compliment": (
            "五、对贵公司的肯定",
            "提示：称赞经销商“公司”的渠道网络、管理与信誉，不要称赞老板个人。会议中听到的优势：",
        ),
        "thanks": (
            "六、感谢贵公司的市场建议",
            "提示：逐条感谢对方给的市场建议，说明我方将如何采纳。会议中的建议：",
        ),
        "answers": ("七、问题答复", "提示：逐一答复对方提出的问题，临别时的最后一个问题最重要，放在最前面。"),
        "parting": "【临别提问】",
        "answer": "答复：",
        "none_heard": "（会议中未听到，请依记忆填写）",
        "page": ("第 ", " 页，共 ", " 页"),
    },
    "en": {
        "east_asia": "Microsoft YaHei",
        "lang": "en-US",
        "title": "Meeting memo",
        "details": [
            ("Date", "date"),
            ("Sales representative", "rep"),
            ("Our company", "company"),
            ("Distributor", "distributor"),
            ("Recording", "recording"),
            ("Speakers", "speakers"),
        ],
        "sections": [
            ("1. Introductions of both parties", "parties"),
            ("2. Industry channels and the local market", "market"),
            ("3. Product and operations outline", "product"),
            ("4. Other concerns of both parties", "concerns"),
        ],
        "empty": "(Not discussed in the meeting.)",
        "fill": "[TO BE WRITTEN BY THE REP]",
        "compliment": (
            "5. Our compliments to your company",
            "Hint: praise the distributor's company (its network, management, reputation), "
            "not the boss personally. Strengths heard in the meeting:",
        ),
        "thanks": (
            "6. Thank you for your market advice",
            "Hint: thank them for each piece of advice and say how we will act on it. Advice given:",
        ),
        "answers": (
            "7. Answers to your questions",
            "Hint: answer every question raised; the last question asked while parting matters most "
            "and comes first.",
        ),
        "parting": "[PARTING QUESTION]",
        "answer": "Answer: ",
        "none_heard": "(None heard; fill in from memory.)",
        "page": ("Page ", " of ", ""),
    },
}


def _set_fonts(doc, east_asia: str, lang: str) -> None:  # type: ignore[no-untyped-def]
    """Give every style an east-Asian font and language, so CJK renders in Word and LibreOffice."""
    for style in doc.styles:
        if not hasattr(style, "font") or style.type != 1:  # paragraph styles only
            continue
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = OxmlElement("w:rFonts")
            rpr.insert(0, fonts)
        fonts.set(qn("w:eastAsia"), east_asia)
        langs = rpr.find(qn("w:lang"))
        if langs is None:
            langs = OxmlElement("w:lang")
            rpr.append(langs)
        langs.set(qn("w:eastAsia"), lang if lang.startswith("zh") else "zh-CN")
        langs.set(qn("w:val"), "en-US" if not lang.startswith("zh") else lang)
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)


def _field(paragraph, instr: str) -> None:  # type: ignore[no-untyped-def]
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), instr)
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    fld.append(run)
    paragraph._p.append(fld)


def _page_setup(doc, page: tuple[str, str, str]) -> None:  # type: ignore[no-untyped-def]
    """A4 portrait, wider inner margin plus a gutter for binding, page X of Y in the footer."""
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(2.5)
    section.left_margin, section.right_margin = Cm(3.0), Cm(2.0)
    section.gutter = Cm(1.0)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    footer.add_run(page[0])
    _field(footer, "PAGE")
    footer.add_run(page[1])
    _field(footer, "NUMPAGES")
    if page[2]:
        footer.add_run(page[2])


def _hint(doc, text: str) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.italic = True
    run.font.color.rgb = RGBColor(0x80, 0x4A, 0x00)


def _fill(doc, text: str) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    run = p.add_run(text)
    run.bold = True
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW


def _quotes(doc, var: str, none_heard: str) -> None:  # type: ignore[no-untyped-def]
    doc.add_paragraph(f"{{%p for b in {var} %}}")
    doc.add_paragraph("“{{ b.text }}” [{{ b.time }}]", style="Quote")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph(f"{{%p if not {var} %}}")
    doc.add_paragraph(none_heard, style="Quote")
    doc.add_paragraph("{%p endif %}")


def build(key: str, out: Path) -> None:
    """Write the template of one language/script to ``out``."""
    t = LANGS[key]
    doc = Document()
    _set_fonts(doc, t["east_asia"], t["lang"])
    _page_setup(doc, t["page"])
    doc.add_paragraph(t["title"], style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    table = doc.add_table(rows=len(t["details"]), cols=2)
    table.style = "Table Grid"
    for row, (label, var) in zip(table.rows, t["details"], strict=True):
        row.cells[0].text = label
        row.cells[0].paragraphs[0].runs[0].bold = True
        row.cells[1].text = f"{{{{ {var} }}}}"
    for heading, var in t["sections"]:
        doc.add_heading(heading, level=1)
        doc.add_paragraph(f"{{%p for b in {var} %}}")
        doc.add_paragraph("{{ b.text }} [{{ b.time }}]", style="List Bullet")
        doc.add_paragraph("{%p endfor %}")
        doc.add_paragraph(f"{{%p if not {var} %}}")
        doc.add_paragraph(t["empty"])
        doc.add_paragraph("{%p endif %}")
    for part, var in (("compliment", "strengths"), ("thanks", "suggestions")):
        heading, hint = t[part]
        doc.add_heading(f"{heading} {t['fill']}", level=1)
        _hint(doc, hint)
        _quotes(doc, var, t["none_heard"])
        _fill(doc, t["fill"])
    heading, hint = t["answers"]
    doc.add_heading(f"{heading} {t['fill']}", level=1)
    _hint(doc, hint)
    doc.add_paragraph("{%p if parting_question %}")
    p = doc.add_paragraph(style="List Number")
    p.add_run(t["parting"] + " ").bold = True
    p.add_run("{{ parting_question.text }} [{{ parting_question.time }}]")
    _fill(doc, t["answer"] + t["fill"])
    doc.add_paragraph("{%p endif %}")
    doc.add_paragraph("{%p for b in questions %}")
    doc.add_paragraph("{{ b.text }} [{{ b.time }}]", style="List Number")
    _fill(doc, t["answer"] + t["fill"])
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if not questions and not parting_question %}")
    doc.add_paragraph(t["none_heard"])
    doc.add_paragraph("{%p endif %}")
    doc.core_properties.title = t["title"]
    doc.save(str(out))


def main() -> None:
    for key in LANGS:
        out = OUT_DIR / f"memo.{key}.docx"
        build(key, out)
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
