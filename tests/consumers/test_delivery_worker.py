"""Delivery workers: webhooks that fail, recover, refuse; failures parked and re-driven."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import httpx

from consumers.channel import Outcome
from docroute.service import Service
from foundation.broker import DELIVERIES
from foundation.broker.rabbit import RabbitBroker
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import ChannelKind, Delivery, DeliveryState, Document, Role
from foundation.settings import Settings

BOARD = "kh.ban-qlda-phat-trien-tinh"
AGENCY = "kh.so-noi-vu"  # the one recipient of seed 000
DOCROUTE = str(Path(sys.executable).with_name("docroute"))


async def _submit_seed_000(
    service: Service, client: httpx.AsyncClient, sink: Any, tokens: Any, seed_text: Any
) -> str:
    async with transaction(service.sessions) as session:
        await set_channel(session, AGENCY, ChannelKind.WEBHOOK, f"{sink.url}/{AGENCY}")
    headers = await tokens(service, Role.SENDER, BOARD)
    answer = await client.post("/v1/documents", json={"text": seed_text("000")}, headers=headers)
    assert answer.status_code == 202
    return str(answer.json()["id"])


async def _cli(settings: Settings, *args: str) -> str:
    env = {
        **os.environ, "DOCROUTE_DATABASE_URL": settings.database_url,
        "DOCROUTE_AMQP_URL": settings.amqp_url or "",
        "DOCROUTE_QUEUE_PREFIX": settings.queue_prefix,
        "DOCROUTE_ALLOW_PRIVATE_WEBHOOKS": "true",  # the sink listens on 127.0.0.1
    }
    process = await asyncio.create_subprocess_exec(
        DOCROUTE, *args, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    out, err = await process.communicate()
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_webhook_that_fails_then_recovers_gets_exactly_one_copy(
    service: Service, client: httpx.AsyncClient, sink: Any, tokens: Any, settled: Any,
    seed_text: Any,
) -> None:
    """Three 503s then 200: the delivery is delivered and the agency holds one key."""
    sink.fail_first = 3
    document_id = await _submit_seed_000(service, client, sink, tokens, seed_text)
    [row] = await settled(service, document_id)
    assert row.state == DeliveryState.DELIVERED
    assert sink.keys_by_agency() == {AGENCY: {row.id}}


async def test_refused_delivery_fails_is_parked_and_is_redriven_by_the_cli(
    service: Service, client: httpx.AsyncClient, sink: Any, tokens: Any, settled: Any,
    seed_text: Any, eventually: Any,
) -> None:
    """A 400 makes the delivery failed with the reason (visible to auditors) and parks the
    message in the dead-letter queue; `docroute deliveries retry` then delivers it."""
    sink.refuse.add(AGENCY)
    document_id = await _submit_seed_000(service, client, sink, tokens, seed_text)
    [row] = await settled(service, document_id)
    assert row.state == DeliveryState.FAILED
    auditor = await tokens(service, Role.AUDITOR)
    view = (await client.get(f"/v1/documents/{document_id}", headers=auditor)).json()
    assert view["summary"]["failed"] == [AGENCY]
    assert "HTTP 400" in view["deliveries"][0]["failure"]
    assert "unknown recipient" in view["deliveries"][0]["failure"]  # auditors see the answer
    sender = await tokens(service, Role.SENDER, BOARD)
    seen = (await client.get(f"/v1/documents/{document_id}", headers=sender)).json()
    assert "HTTP 400" in seen["deliveries"][0]["failure"]
    assert "unknown recipient" not in json.dumps(seen, ensure_ascii=False)  # senders do not
    # RabbitMQ dead-letters asynchronously.
    await eventually(lambda: service.broker.dead_letters(DELIVERIES), "the dead letter")
    parked = await service.broker.dead_letters(DELIVERIES)
    assert [json.loads(body) for body in parked] == [
        {"delivery_id": row.id, "failure": row.failure}
    ]

    if service.settings.amqp_url:  # the in-process queue's dead letters live in this process
        shown = await _cli(service.settings, "deliveries", "dead-letters")
        [(queue, body)] = [line.split("\t", 1) for line in shown.splitlines()]
        assert queue == "deliveries"
        assert json.loads(body) == {"delivery_id": row.id, "failure": row.failure}

    sink.refuse.clear()
    assert row.id in await _cli(service.settings, "deliveries", "retry", row.id)
    [again] = await settled(service, document_id)
    assert again.state == DeliveryState.DELIVERED
    assert sink.keys_by_agency() == {AGENCY: {row.id}}
    listed = json.loads(await _cli(service.settings, "deliveries", "list", "--document",
                                   document_id))
    states = [e["value"] for e in listed[0]["history"] if e["kind"] == "state"]
    assert states == ["pending", "failed", "pending", "delivered"]


async def test_a_webhook_name_that_now_resolves_to_loopback_fails_when_sent(
    stack: Settings, run_service: Any, api_client: Any, sink: Any, tokens: Any, settled: Any,
    seed_text: Any,
) -> None:
    """`localhost` was accepted when the channel was set (private targets allowed then); the
    service that sends runs with them refused: the delivery fails with the reason, auditors
    see it, and the agency's server gets nothing."""
    url = sink.url.replace("127.0.0.1", "localhost")
    await _cli(stack, "agencies", "set-channel", AGENCY, "webhook", f"{url}/{AGENCY}")
    strict = stack.model_copy(update={"allow_private_webhooks": False})
    async with run_service(strict) as service:
        client = api_client(service)
        try:
            headers = await tokens(service, Role.SENDER, BOARD)
            answer = await client.post("/v1/documents", json={"text": seed_text("000")},
                                       headers=headers)
            [row] = await settled(service, answer.json()["id"])
            auditor = await tokens(service, Role.AUDITOR)
            missed = (await client.get("/v1/audit/missed", headers=auditor)).json()
        finally:
            await client.aclose()
    assert row.state == DeliveryState.FAILED
    assert "'localhost' resolves at send time to an internal address" in (row.failure or "")
    assert "127.0.0.1" in (row.failure or "")
    assert "resolves at send time" in json.dumps(missed, ensure_ascii=False)
    assert sink.received == []


