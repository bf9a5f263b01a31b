"""The scorecard's running totals per agency and due day, kept by triggers; the one-agency
report's index.

`scorecard_day` holds, per agency and due day, the deliveries and how they stand (received,
confirmed on time or late, rejected, failed, awaiting delivery or confirmation);
`scorecard_change` the signed changes not folded into it yet. Triggers on `delivery` append
a change whenever a delivery is planned, deleted, or changes a column the scorecard counts,
in the writer's own transaction (on PostgreSQL one change per agency and day of a whole
statement, through its transition tables; on SQLite per row), so the two tables always sum
to what the deliveries say. Existing deliveries are summed in once here. The trigger SQL is
frozen in this file (a later change of what is counted is a later migration).

`ix_delivery_agency_due` (agency_id, due_at) replaces the index on agency_id alone: one
agency's missed report walks its deliveries newest deadline first and stops at the page's
end, instead of sorting all of them (bench/audit.py, EXPLAIN ANALYZE at 5M deliveries).

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = ("deliveries", "received", "confirmed_on_time", "confirmed_late", "rejected",
          "failed", "awaiting")
COUNTED = ("agency_id", "agency_name", "state", "receipt", "due_at", "confirmed_at")


def _day(row: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"coalesce(({row}.due_at AT TIME ZONE 'UTC')::date, DATE '9999-12-31')"
    return f"coalesce(substr({row}.due_at, 1, 10), '9999-12-31')"


def _counts(row: str) -> list[str]:
    """What one delivery adds to each count (0 or 1), in the order of COUNTS."""
    return [
        "1",
        f"CASE WHEN {row}.state = 'delivered' THEN 1 ELSE 0 END",
        f"CASE WHEN {row}.confirmed_at <= {row}.due_at THEN 1 ELSE 0 END",
        f"CASE WHEN {row}.confirmed_at > {row}.due_at THEN 1 ELSE 0 END",
        f"CASE WHEN {row}.receipt = '02' THEN 1 ELSE 0 END",
        f"CASE WHEN {row}.state = 'failed' THEN 1 ELSE 0 END",
        f"CASE WHEN {row}.state = 'pending' OR ({row}.state = 'delivered'"
        f" AND {row}.confirmed_at IS NULL AND ({row}.receipt IS NULL OR {row}.receipt <> '02'))"
        " THEN 1 ELSE 0 END",
    ]


def _append(row: str, sign: str, dialect: str) -> str:
    """The INSERT of one delivery's contribution, added (sign 1) or taken back (-1)."""
    values = ", ".join(f"{sign} * ({c})" for c in _counts(row))
    return (f"INSERT INTO scorecard_change (agency_id, due_day, agency_name, {', '.join(COUNTS)})"
            f" VALUES ({row}.agency_id, {_day(row, dialect)}, {row}.agency_name, {values})")


def _changed(same: str, old: str = "OLD", new: str = "NEW") -> str:
    return " OR ".join(f"{old}.{c} {same} {new}.{c}" for c in COUNTED)


def _contributions(rows: str, sign: str, join: str = "") -> str:
    """Each row's contribution, signed, as (agency_id, due_day, agency_name, counts)."""
    counts = ", ".join(f"{sign} * ({c}) AS {name}" for c, name in zip(_counts("r"), COUNTS,
                                                                        strict=True))
    return (f"SELECT r.agency_id, {_day('r', 'postgresql')} AS due_day, r.agency_name,"
            f" {counts} FROM {rows} r {join}")


def _postgres_insert(parts: list[str]) -> str:
    """One change per agency and day of a statement's rows: per statement, not per row, so
    a plan of 50 deliveries (one COPY) or a settled batch (one UPDATE) costs one insert."""
    sums = ", ".join(f"sum({c})" for c in COUNTS)
    nonzero = " OR ".join(f"sum({c}) <> 0" for c in COUNTS)
    return (f"INSERT INTO scorecard_change (agency_id, due_day, agency_name, {', '.join(COUNTS)})"
            f" SELECT agency_id, due_day, max(agency_name), {sums}"
            f" FROM ({' UNION ALL '.join(parts)}) c GROUP BY agency_id, due_day"
            f" HAVING {nonzero}")


