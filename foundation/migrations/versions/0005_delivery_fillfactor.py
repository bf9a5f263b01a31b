"""Leave room in the delivery table's pages so that state changes are HOT updates.

A delivery row is written once when planned and updated soon after, when it is sent (state,
then its history anchor). With full pages each update writes a new entry into every index of
the table; with free room in the page PostgreSQL updates in place (a heap-only tuple), since
none of the changed columns is indexed. SQLite has no such setting.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE delivery SET (fillfactor = 70)")


def downgrade() -> None:
    """Undo this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TABLE delivery RESET (fillfactor)")
