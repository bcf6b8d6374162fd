"""Audit page: sessions kept in the store, accounts that can be disabled, search across scripts.

Revision ID: 0003
Revises: 0002

A session is a row (the hash of the browser's random token, the account, its CSRF
token, created, last seen, expiry), so signing out, a password change, disabling or
removing an account ends it at once, and it outlives a restart of the server only while
the row exists.

Search: ``audit_search`` holds each segment's text in search form (Simplified, OpenCC)
with, on SQLite, an FTS5 trigram index kept in step with it by triggers. It starts empty:
the audit page folds in every transcript it does not hold before a search
(``pipeline.audit.search.refresh``), which also brings in runs recorded after this
migration. The 0002 index of the raw text (``segments_fts``) is dropped: nothing reads it,
and its triggers cost every batch a second copy of each segment.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)

_ADD = "INSERT INTO audit_search_fts(rowid, text) VALUES (new.segment_id, new.text); "
_DROP = (
    "INSERT INTO audit_search_fts(audit_search_fts, rowid, text) "
    "VALUES ('delete', old.segment_id, old.text); "
)
_SEARCH_FTS = (
    "CREATE VIRTUAL TABLE audit_search_fts USING fts5("
    "text, content='audit_search', content_rowid='segment_id', tokenize='trigram')",
    f"CREATE TRIGGER audit_search_fts_ai AFTER INSERT ON audit_search BEGIN {_ADD}END",
    f"CREATE TRIGGER audit_search_fts_ad AFTER DELETE ON audit_search BEGIN {_DROP}END",
    f"CREATE TRIGGER audit_search_fts_au AFTER UPDATE OF text ON audit_search BEGIN {_DROP}{_ADD}END",
)
# The 0002 index, as 0002 made it: restored on downgrade.
_SEGMENTS_FTS = (
    "CREATE VIRTUAL TABLE segments_fts USING fts5("
    "text, content='segments', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER segments_fts_ai AFTER INSERT ON segments BEGIN "
    "INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER segments_fts_ad AFTER DELETE ON segments BEGIN "
    "INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text); END",
    "CREATE TRIGGER segments_fts_au AFTER UPDATE OF text ON segments BEGIN "
    "INSERT INTO segments_fts(segments_fts, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO segments_fts(rowid, text) VALUES (new.id, new.text); END",
    "INSERT INTO segments_fts(segments_fts) VALUES ('rebuild')",
)


def upgrade() -> None:
    op.add_column("audit_users", sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "audit_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", sa.Integer, sa.ForeignKey("audit_users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_seen", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
    )
    op.create_index("ix_audit_sessions_user", "audit_sessions", ["user_id"])
    op.create_table(
        "audit_search",
        sa.Column(
            "segment_id", sa.Integer, sa.ForeignKey("segments.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column(
            "transcript_id", sa.Integer, sa.ForeignKey("transcripts.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("text", sa.Text, nullable=False),
    )
    op.create_index("ix_audit_search_transcript", "audit_search", ["transcript_id"])
    if op.get_bind().dialect.name == "sqlite":
        for name in ("segments_fts_ai", "segments_fts_ad", "segments_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS segments_fts")
        for statement in _SEARCH_FTS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("audit_search_fts_ai", "audit_search_fts_ad", "audit_search_fts_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS audit_search_fts")
        for statement in _SEGMENTS_FTS:
            op.execute(statement)
    op.drop_table("audit_search")
    op.drop_table("audit_sessions")
    with op.batch_alter_table("audit_users") as batch:
        batch.drop_column("disabled")
