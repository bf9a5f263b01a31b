"""What the recovery sweep and operators need, and tokens that expire.

`document.routing_error` / `routing_attempts`: why the router could not route a document and
how often it tried (a document that failed as often as the delivery limit allows is left to
an operator, `docroute documents reroute ID`, instead of being swept again); `redriven_at`:
when the sweep last queued it again. `delivery.redrives`: how often the sweep queued a
planned-but-unsettled delivery again (its next send says it may be a re-send).
`api_token.expires_at`: a token is refused after it.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("document") as batch_op:
        batch_op.add_column(sa.Column("routing_error", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("routing_attempts", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(sa.Column("redriven_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(
            sa.Column("redrives", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("api_token") as batch_op:
        batch_op.drop_column("expires_at")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("redrives")
    with op.batch_alter_table("document") as batch_op:
        batch_op.drop_column("redriven_at")
        batch_op.drop_column("routing_attempts")
        batch_op.drop_column("routing_error")
