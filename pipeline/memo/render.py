"""The memo: a .docx rendered from a Word template with docxtpl (jinja2 + python-docx).

Templates live in ``templates/memo.<zh-Hant|zh-Hans|en>.docx`` so a company can
restyle them in Word; the context built here is the only contract between code and
layout (``template_variables`` lists what a template uses, and a test checks both
agree).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import TemplateError
from ..outputs import write_with
from ..resources import package_file
from ..types import Bullet, Notes, Transcript

# XML 1.0 forbids most C0 controls; a transcript may carry them (\x00, \x0b, \x1b…).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

CONTEXT_KEYS = frozenset(
    [
        "date",
        "rep",
        "company",
        "distributor",
        "recording",
        "speakers",
        "parties",
        "market",
        "product",
        "concerns",
        "questions",
        "parting_question",
        "suggestions",
        "strengths",
    ]
)


TEMPLATES_PACKAGE = "pipeline.memo.templates"
"""The shipped memo templates (package data); ``--templates DIR`` replaces them."""


@dataclass(frozen=True)
class MemoDetails:
    """The memo header that the recording cannot tell: who met whom, when."""

    rep: str = ""
    company: str = ""
    distributor: str = ""
    date: str = ""


def template_key(notes: Notes, script: str | None) -> str:
    """``zh-Hant``, ``zh-Hans`` or ``en``: which template a memo uses."""
    if notes.language == "en":
        return "en"
    return "zh-Hans" if script == "hans" else "zh-Hant"


def template_path(key: str, template_dir: Path | None = None) -> Path:
    """The template file for ``key``; raises ``TemplateError`` when missing."""
    name = f"memo.{key}.docx"
    path = template_dir / name if template_dir else package_file(TEMPLATES_PACKAGE, name)
    if not path.is_file():
        raise TemplateError(f"memo template {path} is missing; restore it or pass --templates DIR")
    return path


def clock(seconds: float) -> str:
    """``[mm:ss]`` style time, with hours when needed."""
    s = int(seconds)
    h, rem = divmod(s, 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}" if h else f"{rem // 60:02d}:{rem % 60:02d}"


def safe_text(text: str) -> str:
    """Text that can go into Word XML (illegal control characters removed)."""
    return _XML_ILLEGAL.sub("", text)


def _bullets(bullets: tuple[Bullet, ...]) -> list[dict[str, Any]]:
    return [
        {"text": safe_text(b.text), "time": clock(b.start), "segments": list(b.segments)} for b in bullets
    ]


def _speakers(transcript: Transcript) -> str:
    talk: dict[str, float] = {}
    for seg in transcript.segments:
        if seg.speaker:
            talk[seg.speaker] = talk.get(seg.speaker, 0.0) + (seg.end - seg.start)
    return ", ".join(f"{name} {clock(secs)}" for name, secs in talk.items()) or "—"


def build_context(transcript: Transcript, notes: Notes, details: MemoDetails) -> dict[str, Any]:
    """Everything a memo template may use, as plain values (the template contract)."""
    memo = notes.memo
    source = transcript.source
    name = Path(source.path).name if source else "—"
    recording = f"{name} ({clock(transcript.duration_s)})"
    pq = memo.parting_question
    context: dict[str, Any] = {
        "date": details.date or dt.date.today().isoformat(),
        "rep": details.rep or "________",
        "company": details.company or "________",
        "distributor": details.distributor or "________",
        "recording": safe_text(recording),
        "speakers": _speakers(transcript),
        "parties": _bullets(memo.parties),
        "market": _bullets(memo.market),
        "product": _bullets(memo.product),
        "concerns": _bullets(memo.concerns),
        # the parting question leads the answers section on its own; not listed twice
        "questions": _bullets(tuple(q for q in memo.questions if not pq or q.segments != pq.segments)),
        "parting_question": _bullets((pq,))[0] if pq else None,
        "suggestions": _bullets(memo.suggestions),
        "strengths": _bullets(memo.strengths),
    }
    assert set(context) == CONTEXT_KEYS
    return context


def template_variables(path: Path) -> set[str]:
    """The variables a template uses (for the template–context contract)."""
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(path))
    names: set[str] = tpl.get_undeclared_template_variables()
    return names


def render_memo(context: dict[str, Any], template: Path, out: Path | IO[bytes]) -> None:
    """Render the memo (autoescaped: transcripts hold ``&`` and ``<``).

    Args:
        context: from ``build_context``.
        template: a ``memo.<lang>.docx`` template.
        out: a path (written atomically) or a binary file object.
    """
    import jinja2
    from docxtpl import DocxTemplate

    tpl = DocxTemplate(str(template))
    try:
        tpl.render(context, autoescape=True)
    except jinja2.TemplateError as e:
        raise TemplateError(f"memo template {template} does not render: {e}") from e
    if isinstance(out, (str, Path)):
        write_with(Path(out), tpl.save)
    else:
        tpl.save(out)
