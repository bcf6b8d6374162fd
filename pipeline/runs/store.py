"""The run store: every batch and watch run recorded in a database (SQLite or PostgreSQL).

Tables (see ``migrations/versions/`` for the schema as created):

- ``recordings``: one row per distinct recording content (sha256), with the last path seen.
- ``runs``: one row per attempt to draft a recording: the settings actually used (and
  their key), model, rules version, package versions, timings, status and error.
- ``transcripts`` and ``segments``: the transcript of a finished run, whole (JSON) and one
  row per segment (text, times, speaker, label), so the audit view can filter, search
  and correct segment by segment.
- ``notes``: the notes JSON of a finished run; ``memos``: the memo path and the roll-up
  figures (bullets per section, open questions, parting question, low-confidence share).

The schema is created and upgraded by Alembic when a store is opened, by one process at a
time (several may open a new store at once).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import logging
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from filelock import FileLock, Timeout

from ..config import masked_url, without_password
from ..errors import StoreError
from ..types import MemoContent, Transcript

logger = logging.getLogger(__name__)

LOW_CONFIDENCE = 0.5
"""A word whose probability is below this counts as low-confidence."""

PACKAGES = ("meeting-memo", "faster-whisper", "ctranslate2", "spacy", "docxtpl", "opencc", "sqlalchemy")

metadata = sa.MetaData()

recordings = sa.Table(
    "recordings",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("size", sa.BigInteger),
    sa.Column("duration_s", sa.Float),
    sa.Column("rep", sa.Text),
    sa.Column("distributor", sa.Text),
    sa.Column("language", sa.String(8)),
    sa.Column("meeting_date", sa.String(10)),
    sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
    sa.Column("command", sa.String(16), nullable=False),
    sa.Column("source_path", sa.Text, nullable=False),
    sa.Column("settings_key", sa.String(16), nullable=False),
    sa.Column("settings", sa.JSON, nullable=False),
    sa.Column("model", sa.Text),
    sa.Column("rules_version", sa.String(32)),
    sa.Column("versions", sa.JSON),
    sa.Column("memo_path", sa.Text),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("error", sa.Text),
    sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("finished_at", sa.DateTime(timezone=True)),
    sa.Column("seconds", sa.Float),
    sa.Index("ix_runs_lookup", "recording_id", "settings_key", "status"),
)

transcripts = sa.Table(
    "transcripts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False, unique=True),
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("script", sa.String(8)),
    sa.Column("duration_s", sa.Float),
    sa.Column("path", sa.Text),
    sa.Column("data", sa.JSON, nullable=False),
)

segments = sa.Table(
    "segments",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("transcript_id", sa.Integer, sa.ForeignKey("transcripts.id"), nullable=False),
    sa.Column("seg_id", sa.Integer, nullable=False),
    sa.Column("start", sa.Float, nullable=False),
    sa.Column("end", sa.Float, nullable=False),
    sa.Column("speaker", sa.Text),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("clean_text", sa.Text),
    sa.Column("category", sa.String(16)),
    sa.Column("avg_logprob", sa.Float),
    sa.Column("words", sa.Integer),
    sa.Column("low_conf_words", sa.Integer),
    sa.Index("ix_segments_transcript", "transcript_id", "seg_id"),
)

notes_table = sa.Table(
    "notes",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False, unique=True),
    sa.Column("rules_version", sa.String(32)),
    sa.Column("path", sa.Text),
    sa.Column("data", sa.JSON, nullable=False),
)

memos = sa.Table(
    "memos",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False, unique=True),
    sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("meeting_date", sa.String(10)),
    sa.Column("rep", sa.Text),
    sa.Column("distributor", sa.Text),
    sa.Column("language", sa.String(8)),
    sa.Column("duration_s", sa.Float),
    sa.Column("bullets", sa.JSON, nullable=False),
    sa.Column("open_questions", sa.Integer, nullable=False),
    sa.Column("parting_question", sa.Text),
    sa.Column("low_conf_share", sa.Float),
)


@dataclass(frozen=True)
class Recording:
    """What the store needs to know of a recording before it is drafted.

    Attributes:
        sha256: the recording's content hash, which the store knows it by.
        path: where the recording is (the last path seen); ``size``: its bytes, when known.
        transcript: a transcript JSON drafted in the recording's place (``memo draft T.json``).
            The recording itself was not seen then, so a row already stored keeps its path
            and size.
    """

    sha256: str
    path: Path
    size: int | None
    rep: str = ""
    distributor: str = ""
    meeting_date: str = ""
    transcript: Path | None = None

    @property
    def source(self) -> Path:
        """The input drafted: the transcript when there is one, else the recording."""
        return self.transcript or self.path


@dataclass(frozen=True)
class RunRecord:
    """One row of ``runs``, as the batch and watcher read it back."""

    id: int
    sha256: str
    source_path: str
    settings_key: str
    memo_path: str | None
    status: str
    error: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None


@dataclass(frozen=True)
class MeetingRow:
    """One line of the weekly roll-up."""

    date: str
    rep: str
    distributor: str
    language: str
    duration_s: float
    bullets: dict[str, int]
    open_questions: int
    parting_question: str
    low_conf_share: float | None
    status: str
    source: str
    memo: str
    error: str = ""


def settings_key(settings: dict[str, Any]) -> str:
    """A short stable hash of run settings: equal settings, equal key."""
    text = json.dumps(settings, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@lru_cache(maxsize=1)
def package_versions() -> dict[str, str]:
    """Versions of the packages that shape a memo, recorded with every run."""
    found = {}
    for name in PACKAGES:
        try:
            found[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def low_confidence_share(transcript: Transcript) -> float | None:
    """Share of words the model gave a probability under ``LOW_CONFIDENCE``; ``None`` without words."""
    probs = [w.probability for s in transcript.segments for w in s.words if w.probability is not None]
    if not probs:
        return None
    return sum(p < LOW_CONFIDENCE for p in probs) / len(probs)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    # SQLite hands datetimes back naive; they were written in UTC.
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.timezone.utc)
    return value


MIGRATION_LOCK = 0x6D656D6F
"""PostgreSQL advisory lock key (``memo`` in ASCII) held while the schema is migrated."""

LOCK_WAIT_S = 120.0
"""How long a process waits for another one's migration before giving up."""


