"""outbox.claimed_until: a relay's claim on the rows it is publishing, on PostgreSQL.

A relay pass took a transaction around its publishes (BEGIN, SELECT ... FOR UPDATE SKIP
LOCKED, the publishes, UPDATE, COMMIT: four round trips, and a poll before it); a claim that
outlives its statement makes it two (claim, mark sent), each committing on its own
(foundation/relay.py). NULL: never claimed, as every existing row.

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("outbox", sa.Column("claimed_until", sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("claimed_until")