def _postgres_triggers() -> list[str]:
    moved = f"JOIN {{other}} o ON o.id = r.id WHERE {_changed('IS DISTINCT FROM', 'o', 'r')}"
    updated = _postgres_insert([
        _contributions("old_rows", "-1", moved.format(other="new_rows")),
        _contributions("new_rows", "1", moved.format(other="old_rows")),
    ])
    return [
        f"""CREATE FUNCTION delivery_scorecard_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN {_postgres_insert([_contributions('new_rows', '1')])};
  ELSIF TG_OP = 'DELETE' THEN {_postgres_insert([_contributions('old_rows', '-1')])};
  ELSE {updated};
  END IF;
  RETURN NULL;
END $$""",
        "CREATE TRIGGER delivery_scorecard_planned AFTER INSERT ON delivery"
        " REFERENCING NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION delivery_scorecard_change()",
        "CREATE TRIGGER delivery_scorecard_deleted AFTER DELETE ON delivery"
        " REFERENCING OLD TABLE AS old_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION delivery_scorecard_change()",
        # Transition tables allow no column list: every UPDATE fires it, and only the rows
        # whose counted columns changed add anything.
        "CREATE TRIGGER delivery_scorecard_changed AFTER UPDATE ON delivery"
        " REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
        " FOR EACH STATEMENT EXECUTE FUNCTION delivery_scorecard_change()",
    ]


def _sqlite_triggers() -> list[str]:
    return [
        "CREATE TRIGGER delivery_scorecard_planned AFTER INSERT ON delivery"
        f" BEGIN {_append('NEW', '1', 'sqlite')}; END",
        "CREATE TRIGGER delivery_scorecard_deleted AFTER DELETE ON delivery"
        f" BEGIN {_append('OLD', '-1', 'sqlite')}; END",
        f"CREATE TRIGGER delivery_scorecard_changed AFTER UPDATE OF {', '.join(COUNTED)}"
        f" ON delivery WHEN {_changed('IS NOT')}"
        f" BEGIN {_append('OLD', '-1', 'sqlite')}; {_append('NEW', '1', 'sqlite')}; END",
    ]


def _sum_existing(dialect: str) -> str:
    sums = ", ".join(f"sum({c})" for c in _counts("d"))
    return (f"INSERT INTO scorecard_day (agency_id, due_day, agency_name, {', '.join(COUNTS)})"
            f" SELECT d.agency_id, {_day('d', dialect)}, max(d.agency_name), {sums}"
            f" FROM delivery d GROUP BY d.agency_id, {_day('d', dialect)}")


def _count_columns() -> list[sa.Column[int]]:
    return [sa.Column(c, sa.Integer(), nullable=False) for c in COUNTS]


def upgrade() -> None:
    """Apply this revision."""
    dialect = op.get_bind().dialect.name
    op.create_table(
        "scorecard_day",
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("due_day", sa.Date(), nullable=False),
        sa.Column("agency_name", sa.String(length=300), nullable=False),
        *_count_columns(),
        sa.PrimaryKeyConstraint("agency_id", "due_day"),
    )
    op.create_table(
        "scorecard_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.String(length=100), nullable=False),
        sa.Column("due_day", sa.Date(), nullable=False),
        sa.Column("agency_name", sa.String(length=300), nullable=False),
        *_count_columns(),
        sa.PrimaryKeyConstraint("id"),
    )
    for statement in _postgres_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(statement)
    op.execute(_sum_existing(dialect))
    op.create_index("ix_delivery_agency_due", "delivery", ["agency_id", "due_at"])
    op.drop_index("ix_delivery_agency_id", table_name="delivery")


def downgrade() -> None:
    """Undo this revision."""
    op.create_index("ix_delivery_agency_id", "delivery", ["agency_id"])
    op.drop_index("ix_delivery_agency_due", table_name="delivery")
    if op.get_bind().dialect.name == "postgresql":
        for name in ("planned", "deleted", "changed"):
            op.execute(f"DROP TRIGGER delivery_scorecard_{name} ON delivery")
        op.execute("DROP FUNCTION delivery_scorecard_change()")
    else:
        for name in ("planned", "deleted", "changed"):
            op.execute(f"DROP TRIGGER delivery_scorecard_{name}")
    op.drop_table("scorecard_change")
    op.drop_table("scorecard_day")
