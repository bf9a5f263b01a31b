"""Indexes for the audit's reports, and one history position per delivery.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("delivery") as batch_op:
        # The missed report filters and orders by deadline; reminders look for due rows.
        batch_op.create_index("ix_delivery_due_at", ["due_at"], unique=False)
        batch_op.create_index("ix_delivery_escalate_at", ["escalate_at"], unique=False)
    with op.batch_alter_table("delivery_event") as batch_op:
        # Two appends can never take the same position in a delivery's chain.
        batch_op.create_unique_constraint("uq_delivery_event_seq", ["delivery_id", "seq"])


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("delivery_event") as batch_op:
        batch_op.drop_constraint("uq_delivery_event_seq", type_="unique")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_escalate_at")
        batch_op.drop_index("ix_delivery_due_at")
