"""The follow-up ledger: per distributor company, the rep who met it and each step with its date.

The practice after a first meeting: the memo goes out by courier within two working days;
if the distributor stays undecided, a cooperation proposal follows, then a product gift
with an invitation to the factory, then a visit, and the same rep follows up until a
contract is signed (or the distributor declines). Which step is due, and when, is decided
here (``next_due``), from the intervals of ``[followup]`` in memo.toml.

Tables (migration ``0005_followup_ledger``): ``followup_distributors`` and ``followup_steps``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from ..config import FollowupSettings
from ..errors import LedgerError
from ..outputs import write_text, write_with
from ..script import to_script
from .store import Store, memos, metadata, utcnow

STEPS = ("meeting", "memo_sent", "proposal_sent", "gift_sent", "factory_visit", "contract_signed", "declined")
"""The steps a rep marks, in the order they are taken."""
DECISIONS = ("contract_signed", "declined")
STEP_TITLES = {
    "meeting": "first meeting",
    "memo_sent": "send the memo (printed, bound, by courier)",
    "proposal_sent": "send the cooperation proposal",
    "gift_sent": "send the product gift with the factory invitation",
    "factory_visit": "factory visit",
    "decision": "ask for a decision (contract)",
    "contract_signed": "contract signed",
    "declined": "declined",
}

followup_distributors = sa.Table(
    "followup_distributors",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("rep", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

followup_steps = sa.Table(
    "followup_steps",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("distributor_id", sa.Integer, sa.ForeignKey("followup_distributors.id"), nullable=False),
    sa.Column("step", sa.String(16), nullable=False),
    sa.Column("date", sa.String(10), nullable=False),
    sa.Column("courier", sa.Text),
    sa.Column("tracking", sa.Text),
    sa.Column("note", sa.Text),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("distributor_id", "step", name="uq_followup_steps_step"),
)


@dataclass(frozen=True)
class Step:
    """One step taken, with its date (``YYYY-MM-DD``)."""

    step: str
    date: str
    courier: str = ""
    tracking: str = ""
    note: str = ""


@dataclass(frozen=True)
class Entry:
    """One distributor's ledger: the company, the rep who met it, the steps taken (in ``STEPS`` order)."""

    id: int
    name: str
    rep: str
    steps: tuple[Step, ...]

    def step(self, name: str) -> Step | None:
        """The step ``name`` if it was taken."""
        return next((s for s in self.steps if s.step == name), None)

    @property
    def decided(self) -> bool:
        return any(self.step(d) for d in DECISIONS)


@dataclass(frozen=True)
class Due:
    """The next step of one distributor and the day it is due."""

    distributor: str
    rep: str
    step: str
    due: dt.date
    after: Step

    @property
    def title(self) -> str:
        return STEP_TITLES[self.step]

    def overdue_days(self, today: dt.date) -> int:
        return (today - self.due).days


def distributor_key(name: str) -> str:
    """How names are compared: case, spacing and Chinese script do not count."""
    return to_script(" ".join(name.split()), "hant").casefold()


def step_name(text: str) -> str:
    """``memo-sent``, ``memo_sent`` or ``Memo sent`` → ``memo_sent``.

    Raises:
        LedgerError: not one of ``STEPS``.
    """
    name = re.sub(r"[\s-]+", "_", text.strip().lower())
    if name not in STEPS:
        raise LedgerError(f"step {text!r} is not known; expected one of: {', '.join(STEPS)}")
    return name


def parse_date(text: str) -> str:
    """A ``YYYY-MM-DD`` date, checked.

    Raises:
        LedgerError: another spelling, or no such day.
    """
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError
        return dt.date.fromisoformat(text).isoformat()
    except ValueError:
        raise LedgerError(f"date {text!r} is not a day written YYYY-MM-DD (e.g. 2025-03-07)") from None


