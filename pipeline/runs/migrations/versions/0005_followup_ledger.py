"""Follow-up ledger: one row per distributor company, and the dated steps after the meeting.

Revision ID: 0005
Revises: 0004

``followup_distributors``: the distributor company (its name as the rep writes it, and a
key that compares names across case, spacing and Chinese script), the rep who met it.
``followup_steps``: one row per step taken (meeting, memo sent, proposal sent, gift sent,
factory visit, contract signed, declined) with its date, courier and tracking number (the
memo goes by courier), and a note. Self-contained: it only adds these two tables.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "followup_distributors",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("rep", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_followup_distributors_rep", "followup_distributors", ["rep"])
    op.create_table(
        "followup_steps",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "distributor_id",
            sa.Integer,
            sa.ForeignKey("followup_distributors.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("step", sa.String(16), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("courier", sa.Text),
        sa.Column("tracking", sa.Text),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("distributor_id", "step", name="uq_followup_steps_step"),
    )


def downgrade() -> None:
    op.drop_table("followup_steps")
    op.drop_index("ix_followup_distributors_rep", "followup_distributors")
    op.drop_table("followup_distributors")