def _newest_revision() -> str:
    """The newest migration's revision: its file name starts with it ("0005_…")."""
    names = sorted(p.name for p in (Path(__file__).parent / "migrations" / "versions").glob("0*.py"))
    return names[-1].split("_", 1)[0]


def _at_head(engine: sa.Engine) -> bool:
    """Whether the schema is already at the newest revision, read without Alembic (importing
    it is 0.2 s of the 1 s ``memo draft`` may take to start; a store is almost always current)."""
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    except sa.exc.DBAPIError:
        return False  # a new store: no table yet
    return [r[0] for r in rows] == [_newest_revision()]


def _migrate(engine: sa.Engine, lock_file: Path | None) -> None:
    """Bring the schema to the newest revision, one process at a time.

    Two ``memo batch`` started together on a new store would each create the tables (SQLite's
    driver runs DDL outside any transaction), and one would fail with "table … already
    exists". So the whole migration runs under an exclusive lock: on a file beside an SQLite
    database (``flock``, released by the system even when the process is killed), or
    PostgreSQL's advisory lock, held until the transaction ends. For SQLite the lock is taken
    before the first connection: that connection turns a new file to WAL, which needs the
    file to itself, and two processes doing so at once can be refused at once ("database is
    locked": SQLite does not wait where waiting could deadlock). Alembic reads the schema's
    version again inside the lock, so a process that waited finds it at head and does nothing.
    """
    guard = FileLock(lock_file, timeout=LOCK_WAIT_S) if lock_file else contextlib.nullcontext()
    with guard:
        if not _at_head(engine):
            _upgrade(engine)


