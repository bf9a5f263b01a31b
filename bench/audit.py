"""Benchmark of the audit reports on PostgreSQL: the missed report over 100,000 deliveries.

Run: .venv/bin/python -m bench.audit [--deliveries 100000]
It creates a scratch database, fills it with COPY, and prints the best of five timings of each
report beside a baseline measured in the same run: a plain `SELECT count(*)` over the same
table. Goal (issue 4): the missed report answers in under a second.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from sqlalchemy import text

from audit import reports
from audit.reports import Finding, MissedQuery
from foundation.database import create_engine, session_factory
from foundation.migrate import migrate

ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
NOW = dt.datetime(2026, 3, 10, 9, 0, tzinfo=dt.UTC)
AGENCIES = [f"kh.agency-{i:03d}" for i in range(300)]


def _rows(count: int, documents: list[str]) -> list[tuple[Any, ...]]:
    rng = random.Random(7)
    # Distinct agencies per document: (document, agency) is unique.
    pairs = [(d, a) for d in documents for a in rng.sample(AGENCIES, 100)][:count]
    out = []
    for document, agency in pairs:
        due = NOW + dt.timedelta(hours=rng.randint(-2000, 48))
        state = rng.choices(["delivered", "pending", "failed"], [90, 7, 3])[0]
        confirmed = None
        receipt = None
        if state == "delivered" and rng.random() < 0.8:
            receipt = rng.choice(["01", "03", "03", "05", "02"])
            if receipt != "02":
                confirmed = due + dt.timedelta(hours=rng.randint(-30, 6))
        out.append((str(uuid.uuid4()), document, agency, "Agency",
                    state, receipt, "[]", NOW, NOW, due, due + dt.timedelta(hours=8), confirmed,
                    ",so_ban_nganh,", 0))
    return out


async def _fill(url: str, count: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        documents = [str(uuid.uuid4()) for _ in range(-(-count // 100))]
        await connection.copy_records_to_table(
            "document", columns=["id", "text", "sender", "date", "created_at"],
            records=[(d, "Nơi nhận: ...", "kh.ubnd-tinh", dt.date(2026, 3, 1), NOW)
                     for d in documents],
        )
        await connection.copy_records_to_table(
            "delivery",
            columns=["id", "document_id", "agency_id", "agency_name", "state", "receipt",
                     "reasons", "created_at", "updated_at", "due_at", "escalate_at",
                     "confirmed_at", "categories", "event_count"],
            records=_rows(count, documents),
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _best(work: Callable[[], Awaitable[Any]], repeat: int = 5) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = await work()
        best = min(best, time.perf_counter() - start)
    return best * 1000, result


async def main(count: int) -> None:
    """Fill a scratch database, time the reports, drop it."""
    name = f"docroute_bench_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(ADMIN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    engine = create_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
    try:
        await migrate(engine)
        start = time.perf_counter()
        await _fill(url, count)
        print(f"filled {count:,} deliveries in {time.perf_counter() - start:.1f} s")
        sessions = session_factory(engine)
        async with sessions() as session:
            base, total = await _best(
                lambda: session.exec(text("SELECT count(*) FROM delivery"))  # type: ignore[call-overload]
            )
            ms, rows = await _best(lambda: reports.missed(session, MissedQuery(now=NOW)))
            one_ms, _ = await _best(lambda: reports.missed(
                session, MissedQuery(now=NOW, agency=AGENCIES[5],
                                     findings=frozenset({Finding.UNCONFIRMED}))))
            card_ms, cards = await _best(lambda: reports.scorecard(session, NOW))
        print(f"baseline: SELECT count(*) over delivery      {base:8.1f} ms")
        print(f"missed report, all findings, first 1000 rows {ms:8.1f} ms "
              f"({ms / base:.1f}x baseline; goal < 1000 ms)")
        print(f"missed report, one agency, unconfirmed       {one_ms:8.1f} ms")
        print(f"scorecard of {len(cards)} agencies (full scan)      {card_ms:8.1f} ms")
        del rows, total
    finally:
        await engine.dispose()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deliveries", type=int, default=100_000)
    asyncio.run(main(parser.parse_args().deliveries))
