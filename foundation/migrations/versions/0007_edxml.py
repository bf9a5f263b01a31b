"""edXML exchange: packet fields on documents, recall state on deliveries, status reports and
the hub's outbox.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("document") as batch_op:
        batch_op.add_column(sa.Column("content_hash", sa.String(64), nullable=True))
        batch_op.add_column(sa.Column("edxml_id", sa.String(200), nullable=True))
        batch_op.add_column(sa.Column("packet", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("replaces", sa.String(36), nullable=True))
        batch_op.add_column(sa.Column("recalled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("original", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("original_name", sa.String(300), nullable=True))
        batch_op.add_column(sa.Column("original_type", sa.String(100), nullable=True))
        batch_op.create_index(batch_op.f("ix_document_edxml_id"), ["edxml_id"], unique=False)
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.add_column(sa.Column("recall", sa.String(2), nullable=True))
    op.create_table(
        "status_report",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(36), nullable=False),
        sa.Column("delivery_id", sa.String(36), nullable=True),
        sa.Column("reporter", sa.String(100), nullable=False),
        sa.Column("agency_id", sa.String(100), nullable=True),
        sa.Column("code", sa.String(2), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["document.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "reporter", "code", "reported_at",
                            name="uq_status_report"),
    )
    op.create_table(
        "hub_message",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("hub_id", sa.String(200), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("document_id", sa.String(36), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("direction", "hub_id", name="uq_hub_message_hub_id"),
    )
    with op.batch_alter_table("hub_message") as batch_op:
        batch_op.create_index(batch_op.f("ix_hub_message_state"), ["state"], unique=False)


def downgrade() -> None:
    """Undo this revision."""
    op.drop_table("hub_message")
    op.drop_table("status_report")
    with op.batch_alter_table("delivery") as batch_op:
        batch_op.drop_column("recall")
    with op.batch_alter_table("document") as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_edxml_id"))
        for column in ("original_type", "original_name", "original", "recalled_at", "replaces",
                       "packet", "edxml_id", "content_hash"):
            batch_op.drop_column(column)
