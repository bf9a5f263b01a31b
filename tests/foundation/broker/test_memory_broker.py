"""The in-process queue: acks, redelivery limit and dead letters, as RabbitMQ does them."""

from __future__ import annotations

import asyncio
from typing import Any

from foundation.broker import DOCUMENTS, Envelope
from foundation.broker.memory import MemoryBroker


async def test_message_always_returned_is_dead_lettered_after_the_limit(eventually: Any) -> None:
    """A message nacked with requeue is delivered limit+1 times, then parked."""
    broker = MemoryBroker(delivery_limit=2, tasks=1)
    seen: list[str] = []

    async def refuse(batch: list[Envelope]) -> None:
        for envelope in batch:
            seen.append(envelope.message_id)
            await envelope.reject(requeue=True)

    await broker.consume(DOCUMENTS, refuse)
    await broker.publish(DOCUMENTS, "m1", b'{"n": 1}')
    await eventually(lambda: broker.dead[DOCUMENTS], "the dead letter")
    await broker.close()
    assert seen == ["m1", "m1", "m1"]
    assert await broker.dead_letters(DOCUMENTS) == [b'{"n": 1}']


async def test_handler_exception_returns_the_batch_for_redelivery(eventually: Any) -> None:
    """A handler that raises does not lose its messages: they come back."""
    broker = MemoryBroker(delivery_limit=5, tasks=1)
    attempts: list[str] = []

    async def flaky(batch: list[Envelope]) -> None:
        attempts.append(batch[0].message_id)
        if len(attempts) == 1:
            raise RuntimeError("database went away")
        await batch[0].ack()

    await broker.consume(DOCUMENTS, flaky)
    await broker.publish(DOCUMENTS, "m1", b"{}")
    await eventually(lambda: len(attempts) >= 2, "the redelivery")
    await broker.close()
    assert attempts == ["m1", "m1"]
    assert broker.dead[DOCUMENTS] == []


async def test_reject_without_requeue_parks_the_message_at_once(eventually: Any) -> None:
    """reject(requeue=False) sends the message straight to the dead letters."""
    broker = MemoryBroker(delivery_limit=5, tasks=1)

    async def park(batch: list[Envelope]) -> None:
        for envelope in batch:
            await envelope.reject(requeue=False)

    await broker.consume(DOCUMENTS, park)
    await broker.publish(DOCUMENTS, "m1", b"x")
    await eventually(lambda: broker.dead[DOCUMENTS], "the dead letter")
    await broker.close()
    assert broker.dead[DOCUMENTS] == [b"x"]


async def test_closing_returns_messages_a_consumer_was_holding() -> None:
    """Messages held by a consumer when it stops go back to the queue, as on a disconnect."""
    broker = MemoryBroker(delivery_limit=5, tasks=1)
    holding = asyncio.Event()

    async def hang(batch: list[Envelope]) -> None:
        holding.set()
        await asyncio.Event().wait()

    await broker.consume(DOCUMENTS, hang)
    await broker.publish(DOCUMENTS, "m1", b"x")
    await holding.wait()
    await broker.close()
    returned = broker.waiting[DOCUMENTS].get_nowait()
    assert returned.message_id == "m1"