def add_working_days(day: dt.date, n: int) -> dt.date:
    """``day`` plus ``n`` working days (Monday to Friday; public holidays are not known)."""
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def next_due(entry: Entry, intervals: FollowupSettings) -> Due | None:
    """The step this distributor waits for next and its due day; ``None`` once decided or not yet met.

    The memo is due ``memo_working_days`` working days after the meeting; the proposal
    ``proposal_days`` after the memo; with no decision ``decision_days`` after the proposal,
    the gift and invitation; the factory visit ``visit_days`` after the gift; after that the
    rep asks for a decision every ``decision_days`` from the last step.
    """
    if entry.decided or not entry.steps:
        return None
    chain = (
        ("meeting", "memo_sent", lambda d: add_working_days(d, intervals.memo_working_days)),
        ("memo_sent", "proposal_sent", lambda d: d + dt.timedelta(days=intervals.proposal_days)),
        ("proposal_sent", "gift_sent", lambda d: d + dt.timedelta(days=intervals.decision_days)),
        ("gift_sent", "factory_visit", lambda d: d + dt.timedelta(days=intervals.visit_days)),
    )
    for before, step, when in chain:
        taken, wanted = entry.step(before), entry.step(step)
        if taken is not None and wanted is None:
            return Due(entry.name, entry.rep, step, when(dt.date.fromisoformat(taken.date)), taken)
    last = max(entry.steps, key=lambda s: (s.date, STEPS.index(s.step)))
    due = dt.date.fromisoformat(last.date) + dt.timedelta(days=intervals.decision_days)
    return Due(entry.name, entry.rep, "decision", due, last)


class Ledger:
    """The follow-up ledger in a run store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    def mark(
        self,
        distributor: str,
        step: str,
        date: str,
        *,
        rep: str = "",
        courier: str = "",
        tracking: str = "",
        note: str = "",
    ) -> Entry:
        """Record that ``step`` was taken on ``date`` (again: the new date and note replace the old).

        A distributor not yet in the ledger is added, with ``rep`` as the rep who met it.

        Raises:
            LedgerError: an unknown step, a bad date, no name, or a new distributor without a rep.
        """
        step, date = step_name(step), parse_date(date)
        name = " ".join(distributor.split())
        if not name:
            raise LedgerError("a distributor needs a name (its company, as on the memo)")
        if (courier or tracking) and step != "memo_sent":
            raise LedgerError("courier and tracking number belong to the memo_sent step")
        with self.engine.begin() as conn:
            did = self._distributor_id(conn, name, rep)
            values = {"date": date, "courier": courier or None, "tracking": tracking or None,
                      "note": note or None, "recorded_at": utcnow()}  # fmt: skip
            where = (followup_steps.c.distributor_id == did) & (followup_steps.c.step == step)
            updated = conn.execute(sa.update(followup_steps).where(where).values(**values))
            if updated.rowcount == 0:
                conn.execute(sa.insert(followup_steps).values(distributor_id=did, step=step, **values))
        entry = self.entry(name)
        assert entry is not None
        return entry

    def _distributor_id(self, conn: sa.Connection, name: str, rep: str) -> int:
        key = distributor_key(name)
        found = conn.execute(
            sa.select(followup_distributors.c.id).where(followup_distributors.c.key == key)
        ).scalar()
        if found is not None:
            return int(found)
        if not rep.strip():
            raise LedgerError(
                f"{name!r} is not in the ledger yet; give the rep who met it (--rep, or rep in memo.toml)"
            )
        result = conn.execute(
            sa.insert(followup_distributors).values(key=key, name=name, rep=rep.strip(), created_at=utcnow())
        )
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def add_meetings(self) -> int:
        """Add a ``meeting`` step for each drafted memo whose distributor is not in the ledger yet.

        Only memos drafted with a distributor name (``--distributor``) and a rep count: a name
        only heard in the meeting is the rep's to confirm. Returns how many were added.
        """
        query = (
            sa.select(memos.c.distributor, memos.c.rep, sa.func.min(memos.c.meeting_date).label("date"))
            .where(memos.c.distributor != "", memos.c.rep != "", memos.c.meeting_date.is_not(None))
            .group_by(memos.c.distributor, memos.c.rep)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
            known = set(conn.execute(sa.select(followup_distributors.c.key)).scalars())
        added = 0
        for row in rows:
            if distributor_key(row.distributor) not in known:
                self.mark(row.distributor, "meeting", row.date, rep=row.rep, note="from the drafted memo")
                known.add(distributor_key(row.distributor))
                added += 1
        return added

    def entries(self, rep: str | None = None) -> list[Entry]:
        """Every distributor's ledger (only ``rep``'s when given), by name."""
        query = sa.select(followup_distributors).order_by(followup_distributors.c.name)
        if rep is not None:
            query = query.where(followup_distributors.c.rep == rep)
        with self.engine.connect() as conn:
            heads = conn.execute(query).all()
            steps = conn.execute(sa.select(followup_steps)).all()
        by_id: dict[int, list[Step]] = {}
        for s in steps:
            by_id.setdefault(int(s.distributor_id), []).append(
                Step(s.step, s.date, s.courier or "", s.tracking or "", s.note or "")
            )
        order = {name: n for n, name in enumerate(STEPS)}
        return [
            Entry(
                int(h.id), h.name, h.rep, tuple(sorted(by_id.get(int(h.id), []), key=lambda s: order[s.step]))
            )
            for h in heads
        ]

    def entry(self, name: str) -> Entry | None:
        """One distributor's ledger, by name (case, spacing and script do not count)."""
        key = distributor_key(name)
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(followup_distributors.c.name).where(followup_distributors.c.key == key)
            ).scalar()
        if found is None:
            return None
        return next((e for e in self.entries() if e.name == found), None)

    def due(
        self, intervals: FollowupSettings, today: dt.date, *, within: int = 0, rep: str | None = None
    ) -> list[Due]:
        """The next steps due by ``today`` + ``within`` days, the most overdue first."""
        horizon = today + dt.timedelta(days=within)
        found = [
            d for e in self.entries(rep) if (d := next_due(e, intervals)) is not None and d.due <= horizon
        ]
        return sorted(found, key=lambda d: (d.due, d.distributor))


