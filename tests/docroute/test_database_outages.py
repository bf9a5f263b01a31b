"""PostgreSQL going away under load, counted the Jepsen way: lost, duplicated, unexpected.

The pipeline runs on RabbitMQ and a PostgreSQL server of the test's own (never the shared
one): the API and relay in this process, the router and a delivery worker as `docroute
worker` processes, every agency on a local webhook sink. The server is restarted right
after a burst of documents, or stopped for 15 seconds while deliveries flow. Consumers must
hold their batches through the outage instead of spending the delivery limit, the API must
answer 503 with Retry-After, and the recovery sweep finishes whatever was left unfinished.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from docroute.service import Service
from foundation.broker import DELIVERIES, DOCUMENTS
from foundation.models import Role
from tests.conftest import AMQP_URL, RUN, fast_settings, running
from tests.docroute.test_faults import ZERO, Harness, rig_on
from tests.docroute.test_pipeline_end_to_end import SENDER, expected_agencies
from tests.private_postgres import PrivatePostgres, private_postgres

BURST = 8  # documents of ~60 recipients each


@pytest.fixture
def server() -> Iterator[PrivatePostgres]:
    """A PostgreSQL server this test may stop and restart."""
    with private_postgres() as started:
        yield started


@pytest.fixture
async def outage_rig(
    server: PrivatePostgres, sink: Any, tmp_path: Path, seed_text: Any,
    api_client: Any, monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Harness]:
    """The fault-test pipeline on the private server, with a quick recovery sweep."""
    # The worker processes read these too (they inherit the environment).
    monkeypatch.setenv("DOCROUTE_SWEEP_EVERY_SECONDS", "1")
    monkeypatch.setenv("DOCROUTE_SWEEP_AFTER_SECONDS", "20")
    settings = fast_settings(
        database_url=server.url(), amqp_url=AMQP_URL,
        queue_prefix=f"docroute-test-{RUN}-{uuid.uuid4().hex[:6]}",
        sweep_every_seconds=1.0, sweep_after_seconds=20.0,
    )
    agencies = expected_agencies(seed_text("004"))
    async with (
        running(settings, relay=True, router=False, delivery=False) as service,
        rig_on(service, api_client, sink, tmp_path, agencies) as rig,
    ):
        yield rig


async def _burst(rig: Harness, headers: dict[str, str], text: str, first: int) -> list[str]:
    ids = []
    for n in range(first, first + BURST):
        body = {"text": text, "number": f"{n}/TB-OUTAGE", "date": "2023-03-01"}
        answer = await rig.client.post("/v1/documents", json=body, headers=headers)
        assert answer.status_code == 202, answer.text
        ids.append(answer.json()["id"])
    return ids


async def _no_dead_letters(service: Service) -> None:
    for queue in (DOCUMENTS, DELIVERIES):
        assert await service.broker.dead_letters(queue) == [], f"dead letters in {queue}"


async def test_postgres_restarted_right_after_a_burst_loses_nothing(
    outage_rig: Harness, server: PrivatePostgres, tokens: Any, settled: Any, seed_text: Any,
) -> None:
    """A burst of documents, then PostgreSQL restarted at once: the consumers wait for it
    instead of dead-lettering their batches, and every agency gets each document once."""
    await outage_rig.worker("router")
    await outage_rig.worker("delivery")
    headers = await tokens(outage_rig.service, Role.SENDER, SENDER)
    document_ids = await _burst(outage_rig, headers, seed_text("004"), 1)
    await server.arestart()
    assert await outage_rig.count(settled, document_ids) == ZERO
    await _no_dead_letters(outage_rig.service)


async def test_postgres_stopped_for_15_seconds_mid_stream_loses_nothing(
    outage_rig: Harness, server: PrivatePostgres, tokens: Any, settled: Any, seed_text: Any,
    eventually: Any,
) -> None:
    """PostgreSQL stopped while deliveries flow: /ready says the database is unreachable,
    a submission gets 503 with Retry-After (not a 500), and once it is back every document
    submitted before and after reaches every agency exactly once."""
    rig = outage_rig
    await rig.worker("router")
    await rig.worker("delivery")
    headers = await tokens(rig.service, Role.SENDER, SENDER)
    before = await _burst(rig, headers, seed_text("004"), 1)
    await eventually(lambda: rig.sink.received, "the first delivery")
    await server.astop()
    try:
        ready = await rig.client.get("/ready")
        assert (ready.status_code, ready.json()["database"]) == (503, "unreachable")
        body = {"text": seed_text("004"), "number": "99/TB-OUTAGE", "date": "2023-03-01"}
        refused = await rig.client.post("/v1/documents", json=body, headers=headers)
        assert refused.status_code == 503, refused.text
        assert refused.headers["retry-after"].isdigit()
        assert refused.json()["code"] == "database_unavailable"
        await asyncio.sleep(15)  # the outage itself, not an assertion on time
    finally:
        await server.astart()
    await eventually(lambda: _ready(rig.client), "/ready to say ready again")
    after = await _burst(rig, headers, seed_text("004"), BURST + 1)
    assert await rig.count(settled, before + after) == ZERO
    await _no_dead_letters(rig.service)


async def _ready(client: httpx.AsyncClient) -> bool:
    return (await client.get("/ready")).status_code == 200


async def test_ready_and_reads_notice_a_one_second_outage(
    server: PrivatePostgres, api_client: Any, tokens: Any,
) -> None:
    """PostgreSQL down for about a second: /ready says the database is unreachable at once,
    and a read answers 503 with Retry-After (no 500, no traceback); then both recover."""
    settings = fast_settings(database_url=server.url())
    async with running(settings, relay=False, router=False, delivery=False) as service:
        headers = await tokens(service, Role.AUDITOR)
        async with api_client(service) as client:
            assert (await client.get("/ready")).status_code == 200
            await server.astop()
            try:
                ready = await client.get("/ready")
                read = await client.get("/v1/audit/scorecard", headers=headers)
            finally:
                await server.astart()
            assert (ready.status_code, ready.json()["database"]) == (503, "unreachable")
            assert (read.status_code, read.json()["code"]) == (503, "database_unavailable")
            assert read.headers["retry-after"].isdigit()
            assert (await client.get("/ready")).status_code == 200
            assert (await client.get("/v1/audit/scorecard", headers=headers)).status_code == 200
