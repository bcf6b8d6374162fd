"""After the memo: ``memo check``, ``memo proposal``, ``memo invite`` and ``memo followup`` (the ledger)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from . import common
from .common import CompanyFileOpt, CompanyOpt, DateOpt, DbOpt, DistributorOpt, RepOpt, TemplatesOpt

if TYPE_CHECKING:
    from ..config import Settings
    from ..followup.company import CompanyFile
    from ..followup.letters import Letterhead

MeetingArg = Annotated[
    Path,
    typer.Argument(
        metavar="MEETING",
        help="The meeting's NAME.notes.json (written by `memo draft`), or the folder of its memo.",
    ),
]


def check(
    memo: Annotated[Path, typer.Argument(help="The memo .docx the rep finished in Word.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print {ready, problems[]} as JSON.")] = False,
    final: Annotated[
        bool,
        typer.Option("--final", help="Write the print version: hints, highlights, markers, [mm:ss] out."),
    ] = False,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output", "-o", help="The print version's file (with --final); default: NAME.final.docx."
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Write the print version despite problems.")] = False,
) -> None:
    """Say whether a finished memo is ready to print; exit 0 when ready, 1 otherwise.

    Problems, each naming its section (found by Heading 1 order, so a restyled template still
    works): a fill-in marker left; section 5 praising a person (looks, youth, own ability)
    instead of the company; section 6 with fewer thanks than advice heard; a question in
    section 7 without an answer; the parting question unanswered or not first; fillers or
    small talk left in sections 1–4. Hints are no problem: the print version drops them.

    Example:  memo check meeting.memo.docx --final -o meeting.print.docx
    """
    if (output is not None or force) and not final:
        raise common.fail("-o and --force go with --final (the print version)")

    def go() -> None:
        from ..followup.check import check_memo
        from ..followup.final import final_version

        if final:
            out = output or memo.with_name(
                memo.name.removesuffix(".docx").removesuffix(".memo") + ".final.docx"
            )
            result = final_version(memo, out, force=force)
            for line in result.lines():
                typer.echo(f"warning: {line}", err=True)
            typer.echo(f"{out}  (print version{', forced' if result.problems else ''})")
            return
        result = check_memo(memo)
        if as_json:
            typer.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))
        else:
            for line in result.lines():
                typer.echo(line)
            typer.echo(
                f"{memo}: {'ready to print' if result.ready else f'{len(result.problems)} problem(s)'}"
            )
        if not result.ready:
            raise typer.Exit(1)

    common.run(go)


def _letter(
    meeting: Path,
    cfg: Settings,
    company_file: Path | None,
    distributor: str,
    date: str | None,
) -> tuple[Letterhead, CompanyFile]:
    from ..followup.company import find_company_file, load_company
    from ..followup.letters import Letterhead
    from ..runs.ledger import parse_date

    company = load_company(company_file or find_company_file())
    head = Letterhead(
        rep=cfg.rep, company=cfg.company or company.name, distributor=distributor,
        date=parse_date(date) if date else "",
    )  # fmt: skip
    return head, company


def _default_out(meeting: Path, kind: str) -> Path:
    from ..followup.meeting import NOTES_SUFFIX, find_notes

    notes = find_notes(meeting)
    return notes.with_name(notes.name.removesuffix(NOTES_SUFFIX) + f".{kind}.docx")


def proposal(
    meeting: MeetingArg,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output", "-o", help="The proposal .docx; default: NAME.proposal.docx beside the notes."
        ),
    ] = None,
    rep: RepOpt = None,
    company: CompanyOpt = None,
    distributor: DistributorOpt = "",
    company_file: CompanyFileOpt = None,
    templates: TemplatesOpt = None,
    date: DateOpt = None,
) -> None:
    """Draft the cooperation proposal for a distributor who stays undecided.

    Five parts, in the meeting's language and script, each pre-filled with what the meeting
    gave ([mm:ss]): (1) the opportunity of entering the market now, (2) how our products fit
    their portfolio, (3) a market visit report table, (4) an outline of the launch built on
    their advice, (5) how our products do in other markets (from company.toml). The rep
    writes the proposal; the draft gives its structure and evidence.

    Example:  memo proposal out/meeting.notes.json -o meeting.proposal.docx
    """
    cfg = common.settings(rep=rep, company=company, templates=templates)

    def go() -> None:
        from ..followup.meeting import load_meeting
        from ..followup.proposal import write_proposal

        head, firm = _letter(meeting, cfg, company_file, distributor, date)
        found = load_meeting(meeting)
        result = write_proposal(found, output or _default_out(meeting, "proposal"), head, firm, cfg.templates)
        counts = " ".join(f"{k}={v}" for k, v in result.evidence.items())
        typer.echo(f"{result.path}  ({result.language}; evidence {counts})")
        if firm.path is None:
            typer.echo(
                "warning: no company file: part 5 is marked for the rep (see --company-file)", err=True
            )

    common.run(go)


def invite(
    meeting: MeetingArg,
    output: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option(
            "--output", "-o", help="The invitation .docx; default: NAME.invitation.docx beside the notes."
        ),
    ] = None,
    rep: RepOpt = None,
    company: CompanyOpt = None,
    distributor: DistributorOpt = "",
    company_file: CompanyFileOpt = None,
    templates: TemplatesOpt = None,
    date: DateOpt = None,
) -> None:
    """Draft the letter that goes with the product gift, inviting the distributor to the factory.

    Addressed to the distributor's company (--distributor, else as heard), inviting the people
    met by name; the gift items and factory address come from company.toml; the visit dates
    are left for the rep.

    Example:  memo invite out/meeting.notes.json -o meeting.invitation.docx
    """
    cfg = common.settings(rep=rep, company=company, templates=templates)

    def go() -> None:
        from ..followup.invite import write_invitation
        from ..followup.meeting import load_meeting

        head, firm = _letter(meeting, cfg, company_file, distributor, date)
        path = write_invitation(
            load_meeting(meeting), output or _default_out(meeting, "invitation"), head, firm, cfg.templates
        )
        typer.echo(str(path))
        if firm.path is None:
            typer.echo(
                "warning: no company file: gift items and factory address are marked for the rep", err=True
            )

    common.run(go)


followup_app = typer.Typer(
    help="The follow-up ledger per distributor: what is due, and marking steps done.",
    invoke_without_command=True,
    no_args_is_help=False,
)


def _today(today: str | None) -> dt.date:
    from ..runs.ledger import parse_date

    return dt.date.fromisoformat(common.run(lambda: parse_date(today))) if today else dt.date.today()


@followup_app.callback()
def followup(
    ctx: typer.Context,
    ics: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--ics", help="Also write the due steps as calendar to-dos (.ics)."),
    ] = None,
    csv: Annotated[
        Optional[Path],  # noqa: UP045
        typer.Option("--csv", help="Also write the due steps as CSV, for a CRM import."),
    ] = None,
    within: Annotated[int, typer.Option("--within", min=0, help="Include steps due in the next N days.")] = 0,
    rep: RepOpt = None,
    today: Annotated[
        Optional[str],  # noqa: UP045
        typer.Option("--today", help="Count as if today were this day (YYYY-MM-DD)."),
    ] = None,
    db: DbOpt = None,
) -> None:
    """List what is due: the memo not sent two working days after the meeting, no decision N days
    after the proposal… (intervals: [followup] in memo.toml).

    Meetings drafted with --distributor and --rep enter the ledger by themselves; mark each step
    as it is taken:  memo followup mark "Prairie Line" memo-sent --courier UPS --tracking 1Z…
    """
    if ctx.invoked_subcommand is not None:
        return
    day = _today(today)
    cfg = common.settings(db=db)

    def go() -> None:
        from ..runs.ledger import Ledger, export

        store = common.open_store(cfg)
        try:
            ledger = Ledger(store)
            ledger.add_meetings()
            due = ledger.due(cfg.followup, day, within=within, rep=rep)
        finally:
            store.close()
        for d in due:
            late = d.overdue_days(day)
            when = (
                f"{late} day(s) overdue"
                if late > 0
                else "due today"
                if late == 0
                else f"due in {-late} day(s)"
            )
            typer.echo(
                f"{d.due}  {d.distributor}  ({d.rep}): {d.title}; {when} "
                f"(last: {d.after.step} {d.after.date})"
            )
        if not due:
            typer.echo("nothing due")
        export(due, day, ics=ics, csv_path=csv)
        for path in (ics, csv):
            if path is not None:
                typer.echo(f"{path}  ({len(due)} step(s))", err=True)

    common.run(go)


@followup_app.command("mark")
def mark(
    distributor: Annotated[str, typer.Argument(help="The distributor company, as on the memo.")],
    step: Annotated[
        str,
        typer.Argument(
            help="meeting, memo-sent, proposal-sent, gift-sent, factory-visit, contract-signed or declined."
        ),
    ],
    date: DateOpt = None,
    note: Annotated[str, typer.Option("--note", help="A note kept with the step.")] = "",
    courier: Annotated[str, typer.Option("--courier", help="memo-sent: the courier.")] = "",
    tracking: Annotated[str, typer.Option("--tracking", help="memo-sent: the tracking number.")] = "",
    rep: RepOpt = None,
    db: DbOpt = None,
) -> None:
    """Record a step taken for a distributor (again: the new date and note replace the old)."""
    from ..runs.ledger import parse_date, step_name

    common.run(lambda: step_name(step))  # a bad step or date stops here, before the store is opened
    day = common.run(lambda: parse_date(date)) if date else dt.date.today().isoformat()
    cfg = common.settings(rep=rep, db=db)

    def go() -> None:
        from ..runs.ledger import Ledger

        store = common.open_store(cfg)
        try:
            entry = Ledger(store).mark(
                distributor, step, day, rep=cfg.rep, courier=courier, tracking=tracking, note=note
            )
        finally:
            store.close()
        steps = ", ".join(f"{s.step} {s.date}" for s in entry.steps)
        typer.echo(f"{entry.name} ({entry.rep}): {steps}")

    common.run(go)


def register(app: typer.Typer) -> None:
    """Add these commands to ``app``."""
    for command in (check, proposal, invite):
        app.command()(command)
    app.add_typer(followup_app, name="followup")
