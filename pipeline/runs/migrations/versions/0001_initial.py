"""Initial run store: recordings, runs, transcripts, segments, notes, memos.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recordings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("size", sa.BigInteger),
        sa.Column("duration_s", sa.Float),
        sa.Column("rep", sa.Text),
        sa.Column("distributor", sa.Text),
        sa.Column("language", sa.String(8)),
        sa.Column("meeting_date", sa.String(10)),
        sa.Column("first_seen", UTC, nullable=False),
    )
    op.create_table(
        "runs",
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
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("finished_at", UTC),
        sa.Column("seconds", sa.Float),
    )
    op.create_index("ix_runs_lookup", "runs", ["recording_id", "settings_key", "status"])
    op.create_table(
        "transcripts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False, unique=True),
        sa.Column("recording_id", sa.Integer, sa.ForeignKey("recordings.id"), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("script", sa.String(8)),
        sa.Column("duration_s", sa.Float),
        sa.Column("path", sa.Text),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "segments",
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
    )
    op.create_index("ix_segments_transcript", "segments", ["transcript_id", "seg_id"])
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id"), nullable=False, unique=True),
        sa.Column("rules_version", sa.String(32)),
        sa.Column("path", sa.Text),
        sa.Column("data", sa.JSON, nullable=False),
    )
    op.create_table(
        "memos",
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


def downgrade() -> None:
    for table in ("memos", "notes", "segments", "transcripts", "runs", "recordings"):
        op.drop_table(table)
