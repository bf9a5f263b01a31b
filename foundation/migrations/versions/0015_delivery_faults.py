"""How often a delivery's channel raised an unexpected error (issue 11): the reason is kept in
`delivery.failure`, and once the count reaches the delivery limit the delivery fails.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(sa.Column("faults", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("faults")
