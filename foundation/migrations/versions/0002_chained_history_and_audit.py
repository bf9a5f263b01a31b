"""Hash-chained delivery history, deadline and category columns, the audit's tables.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 22:24:06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "replay_run",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("rules_id", sa.String(100), nullable=False),
        sa.Column("rules_version", sa.String(100), nullable=False),
        sa.Column("directory_id", sa.String(100), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("actor", sa.String(100), nullable=True),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("backfilled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reminder",
        sa.Column("delivery_id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target_agency", sa.String(100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.ForeignKeyConstraint(["delivery_id"], ["delivery.id"]),
        sa.PrimaryKeyConstraint("delivery_id", "kind"),
    )
    with op.batch_alter_table("reminder") as batch_op:
        batch_op.create_index(batch_op.f("ix_reminder_sent_at"), ["sent_at"], unique=False)
    # Server defaults so that rows written before this revision get valid values.
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(
            sa.Column("categories", sa.String(500), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("escalate_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("backfill_of", sa.String(36), nullable=True))
        batch_op.add_column(
            sa.Column("event_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("last_hash", sa.String(64), nullable=True))
    with op.batch_alter_table("delivery_event") as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("prev_hash", sa.String(64), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("hash", sa.String(64), nullable=False, server_default=""))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("delivery_event") as batch_op:
        for column in ("hash", "prev_hash", "seq"):
            batch_op.drop_column(column)
    with op.batch_alter_table("delivery") as batch_op:
        for column in ("last_hash", "event_count", "backfill_of", "confirmed_at", "escalate_at",
                       "due_at", "categories"):
            batch_op.drop_column(column)
    with op.batch_alter_table("reminder") as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_sent_at"))
    op.drop_table("reminder")
    op.drop_table("replay_run")