def to_csv(due: list[Due], today: dt.date) -> str:
    """The due steps as CSV for a CRM import (one row each; UTF-8, a header row)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["distributor", "rep", "step", "task", "due", "days_overdue", "last_step", "last_date"])
    for d in due:
        late = max(d.overdue_days(today), 0)
        row = [d.distributor, d.rep, d.step, d.title, d.due.isoformat(), late, d.after.step, d.after.date]
        writer.writerow(row)
    return buf.getvalue()


def to_ics(due: list[Due], today: dt.date) -> bytes:
    """The due steps as iCalendar to-dos (VTODO), one per distributor's next step."""
    from icalendar import Calendar, Todo

    cal = Calendar()
    cal.add("prodid", "-//meeting-memo//follow-up ledger//EN")
    cal.add("version", "2.0")
    for d in due:
        todo = Todo()
        # Stable per distributor and step: a calendar importing the file again updates the to-do.
        key = hashlib.sha1(distributor_key(d.distributor).encode("utf-8")).hexdigest()[:16]
        todo.add("uid", f"{d.step}-{key}@meeting-memo")
        todo.add("dtstamp", dt.datetime.combine(today, dt.time(), tzinfo=dt.timezone.utc))
        todo.add("summary", f"{d.distributor}: {d.title}")
        todo.add("due", d.due)
        todo.add("description", f"Rep: {d.rep}. Last step: {d.after.step} on {d.after.date}.")
        todo.add("status", "NEEDS-ACTION")
        cal.add_component(todo)
    return bytes(cal.to_ical())


def export(due: list[Due], today: dt.date, *, ics: Path | None = None, csv_path: Path | None = None) -> None:
    """Write the due steps as .ics and/or .csv (atomically)."""
    if ics is not None:
        data = to_ics(due, today)
        write_with(ics, lambda f: f.writelines([data]))
    if csv_path is not None:
        write_text(csv_path, to_csv(due, today))
