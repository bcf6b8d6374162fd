"""The weekly roll-up: one line per meeting, as CSV (for spreadsheets) and HTML (to read or print).

Columns: date, rep, distributor, language, duration, bullets in each of the four memo
sections, open questions (including the parting one), the parting question itself, the
share of low-confidence words, status, and the recording and memo files.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Sequence
from pathlib import Path

from ..memo.render import clock
from ..outputs import write_text
from ..types import MEMO_SECTIONS
from .store import MeetingRow

HEADER = (
    "date",
    "rep",
    "distributor",
    "language",
    "duration",
    *MEMO_SECTIONS,
    "open_questions",
    "parting_question",
    "low_confidence",
    "status",
    "recording",
    "memo",
    "note",
)


def _cells(row: MeetingRow) -> list[str]:
    share = "" if row.low_conf_share is None else f"{row.low_conf_share:.1%}"
    return [
        row.date,
        row.rep,
        row.distributor,
        row.language,
        clock(row.duration_s) if row.duration_s else "",
        *(str(row.bullets[s]) if s in row.bullets else "" for s in MEMO_SECTIONS),
        str(row.open_questions) if row.bullets else "",
        row.parting_question,
        share,
        row.status,
        row.source,
        row.memo,
        row.error,
    ]


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def as_text(cell: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula.

    Names typed on the command line (``--rep '=1+2'``, a ``=HYPERLINK(…)`` distributor) and
    transcript text end up in the CSV; Excel and LibreOffice run a cell starting with
    ``= + - @`` (or a tab or carriage return before one) as a formula. A leading single
    quote makes it text (https://owasp.org/www-community/attacks/CSV_Injection).
    """
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def to_csv(rows: Sequence[MeetingRow]) -> str:
    """The roll-up as CSV text (UTF-8 with a BOM added on write, so Excel reads Chinese).

    Every cell that could be read as a formula is made text (``as_text``); the HTML page
    needs no such care, as it escapes every cell.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows([as_text(c) for c in _cells(r)] for r in rows)
    return out.getvalue()


_CSS = """
body { font-family: "Noto Sans", "Microsoft JhengHei", "PingFang TC", sans-serif; margin: 2em; }
table { border-collapse: collapse; font-size: 0.9em; }
th, td { border: 1px solid #bbb; padding: 0.3em 0.6em; vertical-align: top; }
th { background: #eef; text-align: left; }
td.n { text-align: right; }
tr.failed td { background: #fdd; }
tr.skipped td { color: #555; }
caption { text-align: left; margin-bottom: 0.6em; }
"""
_NUMERIC = {"duration", *MEMO_SECTIONS, "open_questions", "low_confidence"}


def to_html(rows: Sequence[MeetingRow], title: str) -> str:
    """The roll-up as a standalone HTML page (one table, printable)."""
    minutes = sum(r.duration_s for r in rows) / 60
    failed = sum(r.status == "failed" for r in rows)
    caption = f"{len(rows)} meetings, {minutes:.0f} min of audio" + (f", {failed} failed" if failed else "")
    head = "".join(f"<th>{html.escape(h.replace('_', ' '))}</th>" for h in HEADER)
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="n">{html.escape(c)}</td>' if h in _NUMERIC else f"<td>{html.escape(c)}</td>"
            for h, c in zip(HEADER, _cells(row), strict=True)
        )
        body.append(f'<tr class="{html.escape(row.status)}">{cells}</tr>')
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_CSS}</style></head><body>\n"
        f"<h1>{html.escape(title)}</h1>\n<table><caption>{html.escape(caption)}</caption>\n"
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + "\n</tbody></table>\n</body></html>\n"
    )


def week_name(day: dt.date | None = None) -> str:
    """``2025-W48``: the ISO week a roll-up is named after."""
    year, week, _ = (day or dt.date.today()).isocalendar()
    return f"{year}-W{week:02d}"


def write_rollup(rows: Sequence[MeetingRow], folder: Path, name: str | None = None) -> tuple[Path, Path]:
    """Write ``memo-week-<week>.csv`` and ``.html`` into ``folder`` atomically; return both paths."""
    stem = f"memo-week-{name or week_name()}"
    csv_path, html_path = folder / f"{stem}.csv", folder / f"{stem}.html"
    write_text(csv_path, "\ufeff" + to_csv(rows))
    write_text(html_path, to_html(rows, f"Meeting memos, week {name or week_name()}"))
    return csv_path, html_path
