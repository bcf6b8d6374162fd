"""``memo invite``: the letter that goes with the product gift, inviting the distributor to the factory.

Addressed to the distributor's company (as given, else as heard), inviting its people met
in the meeting by name; the gift items and the factory's address come from the company
file; the visit dates are left for the rep (a fill-in marker), as is anything not known.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .company import CompanyFile, in_script
from .letters import Letterhead, header_context, template_path, wording, write_document
from .meeting import Meeting

CONTEXT_KEYS = frozenset({"date", "rep", "company", "distributor", "people", "territory", "gifts", "factory"})


def build_context(meeting: Meeting, head: Letterhead, company: CompanyFile) -> dict[str, Any]:
    """Everything an invitation template may use (the template contract)."""
    company = in_script(company, meeting.script)
    words = wording(meeting.key)
    gifts = [{"item": g.item, "quantity": g.quantity} for g in company.gifts]
    context = {
        **header_context(meeting, head, company.name),
        "gifts": gifts
        or [{"item": words["fill"] if company.path else words["no_company_file"], "quantity": ""}],
        "factory": company.factory or (words["fill"] if company.path else words["no_company_file"]),
    }
    assert set(context) == CONTEXT_KEYS
    return context


def write_invitation(
    meeting: Meeting,
    out: Path,
    head: Letterhead | None = None,
    company: CompanyFile | None = None,
    template_dir: Path | None = None,
) -> Path:
    """Write the invitation letter of ``meeting`` to ``out`` (.docx).

    Raises:
        TemplateError: the template is missing or does not render.
        OutputError: ``out`` cannot be written.
    """
    context = build_context(meeting, head or Letterhead(), company or CompanyFile())
    write_document(context, template_path("invitation", meeting.key, template_dir), out)
    return Path(out)
