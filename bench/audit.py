"""Benchmark of the audit reports on PostgreSQL, over documents stored as the router stores them.

Run: .venv/bin/python -m bench.audit [--deliveries 1000000 [5000000 ...]]
Default: one million deliveries (a couple of minutes here); `--deliveries 1000000 5000000`
measures a province's year too (the larger fill extends the smaller one, so both sizes take
about five minutes more). Documents carry their whole text and expansion and deliveries their
reasons (bench/routed.py), dated over a year, so a report that loads whole rows pays for it as
it would in production. Each report is timed best of five beside a baseline of the same run,
`SELECT count(*)` over the deliveries, and beside the same report as it was before migration
0013 (the scorecard counted from every delivery; one agency's report with the index on
agency_id alone, put back inside a transaction rolled back after). The fill runs with the
scorecard's triggers off and sums the totals once after, as the migration does on an existing
database (timed). Goal (issue 16): each report under 1 s at 5M. `--keep` leaves the database
for EXPLAIN ANALYZE (its URL is printed; drop it after); `--measure URL` times the reports on
such a database again without filling it (after a change of the queries, say).
The last line reads `audit: <n> deliveries, missed <a> ms, one agency <b> ms, scorecard <c> ms`.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from sqlalchemy import text

from audit import reports
from audit.reports import MissedQuery
from bench.routed import NOW, create_database, documents_for, drop_database, fill, templates
from foundation.database import create_engine, session_factory
from foundation.migrate import migrate
from foundation.scorecard_days import COUNTS

# The totals summed once from every delivery, as migration 0013 sums an existing database.
SUM_TOTALS = f"""
DELETE FROM scorecard_change;
DELETE FROM scorecard_day;
INSERT INTO scorecard_day (agency_id, due_day, agency_name, {', '.join(COUNTS)})
SELECT agency_id, day, max(agency_name), count(*),
       count(*) FILTER (WHERE state = 'delivered'),
       count(*) FILTER (WHERE confirmed_at <= due_at),
       count(*) FILTER (WHERE confirmed_at > due_at),
       count(*) FILTER (WHERE receipt = '02'),
       count(*) FILTER (WHERE state = 'failed'),
       count(*) FILTER (WHERE state = 'pending' OR (state = 'delivered'
                        AND confirmed_at IS NULL AND (receipt IS NULL OR receipt <> '02')))
FROM (SELECT *, coalesce((due_at AT TIME ZONE 'UTC')::date, DATE '9999-12-31') AS day
      FROM delivery) d
GROUP BY agency_id, day;
ANALYZE scorecard_day;
"""


async def _best(work: Callable[[], Awaitable[Any]], repeat: int = 5) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await work()
        best = min(best, time.perf_counter() - start)
    return best * 1000, result


async def _sizes(url: str) -> dict[str, float]:
    """Bytes per delivery and per document on disk (heap, TOAST and indexes)."""
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow(
            "SELECT pg_total_relation_size('delivery')::float8 / greatest(count(*), 1),"
            " (SELECT pg_total_relation_size('document')::float8 / greatest(count(*), 1)"
            "  FROM document) FROM delivery")
    finally:
        await connection.close()
    return {"delivery_bytes": row[0], "document_bytes": row[1]}


async def _busiest_agency(url: str) -> str:
    """The agency with the most deliveries: its report is the slowest one."""
    connection = await asyncpg.connect(url)
    try:
        return str(await connection.fetchval(
            "SELECT agency_id FROM delivery GROUP BY agency_id ORDER BY count(*) DESC LIMIT 1"))
    finally:
        await connection.close()


async def measure(url: str) -> dict[str, Any]:
    """Time the three reports and the baseline on the database as it is."""
    engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    agency = await _busiest_agency(url)
    try:
        async with session_factory(engine)() as session:
            base, total = await _best(lambda: session.exec(  # type: ignore[call-overload]
                text("SELECT count(*) FROM delivery")))
            count = int(total.scalar_one())
            missed_ms, rows = await _best(lambda: reports.missed(session, MissedQuery(now=NOW)))
            one_ms, mine = await _best(lambda: reports.missed(
                session, MissedQuery(now=NOW, agency=agency)))
            card_ms, cards = await _best(lambda: reports.scorecard(session, NOW))
        before = await _before(engine, agency)
        assert before.pop("cards") == cards, "the totals disagree with the deliveries"
    finally:
        await engine.dispose()
    return {**await _sizes(url), "deliveries": count, "baseline": base, "missed": missed_ms,
            "missed_rows": len(rows),
            "one": one_ms, "one_rows": len(mine), "agency": agency, "scorecard": card_ms,
            "agencies": len(cards), **before}


async def _before(engine: Any, agency: str) -> dict[str, Any]:
    """The scorecard from every delivery, and one agency's report with the index it had
    before migration 0013 (inside a transaction rolled back after)."""
    async with session_factory(engine)() as session:
        card_ms, cards = await _best(lambda: reports.scorecard_from_deliveries(session, NOW))
        connection = await session.connection()
        await connection.execute(text("DROP INDEX ix_delivery_agency_due"))
        await connection.execute(text("CREATE INDEX ix_delivery_agency_id ON delivery (agency_id)"))
        one_ms, _ = await _best(lambda: reports.missed(
            session, MissedQuery(now=NOW, agency=agency)))
        await session.rollback()
    return {"one_before": one_ms, "scorecard_before": card_ms, "cards": cards}


async def _fill(url: str, done: int, upto: int, total: int, count: int) -> float:
    """Fill with the scorecard's triggers off, then sum the totals; seconds the sum took."""
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("ALTER TABLE delivery DISABLE TRIGGER USER")
        await fill(url, done, upto, total, count)
        await connection.execute("ALTER TABLE delivery ENABLE TRIGGER USER")
        start = time.perf_counter()
        await connection.execute(SUM_TOTALS)
        return time.perf_counter() - start
    finally:
        await connection.close()


