"""Cluster batches: one claim per recording and settings, so several drivers share a week.

Revision ID: 0004
Revises: 0003

``memo batch --ray`` drives actors on many machines, perhaps from several drivers at once.
The store is the queue's truth: a driver drafts a recording only after it has claimed it
(a conditional update that one writer wins), keeps its claims alive with a lease, and
counts attempts, so an actor that dies takes its recording back to the queue once and a
second failure is final. A claim whose owner died (its lease ran out, or its process is
gone on this machine) is taken over by the next driver.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("settings_key", sa.String(16), nullable=False),
        sa.Column("owner", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("lease_until", UTC, nullable=False),
        sa.Column("run_id", sa.Integer, sa.ForeignKey("runs.id")),
        sa.Column("error", sa.Text),
        sa.Column("updated_at", UTC, nullable=False),
        sa.UniqueConstraint("sha256", "settings_key", name="uq_claims_recording"),
    )
    op.create_index("ix_claims_owner", "claims", ["owner", "status"])


def downgrade() -> None:
    op.drop_index("ix_claims_owner", table_name="claims")
    op.drop_table("claims")
