"""A finished memo (or proposal) as Word left it: paragraphs in order, each with its section.

Sections are found by the order of the Heading 1 paragraphs, never by their wording, so a
template restyled or reworded in Word still reads the same. A hint is a paragraph in
italics only (the templates write every hint so); the evidence quoted right after a hint
(``Quote`` paragraphs: what was heard, for the rep to write from) belongs to it.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from docx.document import Document as DocumentObject
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..errors import InputError

TIME_TAG = re.compile(r"\s*\[(?:\d+:)?\d{1,2}:\d{2}\]")
"""An evidence tag as the templates write it: ``[mm:ss]`` or ``[h:mm:ss]``."""
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Block:
    """One paragraph of the document and where it stands.

    Attributes:
        section: 0 before the first Heading 1 (title, header table), then 1, 2…
        paragraph: the python-docx paragraph (headings included).
        heading: it is the Heading 1 that opens ``section``.
        hint: a hint, or evidence quoted under one (the print version drops both).
        in_table: it sits in a table cell.
    """

    section: int
    paragraph: Paragraph
    heading: bool
    hint: bool
    in_table: bool

    @property
    def text(self) -> str:
        return self.paragraph.text


def open_docx(path: Path) -> DocumentObject:
    """The document at ``path``.

    Raises:
        InputError: missing, or not a Word .docx file.
    """
    from docx import Document
    from docx.opc.exceptions import PackageNotFoundError

    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file; give the memo .docx the rep finished in Word")
    try:
        return Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as e:
        raise InputError(f"{path}: not a Word .docx file ({e}); save it from Word as .docx") from e


def _style_chain(paragraph: Paragraph) -> Iterator[str]:
    style = paragraph.style
    for _ in range(8):  # a restyled template may base its heading on Heading 1
        if style is None:
            return
        yield (style.name or "").lower()
        style = style.base_style


def is_heading1(paragraph: Paragraph) -> bool:
    """A Heading 1, or a style based on it, or a paragraph at outline level 1."""
    if any(name in ("heading 1", "heading1") for name in _style_chain(paragraph)):
        return True
    ppr = paragraph._p.pPr
    level = (
        ppr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}outlineLvl")
        if ppr is not None
        else None
    )
    return (
        level is not None
        and level.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}val") == "0"
    )


def is_hint(paragraph: Paragraph) -> bool:
    """Every run with text is in italics (how the templates write a hint)."""
    runs = [r for r in paragraph.runs if r.text.strip()]
    return bool(runs) and all(r.italic for r in runs)


def is_quote(paragraph: Paragraph) -> bool:
    return any(name.startswith(("quote", "intense quote")) for name in _style_chain(paragraph))


def blocks(doc: DocumentObject) -> list[Block]:
    """Every paragraph of the body, tables' cells included, in reading order."""
    out: list[Block] = []
    section = 0
    under_hint = False
    for child in doc.element.body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            p = Paragraph(child, doc)
            heading = is_heading1(p)
            if heading:
                section += 1
                under_hint = False
            hint = not heading and (is_hint(p) or (under_hint and is_quote(p)))
            under_hint = hint or (under_hint and not p.text.strip())
            out.append(Block(section, p, heading, hint, False))
        elif tag == "tbl":
            under_hint = False
            table = Table(child, doc)
            for row in table.rows:
                for cell in row.cells:
                    for p in cell.paragraphs:
                        out.append(Block(section, p, False, is_hint(p), True))
    return out


def language_of(doc_blocks: list[Block]) -> str:
    """``zh`` when the headings (else the body) are written in Chinese, else ``en``."""
    headings = " ".join(b.text for b in doc_blocks if b.heading) or " ".join(b.text for b in doc_blocks)
    return "zh" if _CJK.search(headings) else "en"


def heading_text(doc_blocks: list[Block], section: int) -> str:
    """The wording of section ``section``'s heading ("" for the part before the first)."""
    for b in doc_blocks:
        if b.heading and b.section == section:
            return TIME_TAG.sub("", b.text).strip()
    return ""
