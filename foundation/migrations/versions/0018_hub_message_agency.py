"""hub_message.agency_id: the agency whose own system an outbound packet is POSTed to.

A packet to a URL is signed with that agency's channel secrets (its own, and the previous one
while a rotation overlaps), read when it is sent, as its webhook deliveries are. NULL for
packets to the hub, and for URL packets queued before this revision: those are signed with
the deployment's secret, as they were when queued.

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    # A nullable column: added in place on PostgreSQL and SQLite, no table rewrite.
    op.add_column("hub_message", sa.Column("agency_id", sa.String(100), nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("hub_message") as batch:
        batch.drop_column("agency_id")
