"""Audit page: signed-in sessions kept in the store, and accounts that can be disabled.

Revision ID: 0003
Revises: 0002

A session is a row (the hash of the browser's random token, the account, its CSRF
token, created, last seen, expiry), so signing out, a password change, disabling or
removing an account ends it at once, and it outlives a restart of the server only while
the row exists.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("audit_users", sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "audit_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column(
            "user_id", sa.Integer, sa.ForeignKey("audit_users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_seen", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
    )
    op.create_index("ix_audit_sessions_user", "audit_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_table("audit_sessions")
    with op.batch_alter_table("audit_users") as batch:
        batch.drop_column("disabled")
