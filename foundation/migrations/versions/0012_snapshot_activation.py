"""Which stored snapshot the router uses: an admin's activations, kept (issue 13).

Revision ID: 0012
Revises: 0011
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "snapshot_activation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column(
            "snapshot_id", sa.String(length=64), sa.ForeignKey("data_snapshot.id"), nullable=False
        ),
        sa.Column("activated_by", sa.String(length=200), nullable=False),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("activated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_snapshot_activation_kind", "snapshot_activation", ["kind"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_snapshot_activation_kind", table_name="snapshot_activation")
    op.drop_table("snapshot_activation")
