"""Database helpers on both stacks: bulk inserts of plain rows (COPY on PostgreSQL); on
PostgreSQL, the check of a pooled connection at checkout."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import pytest
from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from foundation import database
from foundation.database import (
    SessionFactory,
    create_engine,
    insert_rows,
    session_factory,
    single_statement_sessions,
    transaction,
)
from foundation.migrate import migrate
from foundation.models import OutboxMessage
from foundation.models.clock import utcnow
from tests.conftest import PG_ADMIN


def _rows(count: int) -> list[dict[str, object]]:
    return [
        {"message_id": str(uuid.uuid4()), "queue": "deliveries",
         "payload": {"delivery_ids": [f"d-{n}"], "note": "Sở Tư pháp"}, "created_at": utcnow()}
        for n in range(count)
    ]


async def _stored(sessions: SessionFactory, ids: list[str]) -> list[OutboxMessage]:
    async with sessions() as session:
        query = select(OutboxMessage).where(col(OutboxMessage.message_id).in_(ids))
        return list((await session.exec(query)).all())


async def test_inserted_rows_read_back_with_their_json(sessions: SessionFactory) -> None:
    """Rows inserted in bulk are stored with every column, JSON and Vietnamese text intact."""
    rows = _rows(3)
    async with transaction(sessions) as session:
        await insert_rows(session, OutboxMessage, rows)
    stored = {m.message_id: m for m in await _stored(sessions, [r["message_id"] for r in rows])}
    assert {k: stored[k].payload for k in stored} == {r["message_id"]: r["payload"] for r in rows}
    assert {m.queue for m in stored.values()} == {"deliveries"}


async def test_inserted_rows_roll_back_with_their_transaction(sessions: SessionFactory) -> None:
    """Rows inserted as the first statement of a transaction that then fails are gone:
    the insert is part of the caller's transaction, never committed on its own."""
    rows = _rows(2)
    try:
        async with transaction(sessions) as session:
            await insert_rows(session, OutboxMessage, rows)
            raise RuntimeError("the caller fails after the insert")
    except RuntimeError:
        pass
    assert await _stored(sessions, [str(r["message_id"]) for r in rows]) == []


# Checking out a pooled PostgreSQL connection (foundation.database._check_on_checkout).


@pytest.fixture
async def pg_engine(pg_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh PostgreSQL database, disposed afterwards."""
    engine = create_engine(pg_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pings sent at checkout (asyncpg `fetchrow(";")` calls), as they happen."""
    sent: list[str] = []
    original = asyncpg.Connection.fetchrow

    async def fetchrow(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        if query == ";":
            sent.append(query)
        return await original(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "fetchrow", fetchrow)
    return sent


async def _backend_pid(engine: AsyncEngine) -> int:
    return (await _backend(engine))[0]


async def _backend(engine: AsyncEngine) -> tuple[int, Any]:
    """The server process id of a pooled connection, and its asyncpg connection."""
    async with engine.connect() as connection:
        pid = int((await connection.execute(text("SELECT pg_backend_pid()"))).scalar_one())
        return pid, (await connection.get_raw_connection()).driver_connection


async def _terminate(pid: int) -> None:
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await connection.close()


async def test_a_connection_used_just_now_is_checked_out_without_a_ping(
    pg_engine: AsyncEngine, pings: list[str],
) -> None:
    """Neither a fresh connection nor one returned a moment ago costs a round trip."""
    first = await _backend_pid(pg_engine)
    second = await _backend_pid(pg_engine)
    assert (second, pings) == (first, [])


async def test_a_connection_idle_for_a_while_is_pinged_once(
    pg_engine: AsyncEngine, pings: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A connection idle past PING_AFTER_IDLE_SECONDS is pinged with one `;`, and kept."""
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.05)
    first = await _backend_pid(pg_engine)
    await asyncio.sleep(0.1)
    assert (await _backend_pid(pg_engine), pings) == (first, [";"])


async def test_a_connection_the_server_closed_is_replaced_at_checkout(
    pg_engine: AsyncEngine, pings: list[str],
) -> None:
    """A backend terminated while its connection sat in the pool (a server restart does
    that to all of them): the next checkout gets a new connection, not an error."""
    first, driver = await _backend(pg_engine)
    await _terminate(first)
    for _ in range(100):  # until the event loop has seen the close
        await asyncio.sleep(0.01)
        if driver.is_closed():
            break
    assert await _backend_pid(pg_engine) != first
    assert pings == []


async def test_a_dead_connection_that_looks_open_fails_its_ping_and_is_replaced(
    pg_engine: AsyncEngine, pings: list[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server gone without a word (its close never seen here): the ping of an idle
    connection fails, and the checkout gets a new connection instead of an error."""
    first = await _backend_pid(pg_engine)
    monkeypatch.setattr(asyncpg.Connection, "is_closed", lambda self: False)
    monkeypatch.setattr(database, "PING_AFTER_IDLE_SECONDS", 0.05)
    await _terminate(first)
    await asyncio.sleep(0.1)
    assert await _backend_pid(pg_engine) != first
    assert pings == [";"]  # the failed ping; none for the fresh connection


@pytest.fixture
def simple_queries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The simple-protocol queries asyncpg sends (BEGIN, COMMIT, ROLLBACK among them)."""
    sent: list[str] = []
    original = asyncpg.Connection.execute

    async def execute(self: asyncpg.Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        sent.append(query.split()[0].rstrip(";").upper())
        return await original(self, query, *args, **kwargs)

    monkeypatch.setattr(asyncpg.Connection, "execute", execute)
    return sent


async def test_a_single_statement_session_sends_no_begin_and_leaves_the_pool_transactional(
    pg_engine: AsyncEngine, simple_queries: list[str],
) -> None:
    """A lookup through single_statement_sessions is one statement, no BEGIN or ROLLBACK;
    the same pooled connection then serves ordinary sessions in a transaction again (a
    failed one leaves nothing behind)."""
    await migrate(pg_engine)  # a no-op on the test's database, copied from a migrated one
    simple_queries.clear()
    lookups, sessions = single_statement_sessions(pg_engine), session_factory(pg_engine)
    async with lookups() as session:
        assert (await session.exec(select(OutboxMessage.id).limit(1))).first() is None
    assert simple_queries == []
    rows = _rows(1)
    with pytest.raises(RuntimeError):
        async with transaction(sessions) as session:
            await session.exec(insert(OutboxMessage), params=rows)
            raise RuntimeError("rolled back")
    assert simple_queries[0] == "BEGIN" and "ROLLBACK" in simple_queries
    assert await _stored(sessions, [str(rows[0]["message_id"])]) == []
