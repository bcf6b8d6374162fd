"""The audit page's tables and queries, over the run store's tables.

Accounts, the review log and review states (migration 0002), and signed-in sessions
(0003) live here, the search table in ``search``; everything else only reads the run
tables of ``pipeline.runs.store``, except ``update_segment`` (a supervisor's correction of
one segment of the current transcript).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from ..errors import AuditError, StoreError
from ..runs.recorded import RunSettings
from ..runs.store import (
    Store,
    as_utc,
    memos,
    metadata,
    notes_table,
    recordings,
    runs,
    segments,
    transcripts,
    utcnow,
)
from . import search as search_table

audit_users = sa.Table(
    "audit_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("rep", sa.Text, nullable=False),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id")),
    sa.Column("seg_id", sa.Integer),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("before", sa.Text),
    sa.Column("after", sa.Text),
    sa.Column("comment", sa.Text),
    sa.Index("ix_audit_log_recording", "recording_id", "id"),
)

audit_reviews = sa.Table(
    "audit_reviews",
    metadata,
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("comment", sa.Text),
)

audit_sessions = sa.Table(
    "audit_sessions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    # The SHA-256 of the cookie's token: a copy of the database does not sign anyone in.
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_id", sa.Integer, sa.ForeignKey("audit_users.id", ondelete="CASCADE"), nullable=False),
    sa.Column("csrf", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_audit_sessions_user", "user_id"),
)

REVIEW_STATES = ("unreviewed", "reviewed", "approved")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def has_control_characters(text: str) -> bool:
    """True when ``text`` holds a control character (NUL, a line break…): never in a search."""
    return _CONTROL.search(text) is not None


@dataclass(frozen=True)
class AuditUser:
    """An account of the audit page: a ``supervisor`` sees every meeting, a ``rep`` their own."""

    id: int
    name: str
    role: str
    rep: str
    password_hash: str
    disabled: bool = False


@dataclass(frozen=True)
class AuditMeeting:
    """A recording with its current (latest finished) run, as the audit page shows it."""

    recording_id: int
    run_id: int
    transcript_id: int
    sha256: str
    audio_path: str
    rep: str
    distributor: str
    language: str
    script: str | None
    date: str
    duration_s: float
    memo_path: str
    bullets: dict[str, int]
    parting_question: str
    low_conf_share: float | None
    removed: int
    review: str
    review_by: str
    review_comment: str
    settings: RunSettings


@dataclass(frozen=True)
class AuditSession:
    """A signed-in browser, found by the hash of its cookie's token."""

    id: int
    user: AuditUser
    csrf: str
    created_at: dt.datetime
    last_seen: dt.datetime
    expires_at: dt.datetime


def _audit_user(row: Any) -> AuditUser:
    return AuditUser(int(row.id), row.name, row.role, row.rep, row.password_hash, bool(row.disabled))


def _audit_meeting(row: Any) -> AuditMeeting:
    data = row.data or {}
    return AuditMeeting(
        recording_id=int(row.recording_id),
        run_id=int(row.run_id),
        transcript_id=int(row.transcript_id),
        sha256=row.sha256,
        audio_path=row.audio_path,
        rep=row.rep or "",
        distributor=row.distributor or "",
        language=row.language or "",
        script=row.script,
        date=row.meeting_date or "",
        duration_s=float(row.duration_s or 0.0),
        memo_path=row.memo_path,
        bullets=dict(row.bullets or {}),
        parting_question=row.parting_question or "",
        low_conf_share=row.low_conf_share,
        removed=len(data.get("removed") or ()),
        review=row.review or "unreviewed",
        review_by=row.review_by or "",
        review_comment=row.review_comment or "",
        settings=RunSettings.from_dict(row.settings),
    )