def _print(f: dict[str, Any]) -> None:
    base = f["baseline"]
    print(f"-- {f['deliveries']:,} deliveries")
    print(f"baseline: SELECT count(*) over delivery       {base:8.1f} ms")
    print(f"missed report, all findings, {f['missed_rows']} rows      {f['missed']:8.1f} ms "
          f"({f['missed'] / base:.1f}x baseline; goal < 1000 ms)")
    print(f"one agency ({f['agency']}), {f['one_rows']} rows  {f['one']:8.1f} ms "
          f"({f['one'] / base:.1f}x baseline; index on agency_id alone {f['one_before']:.1f} ms)")
    print(f"scorecard of {f['agencies']} agencies               {f['scorecard']:8.1f} ms "
          f"({f['scorecard'] / base:.1f}x baseline; from every delivery "
          f"{f['scorecard_before']:.1f} ms)")
    print(f"on disk: {f['delivery_bytes']:,.0f} bytes per delivery, "
          f"{f['document_bytes']:,.0f} bytes per document (with indexes and TOAST)")


async def main(sizes: list[int], keep: bool = False) -> None:
    """Fill a scratch database size by size, time the reports at each, drop it."""
    found = templates()
    per_document = [len(t.recipients) for t in found]
    total = documents_for(max(sizes), per_document)
    print(f"{len(found)} routed templates, {sum(per_document) / len(found):.0f} recipients "
          f"each on average; {total:,} documents dated over the year before {NOW:%Y-%m-%d}")
    url = await create_database()
    figures: list[dict[str, Any]] = []
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
        await migrate(engine)
        await engine.dispose()
        done = 0
        for size in sorted(sizes):
            upto = documents_for(size, per_document)
            start = time.perf_counter()
            summed = await _fill(url, done, upto, total, len(found))
            done = upto
            print(f"filled to {upto:,} documents in {time.perf_counter() - start:.0f} s "
                  f"(the scorecard's totals summed in {summed:.1f} s of it)")
            figures.append(await measure(url))
            _print(figures[-1])
    finally:
        if keep:
            print(f"kept {url}")
        else:
            await drop_database(url)
    for f in figures:
        print(f"audit: {f['deliveries']} deliveries, missed {f['missed']:.0f} ms, "
              f"one agency {f['one']:.0f} ms, scorecard {f['scorecard']:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--keep", action="store_true", help="keep the database (EXPLAIN)")
    parser.add_argument("--measure", metavar="URL", help="measure a kept database only")
    arguments = parser.parse_args()
    if arguments.measure:
        figures = asyncio.run(measure(arguments.measure))
        _print(figures)
        print(f"audit: {figures['deliveries']} deliveries, missed {figures['missed']:.0f} ms, "
              f"one agency {figures['one']:.0f} ms, scorecard {figures['scorecard']:.0f} ms")
    else:
        asyncio.run(main(arguments.deliveries, arguments.keep))
