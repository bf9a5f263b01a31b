"""RabbitMQ: quorum queues with a delivery limit and a dead-letter queue, confirmed publishes."""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from foundation.broker import DELIVERIES, DOCUMENTS, Envelope, PublishError
from foundation.broker.rabbit import RabbitBroker
from tests.conftest import free_port

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture
async def broker() -> AsyncIterator[RabbitBroker]:
    """A started broker on queues of this test only, deleted afterwards."""
    started = RabbitBroker(AMQP_URL, f"docroute-test-{uuid.uuid4().hex[:8]}", delivery_limit=2,
                           tasks=1, connect_for=10)
    await started.start()
    yield started
    await started.delete_queues()
    await started.close()


async def test_always_returned_message_is_dead_lettered_after_the_limit(
    broker: RabbitBroker, eventually: Any
) -> None:
    """With x-delivery-limit 2 a message nacked with requeue is seen three times, then parked."""
    seen: list[str] = []

    async def refuse(batch: list[Envelope]) -> None:
        for envelope in batch:
            seen.append(envelope.message_id)
            await envelope.reject(requeue=True)

    await broker.consume(DOCUMENTS, refuse)
    await broker.publish(DOCUMENTS, "m1", b'{"n": 1}')
    await eventually(lambda: broker.dead_letters(DOCUMENTS), "the dead letter")
    parked = await broker.dead_letters(DOCUMENTS)
    assert seen == ["m1", "m1", "m1"]
    assert parked == [b'{"n": 1}']
    assert await broker.dead_letters(DOCUMENTS) == parked  # peeking leaves them there


async def test_acked_message_is_consumed_once_with_its_id(
    broker: RabbitBroker, eventually: Any
) -> None:
    """A published message reaches the consumer once, with the publisher's message id."""
    got: list[tuple[str, bytes]] = []

    async def take(batch: list[Envelope]) -> None:
        for envelope in batch:
            got.append((envelope.message_id, envelope.body))
            await envelope.ack()

    await broker.consume(DELIVERIES, take)
    for n in range(20):
        await broker.publish(DELIVERIES, f"m{n}", b"x")
    await eventually(lambda: len(got) >= 20, "twenty messages")
    assert sorted(got) == sorted((f"m{n}", b"x") for n in range(20))
    assert await broker.dead_letters(DELIVERIES) == []


async def test_publish_before_start_raises_publish_error() -> None:
    """Publishing on a broker that never connected raises PublishError (the row stays)."""
    idle = RabbitBroker(AMQP_URL, "docroute-test-unused", delivery_limit=2)
    with pytest.raises(PublishError):
        await idle.publish(DOCUMENTS, "m1", b"x")


async def test_consuming_resumes_after_the_broker_cuts_the_connection(
    broker: RabbitBroker, eventually: Any
) -> None:
    """After `rabbitmqctl close_all_connections` the consumer comes back by itself and gets
    messages published after the cut."""
    got: list[str] = []

    async def take(batch: list[Envelope]) -> None:
        for envelope in batch:
            got.append(envelope.message_id)
            await envelope.ack()

    await broker.consume(DOCUMENTS, take)
    await broker.publish(DOCUMENTS, "before", b"x")
    await eventually(lambda: got == ["before"], "the message published before the cut")
    cut = subprocess.run(["rabbitmqctl", "-q", "close_all_connections", "docroute test"],
                         check=False)
    assert cut.returncode == 0

    async def published_after_cut() -> bool:
        try:
            await broker.publish(DOCUMENTS, "after", b"x")
        except PublishError:
            return False  # still reconnecting; the relay would try again the same way
        return True

    await eventually(published_after_cut, "a publish after the reconnection")
    await eventually(lambda: got == ["before", "after"], "the message published after the cut")


async def test_confirm_cancelled_by_a_dying_connection_is_an_unconfirmed_publish(
    broker: RabbitBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """aiormq cancels a pending confirm when its connection dies under it (a node that stopped
    answering): the publish fails with PublishError, so the relay keeps the row and carries on
    rather than dying with a CancelledError."""
    async def cut(*args: Any, **kwargs: Any) -> None:
        raise asyncio.CancelledError

    assert broker._publisher is not None
    monkeypatch.setattr(broker._publisher.default_exchange, "publish", cut)
    with pytest.raises(PublishError, match="connection lost"):
        await broker.publish(DOCUMENTS, "m1", b"{}")


async def test_a_list_of_nodes_connects_past_one_that_is_down() -> None:
    """`url` names several nodes: a refused first node is skipped for the next one."""
    down = f"amqp://guest:guest@127.0.0.1:{free_port()}/"
    started = RabbitBroker(f"{down},{AMQP_URL}", f"docroute-test-{uuid.uuid4().hex[:8]}",
                           delivery_limit=2, tasks=1, connect_for=10)
    await started.start()
    try:
        assert await started.ready()
        await started.publish(DOCUMENTS, "m1", b"{}")  # confirmed by the live node
    finally:
        await started.delete_queues()
        await started.close()