def _upgrade(engine: sa.Engine) -> None:
    """Run Alembic's upgrade to head (under PostgreSQL's advisory lock there)."""
    from alembic import command
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    known = {script.revision for script in ScriptDirectory.from_config(cfg).walk_revisions()}
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Bounded like the file lock: a waiter gives up rather than hang on a stuck migration.
            conn.execute(sa.text(f"SET LOCAL lock_timeout = '{int(LOCK_WAIT_S)}s'"))
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(MIGRATION_LOCK)))
        for revision in MigrationContext.configure(conn).get_current_heads():
            if revision not in known:  # Alembic would fail with "Can't locate revision"
                raise StoreError(
                    f"its schema revision {revision} is from a newer meeting-memo; "
                    "upgrade meeting-memo, or give another --db"
                )
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")


def _sqlite_file(url: str) -> Path | None:
    """The database file of an SQLite URL; ``None`` for other databases and in-memory ones."""
    if not url.startswith("sqlite:"):
        return None
    database = sa.engine.make_url(url).database
    return Path(database) if database and database != ":memory:" else None


class Store:
    """A run store at a SQLAlchemy URL, migrated to the current schema when opened.

    Raises:
        StoreError: the database cannot be reached, created or migrated.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        try:
            db_file = _sqlite_file(url)
            if db_file is not None:
                db_file.parent.mkdir(parents=True, exist_ok=True)
            if url.startswith("sqlite:"):
                self.engine = sa.create_engine(url, connect_args={"timeout": 60})
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            else:
                self.engine = sa.create_engine(url, pool_pre_ping=True)
            # The lock file stays beside the database (as SQLite's -wal and -shm files do).
            _migrate(self.engine, db_file.with_name(f"{db_file.name}.lock") if db_file else None)
        except ModuleNotFoundError as e:
            raise StoreError(
                f"the database driver {e.name!r} is missing; for PostgreSQL install meeting-memo[postgres]"
            ) from e
        except StoreError as e:
            raise StoreError(f"cannot open the run store {masked_url(url)}: {e}") from e
        except Timeout as e:
            raise StoreError(
                f"cannot open the run store {masked_url(url)}: another process has been creating or "
                f"upgrading it for {LOCK_WAIT_S:.0f} s ({e.lock_file}); try again when it has finished"
            ) from e
        except (sa.exc.SQLAlchemyError, OSError, ValueError) as e:  # ValueError: a URL's bad port
            # The driver's message may repeat the URL, password included.
            why = without_password(f"{e.__class__.__name__}: {e}", url)
            raise StoreError(f"cannot open the run store {masked_url(url)}: {why}") from e

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()

    # -- recordings and runs -------------------------------------------------------------

    def _recording_id(self, conn: sa.Connection, rec: Recording) -> int:
        """The id of ``rec``'s row, added when new, its path and size brought up to date.

        Two batches over the same recordings may both find one missing and both add it: the
        second insert is skipped (``ON CONFLICT DO NOTHING``), and the row the other process
        added is read back instead of failing on the unique sha256.
        """
        query = sa.select(recordings.c.id).where(recordings.c.sha256 == rec.sha256)
        values = {"path": str(rec.path), "size": rec.size}
        found = conn.execute(query).scalar()
        if found is None:
            new = {"sha256": rec.sha256, "rep": rec.rep, "distributor": rec.distributor,
                   "meeting_date": rec.meeting_date or None, "first_seen": utcnow(), **values}  # fmt: skip
            inserted = insert_unless_present(conn, recordings, "sha256", **new)
            found = conn.execute(query).scalar_one()
            if inserted:
                return int(found)
        if rec.transcript is not None:
            return int(found)
        conn.execute(sa.update(recordings).where(recordings.c.id == found).values(**values))
        return int(found)

    def latest_run(self, sha256: str, key: str, status: str | None = None) -> RunRecord | None:
        """The latest run of a recording with these settings (and this status, when given)."""
        query = (
            sa.select(runs, recordings.c.sha256)
            .join(recordings, runs.c.recording_id == recordings.c.id)
            .where(recordings.c.sha256 == sha256, runs.c.settings_key == key)
            .order_by(runs.c.id.desc())
            .limit(1)
        )
        if status is not None:
            query = query.where(runs.c.status == status)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return _run_record(row) if row is not None else None

    def runs_of(self, sha256: str) -> list[RunRecord]:
        """Every run of a recording, oldest first."""
        query = (
            sa.select(runs, recordings.c.sha256)
            .join(recordings, runs.c.recording_id == recordings.c.id)
            .where(recordings.c.sha256 == sha256)
            .order_by(runs.c.id)
        )
        with self.engine.connect() as conn:
            return [_run_record(row) for row in conn.execute(query)]

    def start_run(
        self,
        rec: Recording,
        *,
        command: str,
        settings: dict[str, Any],
        memo_path: Path,
        model: str = "",
        rules_version: str = "",
    ) -> int:
        """Record that drafting ``rec`` has begun; returns the run id.

        A run of the same recording and settings that never finished (killed, interrupted)
        is taken over rather than left beside a new one: a recording has one run per attempt
        that ended, and at most one unfinished.
        """
        key = settings_key(settings)
        values = {
            "command": command,
            "source_path": str(rec.source),
            "settings": settings,
            "model": model,
            "rules_version": rules_version,
            "versions": package_versions(),
            "memo_path": str(memo_path),
            "status": "running",
            "error": None,
            "started_at": utcnow(),
            "finished_at": None,
        }
        with self.engine.begin() as conn:
            rid = self._recording_id(conn, rec)
            stale = conn.execute(
                sa.select(runs.c.id)
                .where(
                    runs.c.recording_id == rid,
                    runs.c.settings_key == key,
                    runs.c.status.in_(("running", "interrupted")),
                )
                .order_by(runs.c.id.desc())
                .limit(1)
            ).first()
            if stale is not None:
                conn.execute(sa.update(runs).where(runs.c.id == stale.id).values(**values))
                return int(stale.id)
            result = conn.execute(sa.insert(runs).values(recording_id=rid, settings_key=key, **values))
            return int(result.inserted_primary_key[0])  # type: ignore[index]

    def fail_run(self, run_id: int, error: str, seconds: float, status: str = "failed") -> None:
        """Record that a run failed (or was ``interrupted``), with its one-line reason.

        A run another process has meanwhile recorded as done stays done.
        """
        with self.engine.begin() as conn:
            conn.execute(
                sa.update(runs)
                .where(runs.c.id == run_id, runs.c.status != "done")
                .values(status=status, error=error, finished_at=utcnow(), seconds=seconds)
            )

    def finish_run(
        self,
        run_id: int,
        transcript: Transcript,
        notes: dict[str, Any],
        paths: dict[str, Path],
        seconds: float,
        details: dict[str, str],
    ) -> None:
        """Record a finished run: its transcript, segments, notes and memo, in one transaction.

        Two processes drafting the same recording at once share its unfinished run (see
        ``start_run``); the first to finish records it, and the second leaves that record as
        it is (its outputs are the same).
        """
        memo = MemoContent.from_dict(notes.get("memo") or {})
        labels = {int(s["id"]): s for s in notes.get("segments") or ()}
        with self.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Row locks in start_run's order, the recording's then the run's: taken the other
                # way round, a start and a finish of one recording deadlock.
                rec = sa.select(runs.c.recording_id).where(runs.c.id == run_id).scalar_subquery()
                conn.execute(sa.select(recordings.c.id).where(recordings.c.id == rec).with_for_update())
            # SQLite: claiming the run is the first write: it waits for the other writer, then sees
            # its commit.
            claimed = conn.execute(
                sa.update(runs)
                .where(runs.c.id == run_id, runs.c.status != "done")
                .values(status="done", error=None, finished_at=utcnow(), seconds=seconds)
            )
            if claimed.rowcount == 0:
                logger.info("run %s was already recorded as done by another process", run_id)
                return
            run = conn.execute(sa.select(runs.c.recording_id).where(runs.c.id == run_id)).one()
            rec_id = int(run.recording_id)
            conn.execute(
                sa.update(recordings)
                .where(recordings.c.id == rec_id)
                .values(
                    duration_s=transcript.duration_s,
                    language=transcript.language,
                    rep=details.get("rep", ""),
                    distributor=details.get("distributor", ""),
                    meeting_date=details.get("date") or None,
                )
            )
            tid = conn.execute(
                sa.insert(transcripts).values(
                    run_id=run_id,
                    recording_id=rec_id,
                    language=transcript.language,
                    script=transcript.script,
                    duration_s=transcript.duration_s,
                    path=str(paths.get("transcript", "")),
                    data=transcript.to_dict(),
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            rows = [
                {
                    "transcript_id": tid,
                    "seg_id": s.id,
                    "start": s.start,
                    "end": s.end,
                    "speaker": s.speaker,
                    "text": s.text,
                    "clean_text": labels.get(s.id, {}).get("clean_text"),
                    "category": labels.get(s.id, {}).get("category"),
                    "avg_logprob": s.avg_logprob,
                    "words": len(s.words),
                    "low_conf_words": sum(
                        1 for w in s.words if w.probability is not None and w.probability < LOW_CONFIDENCE
                    ),
                }
                for s in transcript.segments
            ]
            if rows:
                conn.execute(sa.insert(segments), rows)
            conn.execute(
                sa.insert(notes_table).values(
                    run_id=run_id,
                    rules_version=notes.get("rules_version"),
                    path=str(paths.get("notes", "")),
                    data=notes,
                )
            )
            conn.execute(
                sa.insert(memos).values(
                    run_id=run_id,
                    recording_id=rec_id,
                    path=str(paths["memo"]),
                    meeting_date=details.get("date") or None,
                    rep=details.get("rep", ""),
                    distributor=details.get("distributor", ""),
                    language=transcript.language,
                    duration_s=transcript.duration_s,
                    bullets=memo.section_counts(),
                    open_questions=memo.open_questions,
                    parting_question=memo.parting_question.text if memo.parting_question else None,
                    low_conf_share=low_confidence_share(transcript),
                )
            )

    # -- reading back ----------------------------------------------------------------------

    def meeting_row(self, run_id: int) -> MeetingRow | None:
        """The roll-up line of a finished run."""
        query = (
            sa.select(memos, runs.c.status, runs.c.source_path)
            .join(runs, memos.c.run_id == runs.c.id)
            .where(memos.c.run_id == run_id)
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        if row is None:
            return None
        return MeetingRow(
            date=row.meeting_date or "",
            rep=row.rep or "",
            distributor=row.distributor or "",
            language=row.language or "",
            duration_s=float(row.duration_s or 0.0),
            bullets=dict(row.bullets),
            open_questions=int(row.open_questions),
            parting_question=row.parting_question or "",
            low_conf_share=row.low_conf_share,
            status=row.status,
            source=row.source_path,
            memo=row.path,
        )

    def count(self, table: sa.Table) -> int:
        """Number of rows in one of the store's tables (for tests and summaries)."""
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def insert_unless_present(
    conn: sa.Connection, table: sa.Table, key: str | tuple[str, ...], **values: Any
) -> bool:
    """Insert a row unless one with the same unique ``key`` (a column, or columns) is there
    (perhaps just added by another process); whether it was inserted. SQLite and PostgreSQL
    both have ``ON CONFLICT DO NOTHING``."""
    insert: Any
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:  # another database: the insert in a savepoint, its conflict ignored
        try:
            with conn.begin_nested():
                conn.execute(sa.insert(table).values(**values))
        except sa.exc.IntegrityError:
            return False
        return True
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=[key] if isinstance(key, str) else list(key))
    )
    # Whether a row came back, not ``rowcount``: psycopg may report -1 for a skipped insert.
    return conn.execute(statement.returning(*table.primary_key.columns)).first() is not None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets a reader (the audit page) work while a batch writes.
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _run_record(row: Any) -> RunRecord:
    return RunRecord(
        id=int(row.id),
        sha256=row.sha256,
        source_path=row.source_path,
        settings_key=row.settings_key,
        memo_path=row.memo_path,
        status=row.status,
        error=row.error,
        started_at=as_utc(row.started_at),  # type: ignore[arg-type]
        finished_at=as_utc(row.finished_at),
    )