async def _history(service: Service, document_id: str) -> list[tuple[str, str]]:
    listed = json.loads(await _cli(service.settings, "deliveries", "list", "--document",
                                   document_id))
    return [(e["kind"], e["value"]) for e in listed[0]["history"]]


async def test_webhook_that_never_recovers_fails_once_the_retry_schedule_is_spent(
    service: Service, client: httpx.AsyncClient, sink: Any, tokens: Any, settled: Any,
    seed_text: Any,
) -> None:
    """Always 503: one round of attempts, then one more per entry of the retry schedule,
    each recorded; then the delivery fails saying so, and nothing arrived."""
    sink.fail_first = 10_000
    document_id = await _submit_seed_000(service, client, sink, tokens, seed_text)
    [row] = await settled(service, document_id)
    assert row.state == DeliveryState.FAILED
    rounds = len(service.settings.retry_schedule_seconds) + 1
    assert row.failure == (
        f"webhook failed {service.settings.webhook_attempts} attempts: HTTP 503; "
        f"gave up after {rounds} rounds of attempts"
    )
    assert sink.received == []
    assert await _history(service, document_id) == [
        ("state", "pending"), ("retry", "1"), ("retry", "2"), ("state", "failed"),
    ]


async def test_webhook_down_longer_than_a_round_is_delivered_in_a_later_round(
    service: Service, client: httpx.AsyncClient, sink: Any, tokens: Any, settled: Any,
    seed_text: Any,
) -> None:
    """503s through the whole first round and into the second: the delivery waits in the
    database, is sent again when due, and is delivered once, under its one key."""
    sink.fail_first = service.settings.webhook_attempts + 2
    document_id = await _submit_seed_000(service, client, sink, tokens, seed_text)
    [row] = await settled(service, document_id)
    assert row.state == DeliveryState.DELIVERED
    assert (row.attempt_rounds, row.retry_at) == (1, None)
    assert sink.keys_by_agency() == {AGENCY: {row.id}}
    assert await _history(service, document_id) == [
        ("state", "pending"), ("retry", "1"), ("state", "delivered"),
    ]


class RaisingChannel:
    """A channel whose code fails on every send (a bug, not the agency being down)."""

    def __init__(self) -> None:
        self.calls = 0

    async def send(self, delivery: Delivery, document: Document, target: str | None) -> Outcome:
        self.calls += 1
        raise RuntimeError("the channel's own bug")


async def test_a_channel_that_raises_records_why_on_the_delivery_then_fails_it(
    stack: Settings, api_client: Any, tokens: Any, settled: Any, seed_text: Any
) -> None:
    """Each unexpected error is recorded on the delivery; at the delivery limit it fails
    with the reason, auditors see it in the document and the missed report, and the broker
    is not left to dead-letter it silently."""
    channel = RaisingChannel()
    service = Service(stack, channels={"inbox": channel})
    await service.start()
    client = api_client(service)
    try:
        headers = await tokens(service, Role.SENDER, BOARD)
        answer = await client.post("/v1/documents", json={"text": seed_text("000")},
                                   headers=headers)
        document_id = answer.json()["id"]
        [row] = await settled(service, document_id)
        auditor = await tokens(service, Role.AUDITOR)
        view = (await client.get(f"/v1/documents/{document_id}", headers=auditor)).json()
        missed = (await client.get("/v1/audit/missed", headers=auditor)).json()
    finally:
        await client.aclose()
        if isinstance(service.broker, RabbitBroker):
            await service.broker.delete_queues()
        await service.stop()
    limit = stack.delivery_limit
    assert row.state == DeliveryState.FAILED and row.faults == limit - 1
    assert channel.calls == limit
    assert (row.failure or "") == (f"the inbox channel raised an unexpected error {limit} "
                                   "times, the last: RuntimeError: the channel's own bug")
    assert view["deliveries"][0]["failure"] == row.failure
    assert "the channel's own bug" in json.dumps(missed, ensure_ascii=False)
