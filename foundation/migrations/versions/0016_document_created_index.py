"""An index on document (created_at, id) for a replay's chunks.

A replay (audit/replays.py) reads the routed documents in submission order, 200 after the
last one read. Without an index each chunk scanned and sorted every document, parsing each
stored expansion on the way: 12 s a chunk at 107k documents (a province's year), so a replay
of N documents cost N²; with it a chunk walks the index and stops (bench/replay.py).

Revision ID: 0016
Revises: 0015
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_document_created_id", "document", ["created_at", "id"])


def downgrade() -> None:
    """Undo this revision."""
    op.drop_index("ix_document_created_id", table_name="document")
