"""Folding the scorecard's pending changes into its per-agency, per-day totals.

Triggers on `delivery` (migration 0013) append each change of what a delivery counts for to
`scorecard_change`; `fold` moves them into `scorecard_day` in one transaction, so the sum of
the two tables never changes by folding and stays exactly what the deliveries say. Folding
keeps `scorecard_change` short, and the scorecard's read small: each relaying process folds every
`Settings.scorecard_fold_seconds` (`docroute.service`), and any number of processes may fold
at once.
"""

from __future__ import annotations

from sqlalchemy import text

from foundation.database import SessionFactory, on_postgres, transaction

# Any constant works; every docroute process must agree on it.
_FOLD_LOCK = 7_316_411
COUNTS = ("deliveries", "received", "confirmed_on_time", "confirmed_late", "rejected",
          "failed", "awaiting")
_SUMS = ", ".join(f"sum({c})" for c in COUNTS)
_ADD = ", ".join(f"{c} = scorecard_day.{c} + excluded.{c}" for c in COUNTS)
_INSERT = f"INSERT INTO scorecard_day (agency_id, due_day, agency_name, {', '.join(COUNTS)})"

# PostgreSQL: exactly the rows deleted are added (a change committed meanwhile stays for the
# next fold); the advisory lock keeps two folds from upserting the same days in turn.
_FOLD_POSTGRES = f"""
WITH moved AS (DELETE FROM scorecard_change RETURNING *)
{_INSERT}
SELECT agency_id, due_day, max(agency_name), {_SUMS} FROM moved GROUP BY agency_id, due_day
ON CONFLICT (agency_id, due_day) DO UPDATE
SET agency_name = greatest(scorecard_day.agency_name, excluded.agency_name), {_ADD}
"""
# SQLite: one writer at a time (BEGIN IMMEDIATE), so the changes up to the newest id read
# are all there is until this transaction ends. `WHERE true` is SQLite's way to tell an
# upsert's ON from a join's.
_FOLD_SQLITE = (
    f"{_INSERT} SELECT agency_id, due_day, max(agency_name), {_SUMS} FROM scorecard_change"
    " WHERE id <= :last AND true GROUP BY agency_id, due_day"
    " ON CONFLICT (agency_id, due_day) DO UPDATE"
    f" SET agency_name = max(scorecard_day.agency_name, excluded.agency_name), {_ADD}"
)


async def fold(sessions: SessionFactory) -> None:
    """Move every pending change into the totals, in one transaction."""
    async with transaction(sessions) as session:
        connection = await session.connection()
        if on_postgres(session):
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({_FOLD_LOCK})"))
            await connection.execute(text(_FOLD_POSTGRES))
            return
        last = (await connection.execute(text("SELECT max(id) FROM scorecard_change"))).scalar()
        if last is not None:
            await connection.execute(text(_FOLD_SQLITE), {"last": last})
            await connection.execute(
                text("DELETE FROM scorecard_change WHERE id <= :last"), {"last": last})
