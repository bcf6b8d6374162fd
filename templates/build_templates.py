"""Build the templates that docxtpl fills in: the memo (``memo.<lang>.docx``), and the
follow-up documents (``proposal.<lang>.docx``, ``invitation.<lang>.docx``).

Run once after changing the wording or layout here:

    python templates/build_templates.py            # all templates
    python templates/build_templates.py followup   # only the proposal and invitation

The .docx files are written into ``pipeline/memo/templates/`` (the memo) and
``pipeline/followup/templates/`` (the follow-up documents) and committed there, so
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


# -- the follow-up documents: the cooperation proposal and the factory invitation ----------------

FOLLOWUP_DIR = HERE.parent / "pipeline" / "followup" / "templates"

PROPOSAL = {
    "zh-Hant": {
        "title": "合作企劃書",
        "details": [("日期", "date"), ("提案人", "rep"), ("我方公司", "company"), ("致", "distributor"),
                    ("會晤人員", "people"), ("區域", "territory")],
        "intro": "提示：企劃書由業務撰寫；本草稿只提供結構與首次會談中聽到的依據（[分:秒] 為錄音中的時間）。"
                 "寄出前請刪除提示與時間標記。",
        "opening": "（開場：感謝首次會談，說明本企劃書的目的。）",
        "parts": [
            ("一、現在進入本市場的契機",
             "提示：說明為什麼是現在——先引用會中聽到的市場情況與通路，再補上我方的數據。會中聽到："),
            ("二、我方產品與貴公司現有產品線的契合",
             "提示：把貴公司現有的品牌、通路與客戶，逐項對上能補足它的我方產品。"),
            ("三、市場走訪報告",
             "提示：寄出前實地走訪貴公司的門市，每家一列。會中聽到的競品與價格已先填入。"),
            ("四、上市計畫概要",
             "提示：以對方的建議為基礎提出上市計畫：每一項寫下對方的建議與我方的做法。"),
            ("五、我方產品在其他市場的表現",
             "提示：資料來自公司資料檔（company.toml）；補一句這對貴公司區域的意義。"),
        ],
        "portfolio": ("貴公司的業務（會中所聽）", "契合的我方產品"),
        "our_lines": "我方產品線：",
        "presented": "提示：會中介紹過的產品：",
        "visits": ("門市", "貨架陳列", "競品與價格", "觀察"),
        "advice": ("項目", "會中聽到的建議", "我方計畫"),
        "markets": ("區域", "經銷商", "合作起始", "成果"),
        "closing": "敬請指教",
        "signature": "{{ company }}　{{ rep }} 敬上",
        "page": ("第 ", " 頁，共 ", " 頁"),
    },
    "en": {
        "title": "Cooperation proposal",
        "details": [("Date", "date"), ("From", "rep"), ("Our company", "company"), ("To", "distributor"),
                    ("People met", "people"), ("Territory", "territory")],
        "intro": "Hint: the rep writes the proposal; this draft gives its structure and the evidence heard "
                 "in the first meeting ([mm:ss] is the time in the recording). Delete hints and tags "
                 "before it is sent.",
        "opening": "(Opening: thank them for the first meeting and say what this proposal is for.)",
        "parts": [
            ("1. The opportunity of entering this market now",
             "Hint: say why now: first the market facts and channels heard in the meeting, then our own "
             "figures. Heard in the meeting:"),
            ("2. How our products fit your current portfolio",
             "Hint: set each of their brands, channels and customers next to the product of ours that "
             "completes it."),
            ("3. Market visit report",
             "Hint: visit their outlets before sending, one row per outlet. The competitors and prices "
             "heard in the meeting are filled in."),
            ("4. Outline of the launch",
             "Hint: the launch we propose, built on their advice: for each topic, what they advised and "
             "what we will do."),
            ("5. How our products are doing in other markets",
             "Hint: from the company file (company.toml); add a sentence on what it means for their "
             "territory."),
        ],
        "portfolio": ("Your business, as heard", "Our line that fits"),
        "our_lines": "Our product lines:",
        "presented": "Hint: products presented in the meeting:",
        "visits": ("Outlet", "Shelf", "Competitor products and prices", "Observations"),
        "advice": ("Topic", "Advice heard", "Our plan"),
        "markets": ("Territory", "Distributor", "Since", "Results"),
        "closing": "We look forward to your reply.",
        "signature": "{{ rep }}, {{ company }}",
        "page": ("Page ", " of ", ""),
    },
}  # fmt: skip

INVITATION = {
    "zh-Hant": {
        "title": "參訪工廠邀請函",
        "to": "致：",
        "attn": "敬邀：",
        "hint": "提示：禮品隨函寄出（不用傳真或電子郵件）。提出兩到三個參訪日期，說明由誰接待、參觀哪些地方"
                "（生產線、品管實驗室、研發）。寄出前請刪除提示與時間標記。",
        "thanks": "感謝貴公司日前撥冗與我們會談。為表達我方誠摯的合作意願，"
                  "隨函奉上敝公司產品，敬請惠存指教：",
        "invite": "誠摯邀請貴公司蒞臨敝公司工廠參觀指導，實地了解我們的生產流程與品質管理。工廠地址：",
        "dates": "建議參訪日期：",
        "care": "參訪期間的行程與接待由敝公司安排。期待與貴公司攜手合作。",
        "regards": "敬祝　商祺",
        "signed": " 敬上",
        "page": ("第 ", " 頁，共 ", " 頁"),
    },
    "en": {
        "title": "Invitation to visit our factory",
        "to": "To: ",
        "attn": "Attention: ",
        "hint": "Hint: the gift goes with this letter (by courier, never fax or e-mail). Propose two or "
                "three dates; say who will receive them and what they will see (production line, quality "
                "lab, R&D). Delete hints and tags before it is sent.",
        "thanks": "Thank you again for the time you gave us at our first meeting. As a sign of how much we "
                  "wish to work with you, we are sending you our products with this letter:",
        "invite": "We would be honoured to welcome you at our factory, to see how our products are made and "
                  "to meet the people who make them. The factory is at:",
        "dates": "Dates we propose: ",
        "care": "We will arrange the programme and your stay. We look forward to working together.",
        "regards": "Yours sincerely,",
        "signed": "",
        "page": ("Page ", " of ", ""),
    },
}  # fmt: skip


def _hans(value):  # type: ignore[no-untyped-def]
    """The zh-Hant wording in Simplified characters (the project's one converter)."""
    from pipeline.script import simplified

    return simplified(value)


PROPOSAL["zh-Hans"] = _hans(PROPOSAL["zh-Hant"])
INVITATION["zh-Hans"] = _hans(INVITATION["zh-Hant"])


def _marker(key: str) -> str:
    """The memo's fill-in marker, in the document's own script."""
    fill: str = LANGS[key]["fill"]
    return _hans(fill) if key == "zh-Hans" else fill


def _row_loop(table, var: str, loop: str, cells: list[str]) -> None:  # type: ignore[no-untyped-def]
    """Three rows that docxtpl turns into one row per item: ``{%tr for %}``, the cells, ``{%tr endfor %}``."""
    table.add_row().cells[0].text = f"{{%tr for {var} in {loop} %}}"
    row = table.add_row()
    for cell, text in zip(row.cells, cells, strict=True):
        cell.text = text
    table.add_row().cells[0].text = "{%tr endfor %}"


def _header_row(table, labels: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    for cell, label in zip(table.rows[0].cells, labels, strict=True):
        cell.text = label
        cell.paragraphs[0].runs[0].bold = True


def _widths(table, cm: tuple[float, ...]) -> None:  # type: ignore[no-untyped-def]
    """Column widths (the text is 15 cm wide: A4 less the margins and the binding gutter)."""
    table.autofit = False
    for column, width in zip(table.columns, cm, strict=True):
        column.width = Cm(width)  # the grid, which LibreOffice reads
    for row in table.rows:
        for cell, width in zip(row.cells, cm, strict=True):
            cell.width = Cm(width)


def _base(key: str, title: str, page: tuple[str, str, str]):  # type: ignore[no-untyped-def]
    lang = LANGS[key]
    doc = Document()
    _set_fonts(doc, lang["east_asia"], lang["lang"])
    _page_setup(doc, page)
    doc.add_paragraph(title, style="Title").alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.core_properties.title = title
    return doc


def build_proposal(key: str, out: Path) -> None:
    """The cooperation proposal layout of one language/script."""
    t, fill, none = PROPOSAL[key], _marker(key), LANGS[key]["empty"]
    doc = _base(key, t["title"], t["page"])
    table = doc.add_table(rows=len(t["details"]), cols=2)
    table.style = "Table Grid"
    for row, (label, var) in zip(table.rows, t["details"], strict=True):
        row.cells[0].text = label
        row.cells[0].paragraphs[0].runs[0].bold = True
        row.cells[1].text = f"{{{{ {var} }}}}"
    _hint(doc, t["intro"])
    _fill(doc, f"{t['opening']} {fill}")
    (h1, hint1), (h2, hint2), (h3, hint3), (h4, hint4), (h5, hint5) = t["parts"]

    doc.add_heading(h1, level=1)
    _hint(doc, hint1)
    _quotes(doc, "market", none)
    _fill(doc, fill)

    doc.add_heading(h2, level=1)
    _hint(doc, hint2)
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    _header_row(table, t["portfolio"])
    _row_loop(table, "p", "portfolio", ["{{ p.text }} [{{ p.time }}]", ""])
    _widths(table, (9.0, 6.0))
    p = doc.add_paragraph()
    p.add_run(t["our_lines"]).bold = True
    doc.add_paragraph("{%p for line in our_lines %}")
    doc.add_paragraph("{{ line }}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph("{%p if not our_lines %}")
    _fill(doc, fill)
    doc.add_paragraph("{%p endif %}")
    _hint(doc, t["presented"])
    _quotes(doc, "presented", none)
    _fill(doc, fill)

    doc.add_heading(h3, level=1)
    _hint(doc, hint3)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    _header_row(table, t["visits"])
    cells = ["{{ v.outlet }}", "{{ v.shelf }}", "{{ v.competitors }}", "{{ v.observations }}"]
    _row_loop(table, "v", "visits", cells)
    _widths(table, (2.6, 2.6, 6.3, 3.5))
    _fill(doc, fill)

    doc.add_heading(h4, level=1)
    _hint(doc, hint4)
    table = doc.add_table(rows=1, cols=3)
    table.style = "Table Grid"
    _header_row(table, t["advice"])
    _row_loop(table, "a", "advice", ["{{ a.topic }}", "{{ a.heard }}", "{{ a.plan }}"])
    _widths(table, (2.4, 7.1, 5.5))
    _fill(doc, fill)

    doc.add_heading(h5, level=1)
    _hint(doc, hint5)
    table = doc.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    _header_row(table, t["markets"])
    cells = ["{{ m.territory }}", "{{ m.distributor }}", "{{ m.since }}", "{{ m.results }}"]
    _row_loop(table, "m", "markets", cells)
    _widths(table, (3.2, 3.6, 2.2, 6.0))
    doc.add_paragraph("{%p if no_markets %}")
    _fill(doc, "{{ no_markets }}")
    doc.add_paragraph("{%p endif %}")
    _fill(doc, fill)

    doc.add_paragraph()
    doc.add_paragraph(t["closing"])
    doc.add_paragraph(t["signature"])
    doc.save(str(out))


def build_invitation(key: str, out: Path) -> None:
    """The factory invitation letter of one language/script."""
    t, fill = INVITATION[key], _marker(key)
    doc = _base(key, t["title"], t["page"])
    doc.add_paragraph("{{ date }}").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    p = doc.add_paragraph()
    p.add_run(t["to"]).bold = True
    p.add_run("{{ distributor }}").bold = True
    p = doc.add_paragraph()
    p.add_run(t["attn"])
    p.add_run("{{ people }}")
    _hint(doc, t["hint"])
    doc.add_paragraph(t["thanks"])
    doc.add_paragraph("{%p for g in gifts %}")
    doc.add_paragraph("{{ g.item }}{% if g.quantity %} × {{ g.quantity }}{% endif %}", style="List Bullet")
    doc.add_paragraph("{%p endfor %}")
    doc.add_paragraph(t["invite"])
    doc.add_paragraph("{{ factory }}", style="Quote")
    p = doc.add_paragraph()
    p.add_run(t["dates"])
    run = p.add_run(fill)
    run.bold = True
    run.font.highlight_color = WD_COLOR_INDEX.YELLOW
    doc.add_paragraph(t["care"])
    doc.add_paragraph()
    doc.add_paragraph(t["regards"])
    doc.add_paragraph("{{ company }}")
    doc.add_paragraph("{{ rep }}" + t["signed"])
    doc.save(str(out))


def build_followup() -> None:
    """Write the proposal and invitation templates of every language."""
    FOLLOWUP_DIR.mkdir(parents=True, exist_ok=True)
    for key in PROPOSAL:
        for kind, builder in (("proposal", build_proposal), ("invitation", build_invitation)):
            out = FOLLOWUP_DIR / f"{kind}.{key}.docx"
            builder(key, out)
            print(f"wrote {out}")


def main(argv: list[str] | None = None) -> None:
    """Build the templates named (``memo``, ``followup``), or all of them."""
    import sys

    which = set(argv if argv is not None else sys.argv[1:]) or {"memo", "followup"}
    if "memo" in which:
        for key in LANGS:
            out = OUT_DIR / f"memo.{key}.docx"
            build(key, out)
            print(f"wrote {out}")
    if "followup" in which:
        build_followup()


if __name__ == "__main__":
    main()
