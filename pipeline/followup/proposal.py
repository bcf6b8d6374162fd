"""``memo proposal``: the cooperation proposal draft, from what the first meeting gave.

Five parts, each a Heading 1 in the template, each pre-filled with the meeting's evidence
(quoted with its ``[mm:ss]``) for the rep to write from:

1. the opportunity of entering this market now: market facts, and channels heard elsewhere;
2. how our products fit the distributor's portfolio: their business as heard, next to
   our product lines (company file) and what we presented;
3. a market visit report: a table for the rep (outlet, shelf, competitor products and
   prices, observations), pre-filled with the competitors and prices heard;
4. an outline of the launch: the advice heard on timing, first SKUs, samples and
   promotion, one table row each, with the rep's plan to write;
5. how our products do in other markets: the company file's ``[[markets]]``, or a marker.

Which bullet goes where is decided by rules as data (``data/<lang>.json``: kinds
``channel``, ``price``, ``competitor``, ``topic``), so every pre-filled line is traceable.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..types import Bullet
from .company import CompanyFile, in_script
from .letters import Letterhead, evidence, header_context, template_path, wording, write_document
from .meeting import Meeting
from .rules import TOPICS, load_rules

CONTEXT_KEYS = frozenset(
    {
        "date", "rep", "company", "distributor", "people", "territory",
        "market", "portfolio", "our_lines", "presented", "visits", "advice",
        "markets", "no_markets",
    }
)  # fmt: skip
VISIT_ROWS = 3
"""Empty rows the visit report keeps for outlets the rep has yet to visit."""


@dataclass(frozen=True)
class ProposalResult:
    """What ``write_proposal`` wrote, with the figures for the summary line."""

    path: Path
    language: str
    evidence: dict[str, int]
    company_file: Path | None


def _with(kind: str, bullets: list[Bullet], meeting: Meeting) -> list[Bullet]:
    rules = load_rules(meeting.language)
    return [b for b in bullets if rules.first(kind, b.text)]


def _market(meeting: Meeting) -> list[Bullet]:
    """Part 1: the market section, and the channels heard elsewhere (not advice, not our own words)."""
    memo = meeting.memo
    elsewhere = [
        b for b in _with("channel", [*memo.product, *memo.concerns], meeting)
        if b.kind != "qa" and not _is_advice(b, meeting) and not meeting.is_ours(b)
    ]  # fmt: skip
    return [*memo.market, *elsewhere]


def _is_advice(bullet: Bullet, meeting: Meeting) -> bool:
    """The bullet holds advice (part 4 quotes it): it shares a segment with a suggestion."""
    advice = {i for b in meeting.memo.suggestions for i in b.segments}
    return bool(advice & set(bullet.segments))


def _visits(meeting: Meeting) -> list[dict[str, str]]:
    """Visit-report rows: each competitor heard, and each price heard about the market; then empty rows.

    Our own introduction names our brand and our prices: not a competitor's, so the parties
    section and the rep's own words are left out.
    """
    rules = load_rules(meeting.language)
    memo = meeting.memo
    market = {b.segments for b in memo.market}
    heard = [
        b for b in meeting.bullets()
        if b.segments not in {p.segments for p in memo.parties} and not meeting.is_ours(b)
        and (rules.first("competitor", b.text) or (b.segments in market and rules.first("price", b.text)))
    ]  # fmt: skip
    rows = [
        {"outlet": "", "shelf": "", "competitors": f"{e['text']} [{e['time']}]", "observations": ""}
        for e in evidence(heard)
    ]
    rows += [{"outlet": "", "shelf": "", "competitors": "", "observations": ""}] * VISIT_ROWS
    return rows


def _advice(meeting: Meeting) -> list[dict[str, str]]:
    """Launch-outline rows: the advice heard on each topic (a row saying none was, otherwise)."""
    rules = load_rules(meeting.language)
    words = wording(meeting.key)
    by_topic: dict[str, list[Bullet]] = {t: [] for t in (*TOPICS, "other")}
    for b in meeting.memo.suggestions:
        topics = rules.topics(b.text) or ["other"]
        by_topic[topics[0]].append(b)  # the first topic named: one row per piece of advice
    rows = []
    for topic, bullets in by_topic.items():
        label = words["topics"][topic]
        if not bullets and topic != "other":
            rows.append({"topic": label, "heard": words["none"], "plan": ""})
        for e in evidence(bullets):
            rows.append({"topic": label, "heard": f"{e['text']} [{e['time']}]", "plan": ""})
    return rows


def build_context(meeting: Meeting, head: Letterhead, company: CompanyFile) -> dict[str, Any]:
    """Everything a proposal template may use, as plain values (the template contract)."""
    company = in_script(company, meeting.script)
    memo = meeting.memo
    # Part 2 sets the distributor's business (what they said of themselves) next to our lines.
    portfolio = [b for b in (*memo.parties, *memo.strengths) if not meeting.is_ours(b)]
    context = {
        **header_context(meeting, head, company.name),
        "market": evidence(_market(meeting)),
        "portfolio": evidence(portfolio),
        "our_lines": list(company.products),
        "presented": evidence([b for b in memo.product if b.kind != "qa" and not _is_advice(b, meeting)]),
        "visits": _visits(meeting),
        "advice": _advice(meeting),
        "markets": [
            {"territory": m.territory, "distributor": m.distributor, "since": m.since, "results": m.results}
            for m in company.markets
        ],
        "no_markets": "" if company.markets else wording(meeting.key)["no_company_file"],
    }
    assert set(context) == CONTEXT_KEYS
    return context


def write_proposal(
    meeting: Meeting,
    out: Path,
    head: Letterhead | None = None,
    company: CompanyFile | None = None,
    template_dir: Path | None = None,
) -> ProposalResult:
    """Write the cooperation proposal draft of ``meeting`` to ``out`` (.docx).

    Raises:
        TemplateError: the template is missing or does not render.
        OutputError: ``out`` cannot be written.
    """
    company = company or CompanyFile()
    context = build_context(meeting, head or Letterhead(), company)
    write_document(context, template_path("proposal", meeting.key, template_dir), out)
    counts = {k: len(context[k]) for k in ("market", "portfolio", "presented")}
    counts["visits"] = len(context["visits"]) - VISIT_ROWS
    counts["advice"] = len(meeting.memo.suggestions)
    return ProposalResult(Path(out), meeting.key, counts, company.path)
