"""What the proposal and the invitation share: who writes to whom, the words, the templates.

Templates live in ``templates/<proposal|invitation>.<zh-Hant|zh-Hans|en>.docx`` (built by
``templates/build_templates.py``) so a company restyles them in Word like the memo's; a
folder given with ``--templates`` replaces them. Heard values are marked as heard, with
their time, so the rep checks them; what nobody said is a fill-in marker.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import TemplateError
from ..memo.render import clock, heard_mark, render_memo, safe_text
from ..outputs import write_with
from ..resources import package_file
from ..script import simplified
from ..types import Bullet
from .meeting import Heard, Meeting

TEMPLATES_PACKAGE = "pipeline.followup.templates"
KINDS = ("proposal", "invitation")


@dataclass(frozen=True)
class Letterhead:
    """What the notes cannot tell: who writes, for which company, and when.

    Attributes:
        rep: the rep's name (memo.toml ``rep`` or ``--rep``).
        company: our company (``--company``, memo.toml, else the company file's name).
        distributor: the distributor's company as the rep knows it; default: as heard.
        date: the document's date; default: today.
    """

    rep: str = ""
    company: str = ""
    distributor: str = ""
    date: str = ""


WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "fill": "[TO BE WRITTEN BY THE REP]",
        "none": "(None heard in the meeting.)",
        "no_company_file": "[NO COMPANY FILE: add company.toml next to memo.toml, or pass --company-file]",
        "topics": {"timing": "Timing", "skus": "First SKUs", "samples": "Samples",
                   "promotion": "Promotion", "other": "Other advice"},
        "and": " and ",
    },
    "zh-Hant": {
        "fill": "【待業務填寫】",
        "none": "（會議中未談及）",
        "no_company_file": "【缺公司資料檔：請在 memo.toml 旁放 company.toml，或指定 --company-file】",
        "topics": {"timing": "上市時機", "skus": "首批品項", "samples": "樣品",
                   "promotion": "推廣活動", "other": "其他建議"},
        "and": "、",
    },
}  # fmt: skip


@functools.cache
def wording(key: str) -> dict[str, Any]:
    """The follow-up documents' wording for ``key``; zh-Hans is the zh-Hant wording converted."""
    return dict(simplified(WORDS["zh-Hant"])) if key == "zh-Hans" else WORDS[key]


def template_path(kind: str, key: str, template_dir: Path | None = None) -> Path:
    """The ``kind`` template (``proposal``, ``invitation``) of a language; ``TemplateError`` if missing."""
    name = f"{kind}.{key}.docx"
    path = template_dir / name if template_dir else package_file(TEMPLATES_PACKAGE, name)
    if not path.is_file():
        raise TemplateError(f"{kind} template {path} is missing; restore it or pass --templates DIR")
    return path


def evidence(bullets: list[Bullet] | tuple[Bullet, ...]) -> list[dict[str, Any]]:
    """Bullets as the templates quote them: text and ``mm:ss``, in the order said.

    A bullet whose segments an earlier one already quotes (a strength inside an
    introduction) is left out: each thing heard is quoted once.
    """
    covered: set[int] = set()
    out = []
    for b in sorted(bullets, key=lambda b: (b.start, -len(b.segments))):
        if b.segments and set(b.segments) <= covered:
            continue
        covered.update(b.segments)
        out.append({"text": safe_text(b.text), "time": clock(b.start)})
    return out


def heard(value: Heard | None, key: str) -> str:
    """A header value as heard, marked as the memo marks it; the fill-in marker when not heard."""
    if value is None:
        return str(wording(key)["fill"])
    return heard_mark(value.value, value.start, key)


def header_context(meeting: Meeting, head: Letterhead, company_name: str) -> dict[str, Any]:
    """The values every follow-up template starts with."""
    words = wording(meeting.key)
    people = [safe_text(f"{p.value} [{clock(p.start)}]") for p in meeting.people]
    return {
        "date": head.date or dt.date.today().isoformat(),
        "rep": head.rep or words["fill"],
        "company": head.company or company_name or words["fill"],
        "distributor": head.distributor or heard(meeting.distributor, meeting.key),
        "people": words["and"].join(people) or words["fill"],
        "territory": heard(meeting.territory, meeting.key),
    }


def write_document(context: dict[str, Any], template: Path, out: Path) -> None:
    """Render ``template`` with ``context`` and write it atomically to ``out``."""
    import io

    buf = io.BytesIO()
    render_memo(context, template, buf)  # the memo's renderer: autoescaped, one error type
    write_with(Path(out), lambda f: f.writelines([buf.getvalue()]))
