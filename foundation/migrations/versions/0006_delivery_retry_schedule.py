"""Deliveries wait for a later round of attempts in the database, not in a held message.

`attempt_rounds` counts the rounds that ended in a transient fault; `retry_at` is when the
next one is due (NULL when none is). The partial index holds only the waiting deliveries.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(
            sa.Column("attempt_rounds", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("retry_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_delivery_retry_at", ["retry_at"], unique=False,
            postgresql_where=sa.text("retry_at IS NOT NULL"),
            sqlite_where=sa.text("retry_at IS NOT NULL"),
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_retry_at")
        batch_op.drop_column("retry_at")
        batch_op.drop_column("attempt_rounds")
