"""A database that answers while the service has no connection to give: busy, not unreachable.

Under a burst the API's pool runs out (every connection checked out, the next checkout
waits POOL_TIMEOUT seconds and gives up) or a new connection is slow to open. The API must
then answer 503 `database_busy` with Retry-After, store nothing, and succeed once
connections are free again; a database that really does not answer stays
`database_unavailable`. On a real PostgreSQL, with the pool really exhausted.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select
from structlog.testing import capture_logs

from docroute.service import Service
from foundation import database
from foundation.models import Document, Role
from tests.conftest import fast_settings, running, tcp_serving
from tests.docroute.test_pipeline_end_to_end import SENDER


@pytest.fixture
def short_pool_timeout(monkeypatch: pytest.MonkeyPatch) -> float:
    """Engines made in the test give up waiting for a pooled connection after half a second
    (30 s by default: the test would only wait longer)."""
    monkeypatch.setattr(database, "POOL_TIMEOUT", 0.5)
    return 0.5


@contextlib.asynccontextmanager
async def all_connections_held(engine: AsyncEngine) -> AsyncIterator[None]:
    """Every connection the engine's pool may give, checked out until the block ends."""
    async with contextlib.AsyncExitStack() as held:
        for _ in range(database.POOL_SIZE + database.MAX_OVERFLOW):
            await held.enter_async_context(engine.connect())
        yield


@contextlib.contextmanager
def connecting_times_out(engine: AsyncEngine) -> Iterator[None]:
    """New connections of the engine fail as asyncpg's connect timeout does (TimeoutError),
    the database itself still answering (connections already pooled are not touched)."""

    def time_out(*_args: Any) -> None:
        raise TimeoutError

    event.listen(engine.sync_engine, "do_connect", time_out)
    try:
        yield
    finally:
        event.remove(engine.sync_engine, "do_connect", time_out)


async def _stored(service: Service, number: str) -> int:
    async with service.sessions() as session:
        count = (await session.exec(
            select(func.count()).select_from(Document).where(Document.number == number)
        )).one()
    return int(count)


def _assert_busy(answer: httpx.Response) -> None:
    assert (answer.status_code, answer.json()["code"]) == (503, "database_busy"), answer.text
    assert answer.headers["retry-after"].isdigit()
    assert "try again in" in answer.json()["detail"]


async def test_an_exhausted_pool_answers_busy_stores_nothing_then_accepts(
    pg_url: str, short_pool_timeout: float, api_client: Any, tokens: Any, seed_text: Any,
) -> None:
    """Every pooled connection held elsewhere: a submission is answered 503 `database_busy`
    with Retry-After (not `database_unavailable`, not a 500), logged as a warning, and
    nothing is stored; with the connections back, the same submission is accepted."""
    settings = fast_settings(database_url=pg_url)
    async with running(settings, relay=False, router=False, delivery=False) as service:
        headers = await tokens(service, Role.SENDER, SENDER)
        body = {"text": seed_text("004"), "number": "7/TB-BUSY", "date": "2023-03-01"}
        async with api_client(service) as client:
            with capture_logs() as logged:
                async with all_connections_held(service.engine):
                    refused = await client.post("/v1/documents", json=body, headers=headers)
            _assert_busy(refused)
            assert [e["event"] for e in logged if e["log_level"] == "warning"] == ["database_busy"]
            assert "connections are in use" in refused.json()["detail"]
            assert await _stored(service, body["number"]) == 0
            accepted = await client.post("/v1/documents", json=body, headers=headers)
            assert accepted.status_code == 202, accepted.text
            assert await _stored(service, body["number"]) == 1


async def test_ready_says_busy_not_unreachable_while_the_pool_is_exhausted(
    pg_url: str, short_pool_timeout: float, api_client: Any,
) -> None:
    """Every pooled connection held elsewhere: /ready answers 503 naming the database `busy`
    (it answers a connection of the probe's own), not `unreachable`; once the connections
    are back, 200 and `ok`."""
    settings = fast_settings(database_url=pg_url)
    async with (running(settings, relay=False, router=False, delivery=False) as service,
                api_client(service) as client):
        async with all_connections_held(service.engine):
            busy = await client.get("/ready")
        ready = await client.get("/ready")  # the connections are back
    assert (busy.status_code, busy.json()["database"], busy.json()["broker"]) == (
        503, "busy", "ok"), busy.text
    assert busy.headers["retry-after"].isdigit()
    assert (ready.status_code, ready.json()["database"]) == (200, "ok"), ready.text


async def test_a_connect_timeout_while_the_database_answers_is_busy(
    pg_url: str, api_client: Any, tokens: Any, seed_text: Any,
) -> None:
    """A new connection times out while a probe of the database's own is answered: 503
    `database_busy`, not "cannot reach its database"; then the submission is accepted."""
    settings = fast_settings(database_url=pg_url)
    async with running(settings, relay=False, router=False, delivery=False) as service:
        headers = await tokens(service, Role.SENDER, SENDER)
        body = {"text": seed_text("004"), "number": "8/TB-BUSY", "date": "2023-03-01"}
        async with api_client(service) as client:
            await service.engine.dispose()  # no pooled connection left: the next is opened
            with connecting_times_out(service.engine):
                refused = await client.post("/v1/documents", json=body, headers=headers)
            _assert_busy(refused)
            assert await _stored(service, body["number"]) == 0
            accepted = await client.post("/v1/documents", json=body, headers=headers)
            assert accepted.status_code == 202, accepted.text


@contextlib.asynccontextmanager
async def silent_server() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never says a word: a database host gone
    silent, where every connection attempt times out. Yields its port."""

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            pass
        finally:
            writer.close()

    async with tcp_serving(handle) as port:
        yield port


async def test_a_connect_timeout_while_the_database_is_silent_is_unavailable(
    api_client: Any,
) -> None:
    """Connections time out and so does the probe: a true outage, still 503
    `database_unavailable` (the probe that tells busy from unreachable must not hide one)."""
    async with silent_server() as port:
        service = Service(fast_settings(
            database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{port}/docroute"))
        try:
            async with api_client(service) as client:
                answer = await client.get(
                    "/v1/audit/scorecard", headers={"Authorization": "Bearer unknown"})
        finally:
            await service.stop()
    assert (answer.status_code, answer.json()["code"]) == (503, "database_unavailable"), \
        answer.text
    assert answer.headers["retry-after"].isdigit()
