"""The memo: a .docx rendered from a Word template with docxtpl (jinja2 + python-docx).

Templates live in ``templates/memo.<zh-Hant|zh-Hans|en>.docx`` so a company can
restyle them in Word; the context built here is the only contract between code and
layout (``template_variables`` lists what a template uses, and a test checks both
agree).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ..errors import TemplateError
from ..outputs import write_with
from ..resources import package_file
from ..script import language_tag, simplified
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
    return language_tag(notes.language, script)


@functools.cache
def _words(key: str) -> dict[str, str]:
    """The header's wording for ``key``; zh-Hans is the zh-Hant wording converted."""
    return simplified(_WORDS["zh-Hant"]) if key == "zh-Hans" else _WORDS[key]


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


# Header wording by template language: how heard values and the sides are marked.
_WORDS = {
    "en": {"heard": "heard at {t}, please check", "not_heard": "not heard; fill in",
           "rep": "rep", "inferred": "sides inferred from what was said, {p}%",
           "unknown": "sides unknown: speakers kept as {s}", "given": "rep's voice known",
           "met": "met", "territory": "territory"},
    "zh-Hant": {"heard": "會中聽到 {t}，請核對", "not_heard": "會中未聽到，請填寫",
                "rep": "業務代表", "inferred": "依發言內容判斷雙方，{p}%",
                "unknown": "未能判斷雙方，保留 {s}", "given": "已識別業務代表聲音",
                "met": "會晤", "territory": "區域"},
}  # fmt: skip


def _speakers(transcript: Transcript, notes: Notes, words: dict[str, str]) -> str:
    """Who spoke how long, which label is the rep and how that is known, the people met."""
    talk: dict[str, float] = {}
    for seg in transcript.segments:
        if seg.speaker:
            talk[seg.speaker] = talk.get(seg.speaker, 0.0) + (seg.end - seg.start)
    sides = notes.sides
    parts = []
    for name, secs in talk.items():
        who = f" ({words['rep']})" if sides is not None and sides.rep == name else ""
        parts.append(f"{name}{who} {clock(secs)}")
    line = ", ".join(parts) or "—"
    if sides is not None and sides.how == "inferred":
        line += f"; {words['inferred'].format(p=round(100 * (sides.confidence or 0)))}"
    elif sides is not None and sides.how == "unknown":
        line += f"; {words['unknown'].format(s='/'.join(talk))}"
    header = notes.header or {}
    met = [f"{p['value']} [{clock(p['start'])}]" for p in header.get("people") or ()]
    if met:
        line += f"; {words['met']}: " + ", ".join(met)
    territory = header.get("territory")
    if territory:
        line += f"; {words['territory']}: {territory['value']} [{clock(territory['start'])}]"
    return safe_text(line)


def heard_mark(value: str, start: float, key: str) -> str:
    """A value heard in the meeting, marked as heard at its time so the rep checks it
    ("新安寵物 (會中聽到 00:21，請核對)"); ``key`` is the template language (en, zh-Hant,
    zh-Hans). The memo's header and the follow-up letters mark heard values this one way."""
    return safe_text(f"{value} ({_words(key)['heard'].format(t=clock(start))})")


def _distributor(details: MemoDetails, notes: Notes, key: str) -> str:
    """The distributor as given (``--distributor``), else as heard and marked so, else a blank."""
    if details.distributor:
        return details.distributor
    heard = (notes.header or {}).get("distributor")
    if heard:
        return heard_mark(heard["value"], heard["start"], key)
    return f"________ ({_words(key)['not_heard']})"


def build_context(transcript: Transcript, notes: Notes, details: MemoDetails) -> dict[str, Any]:
    """Everything a memo template may use, as plain values (the template contract)."""
    memo = notes.memo
    source = transcript.source
    name = Path(source.path).name if source else "—"
    recording = f"{name} ({clock(transcript.duration_s)})"
    pq = memo.parting_question
    key = template_key(notes, transcript.script)
    words = _words(key)
    context: dict[str, Any] = {
        "date": details.date or dt.date.today().isoformat(),
        "rep": details.rep or "________",
        "company": details.company or "________",
        "distributor": _distributor(details, notes, key),
        "recording": safe_text(recording),
        "speakers": _speakers(transcript, notes, words),
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
