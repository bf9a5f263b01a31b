"""edXML packets to an agency's own system (a URL), not only to the hub.

`hub_message.target`: where an outbound packet goes: NULL for the deployment's hub, else the
http(s) URL of the system that receives edXML (a status packet for a sender whose channel is
`edxml URL`, a recall request for such a recipient). `next_attempt_at`: when a packet that a
URL did not take is tried again (NULL: at the next pass).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("hub_message") as batch_op:
        batch_op.add_column(sa.Column("target", sa.String(500), nullable=True))
        batch_op.add_column(
            sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    """Undo this revision."""
    with op.batch_alter_table("hub_message") as batch_op:
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("target")
