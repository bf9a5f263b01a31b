"""Drop two indexes that the unique constraints already provide.

`delivery (document_id, agency_id)` and `delivery_event (delivery_id, seq)` are unique, and a
unique constraint is an index whose leading column answers lookups by `document_id` or
`delivery_id` alone. The single-column copies only cost a write per row (every delivery
planned and every history row appended), which bench/pipeline.py counts.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_index("ix_delivery_document_id")
    with op.batch_alter_table("delivery_event") as batch_op:
        batch_op.drop_index("ix_delivery_event_delivery_id")


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("delivery_event") as batch_op:
        batch_op.create_index("ix_delivery_event_delivery_id", ["delivery_id"], unique=False)
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.create_index("ix_delivery_document_id", ["document_id"], unique=False)
