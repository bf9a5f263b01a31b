"""Fault tests on PostgreSQL + RabbitMQ, counted the Jepsen way: lost, duplicated, unexpected.

Workers run as real `docroute worker` processes; a crash point makes one SIGKILL itself
between its side effect and its commit, or between its commit and its ack. RabbitMQ's
connections are cut with `rabbitmqctl close_all_connections`, and RabbitMQ itself is stopped
and started again (`rabbitmqctl stop_app` / `start_app`), while documents flow.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from docroute.service import Service
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.faults import (
    DELIVERY_AFTER_COMMIT,
    DELIVERY_AFTER_SIDE_EFFECT,
    ROUTER_AFTER_COMMIT,
    ROUTER_BEFORE_COMMIT,
)
from foundation.models import ChannelKind, Delivery, DeliveryState, Role
from foundation.settings import Settings
from tests.docroute.test_pipeline_end_to_end import SENDER, expected_agencies

DOCROUTE = str(Path(sys.executable).with_name("docroute"))
DOCUMENTS = 3


@dataclass
class Harness:
    """API and relay in this process, workers as child processes, every agency on the sink."""

    service: Service
    client: httpx.AsyncClient
    sink: Any
    logs: Path
    agencies: set[str]
    workers: list[asyncio.subprocess.Process]

    async def worker(self, stage: str, crash_at: str | None = None) -> asyncio.subprocess.Process:
        """Start `docroute worker STAGE`, optionally set to die at a crash point."""
        settings = self.service.settings
        env = {
            **os.environ, "DOCROUTE_DATABASE_URL": settings.database_url,
            "DOCROUTE_AMQP_URL": settings.amqp_url or "",
            "DOCROUTE_QUEUE_PREFIX": settings.queue_prefix,
            "DOCROUTE_SIGNING_SECRET": settings.secret(),
            "DOCROUTE_WEBHOOK_BACKOFF_SECONDS": "0.01",
            "DOCROUTE_RELAY_IDLE_SECONDS": "0.02",
            "DOCROUTE_ALLOW_PRIVATE_WEBHOOKS": "true",  # the sinks listen on 127.0.0.1
        }
        if crash_at:
            # One batch at a time, so the process dies at exactly the point under test and
            # not also halfway through a second batch.
            env.update(DOCROUTE_CRASH_AT=crash_at, DOCROUTE_CONSUMER_TASKS="1")
        log = (self.logs / f"{stage}-{len(self.workers)}.log").open("wb")
        process = await asyncio.create_subprocess_exec(
            DOCROUTE, "worker", stage, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        self.workers.append(process)
        return process

    async def submit(self, tokens: Any, text: str, first: int = 1) -> list[str]:
        """Submit the text as DOCUMENTS separate documents; return their ids."""
        headers = await tokens(self.service, Role.SENDER, SENDER)
        ids = []
        for n in range(first, first + DOCUMENTS):
            body = {"text": text, "number": f"{n}/TB-FAULT", "date": "2023-03-01"}
            answer = await self.client.post("/v1/documents", json=body, headers=headers)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
        return ids

    async def count(self, settled: Any, document_ids: list[str]) -> dict[str, int]:
        """Wait for every document to settle, then count lost, duplicated and unexpected."""
        rows: list[Delivery] = []
        try:
            for document_id in document_ids:
                rows.extend(await settled(self.service, document_id))
        except AssertionError as error:
            tails = {log.name: log.read_text()[-2000:] for log in self.logs.glob("*.log")}
            raise AssertionError(f"{error}; worker logs: {tails}") from error
        expected = {(d, a) for d in document_ids for a in self.agencies}
        keys: dict[tuple[str, str], set[str]] = {}
        for item in self.sink.received:
            keys.setdefault((item["document_id"], item["agency"]), set()).add(item["key"])
        planned: dict[tuple[str, str], int] = {}
        for row in rows:
            planned[(row.document_id, row.agency_id)] = planned.get(
                (row.document_id, row.agency_id), 0) + 1
        return {
            "lost": len(expected - set(keys)),
            "duplicated": sum(len(k) > 1 for k in keys.values())
            + sum(n > 1 for n in planned.values()),
            "unexpected": len(set(keys) - expected),
            "not_delivered": sum(row.state != DeliveryState.DELIVERED for row in rows),
        }


@pytest.fixture
async def harness(
    real: Settings, run_service: Any, api_client: Any, sink: Any, tmp_path: Path,
    seed_text: Any,
) -> AsyncIterator[Harness]:
    """The fault-test pipeline; its worker processes are SIGKILLed at the end."""
    agencies = expected_agencies(seed_text("004"))
    async with (
        run_service(real, relay=True, router=False, delivery=False) as service,
        rig_on(service, api_client, sink, tmp_path, agencies) as rig,
    ):
        yield rig


@asynccontextmanager
async def rig_on(
    service: Service, api_client: Any, sink: Any, tmp_path: Path, agencies: list[str]
) -> AsyncIterator[Harness]:
    """A harness on a running service: each agency's webhook points at the sink; worker
    processes still running at the end are SIGKILLed."""
    async with transaction(service.sessions) as session:
        for agency in agencies:
            await set_channel(session, agency, ChannelKind.WEBHOOK, f"{sink.url}/{agency}")
    async with api_client(service) as client:
        rig = Harness(service, client, sink, tmp_path, agencies, [])
        try:
            yield rig
        finally:
            for process in rig.workers:
                if process.returncode is None:
                    process.send_signal(signal.SIGKILL)
                    await process.wait()


async def _died_by_sigkill(process: asyncio.subprocess.Process) -> None:
    code = await asyncio.wait_for(process.wait(), 120)
    assert code == -signal.SIGKILL, f"worker exited with {code} instead of dying at its crash point"


ZERO = {"lost": 0, "duplicated": 0, "unexpected": 0, "not_delivered": 0}


async def test_router_killed_with_its_plan_written_but_not_committed_plans_it_once(
    harness: Harness, tokens: Any, settled: Any, seed_text: Any
) -> None:
    """A router SIGKILLed after writing a plan (deliveries, history, outbox rows) but before
    committing it: the plan is rolled back, the message comes back, and the next router plans
    each delivery exactly once."""
    doomed = await harness.worker("router", crash_at=ROUTER_BEFORE_COMMIT)
    document_ids = await harness.submit(tokens, seed_text("004"))
    await _died_by_sigkill(doomed)
    await harness.worker("router")
    await harness.worker("delivery")
    assert await harness.count(settled, document_ids) == ZERO


async def test_router_killed_between_commit_and_ack_plans_each_delivery_once(
    harness: Harness, tokens: Any, settled: Any, seed_text: Any
) -> None:
    """A router SIGKILLed after committing a plan but before its ack: the redelivered message
    is recognised and every agency still gets exactly one copy."""
    doomed = await harness.worker("router", crash_at=ROUTER_AFTER_COMMIT)
    document_ids = await harness.submit(tokens, seed_text("004"))
    await _died_by_sigkill(doomed)
    await harness.worker("router")
    await harness.worker("delivery")
    assert await harness.count(settled, document_ids) == ZERO


async def test_delivery_worker_killed_between_side_effect_and_commit_resends_same_key(
    harness: Harness, tokens: Any, settled: Any, seed_text: Any
) -> None:
    """A delivery worker SIGKILLed after posting but before committing: its successor posts
    again under the same Idempotency-Key, so no agency holds two copies."""
    await harness.worker("router")
    doomed = await harness.worker("delivery", crash_at=DELIVERY_AFTER_SIDE_EFFECT)
    document_ids = await harness.submit(tokens, seed_text("004"))
    await _died_by_sigkill(doomed)
    before = len(harness.sink.received)
    uncommitted = {item["key"] for item in harness.sink.received}
    assert uncommitted
    await harness.worker("delivery")
    assert await harness.count(settled, document_ids) == ZERO
    after = {item["key"] for item in harness.sink.received[before:]}
    assert uncommitted <= after  # posted again, under the same keys


async def test_delivery_worker_killed_between_commit_and_ack_sends_nothing_twice(
    harness: Harness, tokens: Any, settled: Any, seed_text: Any
) -> None:
    """A delivery worker SIGKILLed after committing but before acking: the redelivered
    messages find their deliveries done and nothing is posted again."""
    await harness.worker("router")
    doomed = await harness.worker("delivery", crash_at=DELIVERY_AFTER_COMMIT)
    document_ids = await harness.submit(tokens, seed_text("004"))
    await _died_by_sigkill(doomed)
    before = len(harness.sink.received)
    committed = {item["key"] for item in harness.sink.received}
    assert committed
    await harness.worker("delivery")
    assert await harness.count(settled, document_ids) == ZERO
    after = [item["key"] for item in harness.sink.received[before:]]
    # Other messages may still be posted twice under one key (a relay killed with the worker
    # republishes its batch); what the dead worker had committed is never posted again.
    assert committed.isdisjoint(after)


async def _rabbitmqctl(*args: str) -> None:
    process = await asyncio.create_subprocess_exec(
        "rabbitmqctl", *args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, err = await process.communicate()
    assert process.returncode == 0, f"rabbitmqctl {' '.join(args)}: {err.decode()}"


async def test_broker_restarted_mid_stream_loses_and_duplicates_nothing(
    harness: Harness, tokens: Any, settled: Any, seed_text: Any, eventually: Any
) -> None:
    """RabbitMQ stopped while deliveries flow: /ready says the broker is unreachable,
    documents are still accepted (they wait in the outbox); RabbitMQ started again: every
    process reconnects, and every agency ends with exactly one copy of each document."""
    await harness.worker("router")
    await harness.worker("delivery")
    before = await harness.submit(tokens, seed_text("004"))
    await eventually(lambda: harness.sink.received, "the first delivery")
    broker = harness.service.broker

    async def down() -> bool:
        return not await broker.ready()

    await _rabbitmqctl("stop_app")
    try:
        await eventually(down, "the API's broker connection to drop")
        answer = await harness.client.get("/ready")
        assert (answer.status_code, answer.json()["broker"]) == (503, "unreachable")
        during = await harness.submit(tokens, seed_text("004"), first=DOCUMENTS + 1)
    finally:
        await _rabbitmqctl("start_app")
        await _rabbitmqctl("await_startup")
    await eventually(broker.ready, "the API's broker connection to come back")
    after = await harness.submit(tokens, seed_text("004"), first=2 * DOCUMENTS + 1)
    assert await harness.count(settled, before + during + after) == ZERO


async def test_broker_connections_cut_mid_stream_lose_and_duplicate_nothing(
    harness: Harness, tokens: Any, settled: Any, seed_text: Any, eventually: Any
) -> None:
    """`rabbitmqctl close_all_connections` while deliveries flow: every process reconnects and
    resumes consuming (documents submitted after the cut need it), and every agency ends with
    exactly one copy of each document."""
    await harness.worker("router")
    await harness.worker("delivery")
    before = await harness.submit(tokens, seed_text("004"))
    await eventually(lambda: harness.sink.received, "the first delivery")
    cut = await asyncio.create_subprocess_exec(
        "rabbitmqctl", "close_all_connections", "docroute fault test",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    assert await cut.wait() == 0
    after = await harness.submit(tokens, seed_text("004"), first=DOCUMENTS + 1)
    assert await harness.count(settled, before + after) == ZERO
