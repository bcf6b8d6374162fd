"""Transcript search that ignores the Chinese script: 乌龙茶 finds 烏龍茶 and the other way round.

Every segment's text is kept a second time in ``audit_search``, in search form: Simplified
characters (OpenCC t2s, the conversion ``pipeline.script`` makes for ``hans``); a query is put in
the same form before it is matched. Traditional has several spellings for some Simplified
characters, never the other way, so Simplified is the form both sides can agree on.

The table is filled by the audit page, not by database triggers: SQLite has no OpenCC, and
the batch and watch processes that write segments know nothing of the audit page. So
before each search, transcripts not yet in the table are folded in (``refresh``: a store
from before migration 0003, or runs recorded since), and a supervisor's correction folds its
segment again. On SQLite an FTS5 trigram index over the table (migration 0003) finds
substrings of three characters or more; shorter ones, and PostgreSQL, use (I)LIKE.
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa

from ..runs.store import metadata, segments, transcripts
from ..script import to_script

logger = logging.getLogger(__name__)

audit_search = sa.Table(
    "audit_search",
    metadata,
    sa.Column("segment_id", sa.Integer, sa.ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "transcript_id", sa.Integer, sa.ForeignKey("transcripts.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("text", sa.Text, nullable=False),
    sa.Index("ix_audit_search_transcript", "transcript_id"),
)


def search_form(text: str) -> str:
    """``text`` as it is indexed and matched: Chinese in Simplified characters, the rest unchanged."""
    return to_script(text, "hans")


def refresh(engine: sa.Engine) -> int:
    """Fold in the segments of every transcript the search table does not hold yet; returns how many.

    A transcript's segments are written in one transaction, so a transcript is in the table
    whole or not at all.
    """
    held = sa.select(audit_search.c.segment_id).where(audit_search.c.transcript_id == transcripts.c.id)
    missing = sa.select(transcripts.c.id).where(~sa.exists(held))
    todo = sa.select(segments.c.id, segments.c.transcript_id, segments.c.text).where(
        segments.c.transcript_id.in_(missing)
    )
    try:
        with engine.begin() as conn:
            rows = [
                {"segment_id": r.id, "transcript_id": r.transcript_id, "text": search_form(r.text)}
                for r in conn.execute(todo)
            ]
            if rows:
                conn.execute(sa.insert(audit_search), rows)
    except (sa.exc.IntegrityError, sa.exc.OperationalError) as e:
        # Another search folded them in at the same moment (or holds the write lock): this
        # search runs on what is there, the next one tries again.
        logger.warning("search table not refreshed this time: %s", e.__class__.__name__)
        return 0
    return len(rows)


def refold(conn: sa.Connection, segment_id: int, text: str) -> None:
    """Keep a corrected segment's search form in step (nothing when it is not folded in yet)."""
    conn.execute(
        sa.update(audit_search).where(audit_search.c.segment_id == segment_id).values(text=search_form(text))
    )


def matching_transcripts(dialect: str, text: str) -> Any:
    """A query of the ids of transcripts with a segment that contains ``text``, in any script."""
    query = search_form(text)
    if dialect == "sqlite" and len(query) >= 3:
        # A quoted FTS5 string is a phrase; a trigram index matches it as a substring.
        phrase = '"' + query.replace('"', '""') + '"'
        fts = sa.table("audit_search_fts", sa.column("rowid"))
        hits = sa.select(fts.c.rowid).where(sa.text("audit_search_fts MATCH :q").bindparams(q=phrase))
        return sa.select(audit_search.c.transcript_id).where(audit_search.c.segment_id.in_(hits))
    # Under three characters a trigram index cannot help; PostgreSQL: ILIKE (pg_trgm can index it).
    escaped = query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.select(audit_search.c.transcript_id).where(
        audit_search.c.text.ilike(f"%{escaped}%", escape="\\")
    )