class AuditStore:
    """The audit page's reads and writes, over an open ``Store``."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine

    # -- accounts ------------------------------------------------------------------------

    def add_user(self, name: str, role: str, rep: str, password_hash: str) -> AuditUser:
        """Create an account; raises ``StoreError`` when the name is taken."""
        with self.engine.begin() as conn:
            if conn.execute(sa.select(audit_users.c.id).where(audit_users.c.name == name)).first():
                raise StoreError(f"user {name!r} exists already; pick another name")
            conn.execute(
                sa.insert(audit_users).values(
                    name=name, role=role, rep=rep, password_hash=password_hash, created_at=utcnow()
                )
            )
        user = self.user(name)
        assert user is not None
        return user

    def user(self, name: str) -> AuditUser | None:
        """The account called ``name``."""
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(audit_users).where(audit_users.c.name == name)).first()
        return _audit_user(row) if row is not None else None

    def users(self) -> list[AuditUser]:
        """Every account, by name."""
        with self.engine.connect() as conn:
            return [_audit_user(r) for r in conn.execute(sa.select(audit_users).order_by(audit_users.c.name))]

    def _known(self, conn: sa.Connection, name: str) -> int:
        found = conn.execute(sa.select(audit_users.c.id).where(audit_users.c.name == name)).first()
        if found is None:
            raise AuditError(f"there is no user {name!r}; `memo audit user list` shows them")
        return int(found.id)

    def set_password_hash(self, name: str, password_hash: str, *, keep_session: int | None = None) -> None:
        """Give ``name`` a new password hash and end their sessions (but ``keep_session``).

        Raises:
            AuditError: no such user.
        """
        with self.engine.begin() as conn:
            uid = self._known(conn, name)
            conn.execute(
                sa.update(audit_users).where(audit_users.c.id == uid).values(password_hash=password_hash)
            )
            self._end_sessions(conn, uid, keep_session)

    def set_disabled(self, name: str, disabled: bool) -> None:
        """Disable (ending every session at once) or enable an account.

        Raises:
            AuditError: no such user.
        """
        with self.engine.begin() as conn:
            uid = self._known(conn, name)
            conn.execute(sa.update(audit_users).where(audit_users.c.id == uid).values(disabled=disabled))
            if disabled:
                self._end_sessions(conn, uid)

    def remove_user(self, name: str) -> None:
        """Delete an account and its sessions; the review log keeps the name.

        Raises:
            AuditError: no such user.
        """
        with self.engine.begin() as conn:
            uid = self._known(conn, name)
            self._end_sessions(conn, uid)
            conn.execute(sa.delete(audit_users).where(audit_users.c.id == uid))

    # -- sessions --------------------------------------------------------------------------

    def start_session(
        self, user: AuditUser, token_hash: str, csrf: str, now: dt.datetime, expires_at: dt.datetime
    ) -> None:
        """Record a signed-in session of ``user``."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.insert(audit_sessions).values(
                    token_hash=token_hash,
                    user_id=user.id,
                    csrf=csrf,
                    created_at=now,
                    last_seen=now,
                    expires_at=expires_at,
                )
            )

    def session(self, token_hash: str) -> AuditSession | None:
        """The session whose token has this hash, with its account (``None``: no such session)."""
        q = (
            sa.select(
                audit_sessions.c.id.label("session_id"),
                audit_sessions.c.csrf,
                audit_sessions.c.created_at,
                audit_sessions.c.last_seen,
                audit_sessions.c.expires_at,
                audit_users,
            )
            .join(audit_users, audit_users.c.id == audit_sessions.c.user_id)
            .where(audit_sessions.c.token_hash == token_hash)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            return None
        return AuditSession(
            id=int(row.session_id),
            user=_audit_user(row),
            csrf=row.csrf,
            created_at=as_utc(row.created_at),  # type: ignore[arg-type]
            last_seen=as_utc(row.last_seen),  # type: ignore[arg-type]
            expires_at=as_utc(row.expires_at),  # type: ignore[arg-type]
        )

    def touch_session(self, session_id: int, now: dt.datetime) -> None:
        """Note that the session was used at ``now``."""
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(audit_sessions).where(audit_sessions.c.id == session_id).values(last_seen=now)
            )

    def end_session(self, token_hash: str) -> None:
        """Sign one session out."""
        with self.engine.begin() as conn:
            conn.execute(sa.delete(audit_sessions).where(audit_sessions.c.token_hash == token_hash))

    def _end_sessions(self, conn: sa.Connection, user_id: int, keep: int | None = None) -> None:
        where = audit_sessions.c.user_id == user_id
        if keep is not None:
            where = where & (audit_sessions.c.id != keep)
        conn.execute(sa.delete(audit_sessions).where(where))

    def purge_sessions(self, now: dt.datetime, idle_since: dt.datetime) -> int:
        """Delete sessions past their expiry or unused since ``idle_since``; returns how many."""
        stale = (audit_sessions.c.expires_at <= now) | (audit_sessions.c.last_seen <= idle_since)
        with self.engine.begin() as conn:
            return int(conn.execute(sa.delete(audit_sessions).where(stale)).rowcount)

    # -- meetings ------------------------------------------------------------------------

    def _current_runs(self) -> Any:
        return (
            sa.select(sa.func.max(runs.c.id).label("run_id"))
            .join(transcripts, transcripts.c.run_id == runs.c.id)
            .where(runs.c.status == "done")
            .group_by(runs.c.recording_id)
            .subquery()
        )

    def _meetings_query(self) -> Any:
        current = self._current_runs()
        return (
            sa.select(
                recordings.c.id.label("recording_id"),
                recordings.c.sha256,
                recordings.c.path.label("audio_path"),
                runs.c.id.label("run_id"),
                runs.c.settings,
                transcripts.c.id.label("transcript_id"),
                transcripts.c.script,
                transcripts.c.data,
                memos.c.path.label("memo_path"),
                memos.c.rep,
                memos.c.distributor,
                memos.c.language,
                memos.c.meeting_date,
                memos.c.duration_s,
                memos.c.bullets,
                memos.c.parting_question,
                memos.c.low_conf_share,
                audit_reviews.c.status.label("review"),
                audit_reviews.c.user.label("review_by"),
                audit_reviews.c.comment.label("review_comment"),
            )
            .join(current, current.c.run_id == runs.c.id)
            .join(recordings, recordings.c.id == runs.c.recording_id)
            .join(transcripts, transcripts.c.run_id == runs.c.id)
            .join(memos, memos.c.run_id == runs.c.id)
            .outerjoin(audit_reviews, audit_reviews.c.recording_id == recordings.c.id)
        )

    def meetings(
        self,
        *,
        rep: str | None = None,
        language: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        review: str | None = None,
        search: str | None = None,
    ) -> list[AuditMeeting]:
        """Meetings with a finished run, newest first, narrowed by the filters given.

        Raises:
            AuditError: the search holds a control character (SQLite reads a NUL as the end of
                a LIKE pattern, so a lone NUL would match everything, and FTS5 refuses it).
        """
        if search and has_control_characters(search):
            raise AuditError("a search cannot contain control characters (such as NUL)")
        q = self._meetings_query()
        if rep is not None:
            q = q.where(memos.c.rep == rep)
        if language:
            q = q.where(memos.c.language == language)
        if date_from:
            q = q.where(memos.c.meeting_date >= date_from)
        if date_to:
            q = q.where(memos.c.meeting_date <= date_to)
        if review == "unreviewed":
            q = q.where(audit_reviews.c.status.is_(None) | (audit_reviews.c.status == "unreviewed"))
        elif review:
            q = q.where(audit_reviews.c.status == review)
        if search:
            search_table.refresh(self.engine)
            matching = search_table.matching_transcripts(self.engine.dialect.name, search)
            q = q.where(transcripts.c.id.in_(matching))
        q = q.order_by(memos.c.meeting_date.desc(), recordings.c.id.desc())
        with self.engine.connect() as conn:
            return [_audit_meeting(row) for row in conn.execute(q)]

    def meeting(self, recording_id: int) -> AuditMeeting | None:
        """One meeting by its recording id (``None`` when it has no finished run)."""
        q = self._meetings_query().where(recordings.c.id == recording_id)
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return _audit_meeting(row) if row is not None else None

    def reps(self) -> list[str]:
        """Every rep name that has a memo, for the filter."""
        q = sa.select(memos.c.rep).where(memos.c.rep.is_not(None), memos.c.rep != "").distinct()
        with self.engine.connect() as conn:
            return sorted(r.rep for r in conn.execute(q))

    def transcript_data(self, transcript_id: int) -> dict[str, Any]:
        """A transcript as it was written (JSON)."""
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(transcripts.c.data).where(transcripts.c.id == transcript_id)
            ).scalar_one()
        return dict(data)

    def notes_data(self, run_id: int) -> dict[str, Any]:
        """The notes of a run (JSON)."""
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(notes_table.c.data).where(notes_table.c.run_id == run_id)
            ).scalar_one()
        return dict(data)

    def segment_rows(self, transcript_id: int) -> list[Any]:
        """The segment rows of a transcript (with any corrections), in order."""
        with self.engine.connect() as conn:
            return list(
                conn.execute(
                    sa.select(segments)
                    .where(segments.c.transcript_id == transcript_id)
                    .order_by(segments.c.seg_id)
                )
            )

    # -- review --------------------------------------------------------------------------

    def update_segment(
        self,
        meeting: AuditMeeting,
        seg_id: int,
        user: str,
        *,
        text: str | None = None,
        category: str | None = None,
    ) -> bool:
        """Correct one segment's text and/or category; each change is logged. True if anything changed."""
        where = (segments.c.transcript_id == meeting.transcript_id) & (segments.c.seg_id == seg_id)
        changed = False
        with self.engine.begin() as conn:
            row = conn.execute(sa.select(segments).where(where)).first()
            if row is None:
                raise StoreError(f"segment {seg_id} is not in this meeting's transcript")
            for field, new in (("text", text), ("category", category)):
                old = getattr(row, field)
                if new is None or new == (old or ""):
                    continue
                conn.execute(sa.update(segments).where(where).values({field: new}))
                if field == "text":
                    search_table.refold(conn, int(row.id), new)
                self._log(conn, meeting, user, field, old, new, seg_id=seg_id)
                changed = True
        return changed

    def set_review(self, meeting: AuditMeeting, status: str, user: str, comment: str) -> None:
        """Mark a meeting ``reviewed``, ``approved`` or ``unreviewed``; logged with the comment."""
        if status not in REVIEW_STATES:
            raise StoreError(
                f"review status {status!r} is not known; expected one of: {', '.join(REVIEW_STATES)}"
            )
        with self.engine.begin() as conn:
            conn.execute(sa.delete(audit_reviews).where(audit_reviews.c.recording_id == meeting.recording_id))
            conn.execute(
                sa.insert(audit_reviews).values(
                    recording_id=meeting.recording_id, status=status, user=user, at=utcnow(), comment=comment
                )
            )
            self._log(conn, meeting, user, "review", meeting.review, status, comment=comment)

    def log_redraft(self, meeting: AuditMeeting, new_run_id: int, user: str) -> None:
        """Record that ``user`` re-drafted the memo (run ``meeting.run_id`` -> ``new_run_id``)."""
        with self.engine.begin() as conn:
            self._log(conn, meeting, user, "redraft", f"run {meeting.run_id}", f"run {new_run_id}")

    def category_overrides(self, recording_id: int) -> dict[int, str]:
        """The supervisors' category for each corrected segment (latest correction wins)."""
        q = (
            sa.select(audit_log.c.seg_id, audit_log.c.after)
            .where(audit_log.c.recording_id == recording_id, audit_log.c.action == "category")
            .order_by(audit_log.c.id)
        )
        with self.engine.connect() as conn:
            return {int(r.seg_id): r.after for r in conn.execute(q)}

    def history(self, recording_id: int) -> list[dict[str, Any]]:
        """Every logged change of a meeting, newest first."""
        q = (
            sa.select(audit_log)
            .where(audit_log.c.recording_id == recording_id)
            .order_by(audit_log.c.id.desc())
        )
        with self.engine.connect() as conn:
            return [{**r._mapping, "at": as_utc(r.at)} for r in conn.execute(q)]

    def _log(
        self,
        conn: sa.Connection,
        meeting: AuditMeeting,
        user: str,
        action: str,
        before: str | None,
        after: str | None,
        *,
        seg_id: int | None = None,
        comment: str = "",
    ) -> None:
        conn.execute(
            sa.insert(audit_log).values(
                recording_id=meeting.recording_id,
                run_id=meeting.run_id,
                seg_id=seg_id,
                user=user,
                at=utcnow(),
                action=action,
                before=before,
                after=after,
                comment=comment or None,
            )
        )
