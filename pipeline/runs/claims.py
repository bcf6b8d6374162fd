"""Claims: which driver drafts which recording, kept in the run store (the queue's truth).

Several ``memo batch --ray`` drivers (and ``memo watch --ray`` watchers) may work on the
same recordings at once, on different machines. Before a recording is handed to an actor,
its driver claims it: a row per (recording, settings) that one writer wins, by an insert
that skips a row already there and an update conditioned on the row as it was read
(compare and swap), so two drivers never both hold it. A claim is kept alive by a lease
the driver renews; a claim whose lease ran out, or whose driver process is gone on this
machine, is taken over. ``attempts`` counts how often the recording went to an actor:
an actor that dies takes it back to the queue once, a second failure is final.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import uuid
from dataclasses import dataclass

import sqlalchemy as sa

from .store import Store, as_utc, insert_unless_present, metadata, utcnow

logger = logging.getLogger(__name__)

LEASE_S = 120.0
"""How long a claim stays held without being renewed (a driver renews every third of it)."""

MAX_ATTEMPTS = 2
"""Hand-overs to an actor before a recording whose actors keep dying is marked failed."""

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("settings_key", sa.String(16), nullable=False),
    sa.Column("owner", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # claimed, done, failed, free
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_until", sa.DateTime(timezone=True), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id")),
    sa.Column("error", sa.Text),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("sha256", "settings_key", name="uq_claims_recording"),
    sa.Index("ix_claims_owner", "owner", "status"),
)


@dataclass(frozen=True)
class Claim:
    """A recording this driver holds."""

    sha256: str
    settings_key: str


def new_owner() -> str:
    """A driver's name in the claims: ``host:pid:random`` (unique even when a pid is reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_gone(owner: str) -> bool:
    """Whether ``owner`` is a driver of this machine whose process has ended.

    A driver elsewhere cannot be asked; its claims are freed by their lease running out.
    """
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class Claims:
    """One driver's claims in ``store``.

    Args:
        store: the run store every driver shares.
        owner: this driver's name (``new_owner()``).
        lease_s: how long a claim lasts unless renewed.
        since: when this driver started: a recording another driver finished after it is
            not drafted again (this driver's check found it not done yet).
    """

    def __init__(self, store: Store, owner: str, lease_s: float = LEASE_S, since: dt.datetime | None = None):
        self.store = store
        self.owner = owner
        self.lease = dt.timedelta(seconds=lease_s)
        self.since = since or utcnow()

    def take(self, sha256: str, key: str) -> Claim | str:
        """Claim a recording; the claim, or why another driver has it."""
        now = utcnow()
        where = (claims.c.sha256 == sha256, claims.c.settings_key == key)
        mine = {"owner": self.owner, "status": "claimed", "attempts": 0, "lease_until": now + self.lease,
                "run_id": None, "error": None, "updated_at": now}  # fmt: skip
        with self.store.engine.begin() as conn:
            if insert_unless_present(conn, claims, ("sha256", "settings_key"), sha256=sha256,
                                     settings_key=key, **mine):  # fmt: skip
                return Claim(sha256, key)
            row = conn.execute(sa.select(claims).where(*where)).one()
            lease_until = as_utc(row.lease_until)
            assert lease_until is not None
            if row.owner != self.owner:
                if row.status == "claimed" and lease_until > now and not owner_gone(row.owner):
                    return f"being drafted by another driver ({row.owner})"
                updated = as_utc(row.updated_at)
                if row.status == "done" and updated is not None and updated >= self.since:
                    return f"drafted meanwhile by another driver ({row.owner})"
            # Conditioned on the row as read: of two drivers taking it over, one wins.
            won = conn.execute(
                sa.update(claims)
                .where(
                    *where,
                    claims.c.owner == row.owner,
                    claims.c.status == row.status,
                    claims.c.attempts == row.attempts,
                )
                .values(**mine)
            )
        if won.rowcount != 1:
            return "claimed by another driver at the same moment"
        if row.owner != self.owner and row.status == "claimed":
            logger.info("took over %s from %s (lease ran out, or process gone)", sha256[:12], row.owner)
        return Claim(sha256, key)

    def hand_over(self, claim: Claim, run_id: int) -> int:
        """Record that the recording goes to an actor (again); the attempts so far, this one included."""
        with self.store.engine.begin() as conn:
            conn.execute(
                self._mine(claim).values(
                    attempts=claims.c.attempts + 1, run_id=run_id, lease_until=utcnow() + self.lease,
                    updated_at=utcnow(),
                )
            )  # fmt: skip
            return int(conn.execute(sa.select(claims.c.attempts).where(*self._where(claim))).scalar_one())

    def finish(self, claim: Claim, status: str, error: str | None = None) -> None:
        """Close a claim: ``done``, ``failed`` (with the reason) or ``free`` (not drafted)."""
        with self.store.engine.begin() as conn:
            conn.execute(self._mine(claim).values(status=status, error=error, updated_at=utcnow()))

    def renew(self) -> int:
        """Extend the lease of every claim this driver holds; how many."""
        now = utcnow()
        with self.store.engine.begin() as conn:
            result = conn.execute(
                sa.update(claims)
                .where(claims.c.owner == self.owner, claims.c.status == "claimed")
                .values(lease_until=now + self.lease, updated_at=now)
            )
        return int(result.rowcount)

    def release_all(self) -> None:
        """Free every claim still held (an interrupted driver): the next driver takes them at once."""
        with self.store.engine.begin() as conn:
            conn.execute(
                sa.update(claims)
                .where(claims.c.owner == self.owner, claims.c.status == "claimed")
                .values(status="free", updated_at=utcnow())
            )

    def _where(self, claim: Claim) -> tuple[sa.ColumnElement[bool], ...]:
        return (claims.c.sha256 == claim.sha256, claims.c.settings_key == claim.settings_key)

    def _mine(self, claim: Claim) -> sa.Update:
        # Only while this driver holds it: a claim taken over meanwhile is the new owner's.
        return sa.update(claims).where(*self._where(claim), claims.c.owner == self.owner)
