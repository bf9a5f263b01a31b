"""The in-process queue: the same ack, redelivery limit and dead-letter rules as RabbitMQ.

It keeps messages in memory only; after a restart the service re-drives unfinished work from
the database (see `foundation.recovery`), which stays the source of truth.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from foundation.broker import QUEUES, BatchHandler, Envelope, Probe, dead_letter_queue
from foundation.broker.batches import feed


@dataclass
class _Message:
    message_id: str
    body: bytes
    returned: int = 0


@dataclass(eq=False)
class MemoryEnvelope:
    """One delivery of a message to a consumer; settled by exactly one ack or reject."""

    broker: MemoryBroker
    queue: str
    message: _Message
    settled: bool = field(default=False)

    @property
    def message_id(self) -> str:
        """The id the publisher gave the message."""
        return self.message.message_id

    @property
    def body(self) -> bytes:
        """The message's payload."""
        return self.message.body

    async def ack(self) -> None:
        """Forget the message."""
        self._settle()

    async def reject(self, requeue: bool) -> None:
        """Requeue the message, or dead-letter it (also when returned too often)."""
        self._settle()
        self.broker.give_back(self.queue, self.message, requeue)

    def _settle(self) -> None:
        if self.settled:
            raise RuntimeError(f"message {self.message_id} is already acked or rejected")
        self.settled = True


class MemoryBroker:
    """Queues in this process's memory; consumers get batches through asyncio tasks."""

    def __init__(self, delivery_limit: int, batch_size: int = 100, tasks: int = 4) -> None:
        self.delivery_limit = delivery_limit
        self.batch_size = batch_size
        self.tasks = tasks
        self.waiting: dict[str, asyncio.Queue[Envelope]] = {q: asyncio.Queue() for q in QUEUES}
        self.dead: dict[str, list[bytes]] = {q: [] for q in QUEUES}
        self._consumers: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        """Nothing to connect to."""

    async def publish(self, queue: str, message_id: str, body: bytes) -> None:
        """Enqueue at once (an in-process queue confirms immediately); a message published
        to a dead-letter queue is parked there."""
        parked = [q for q in QUEUES if dead_letter_queue(q) == queue]
        if parked:
            self.dead[parked[0]].append(body)
        else:
            self._enqueue(queue, _Message(message_id, body))

    async def consume(
        self, queue: str, handler: BatchHandler, *, prefetch: int | None = None,
        batch_size: int | None = None, healthy: Probe | None = None,
    ) -> None:
        """Start the consumer tasks for the queue (an in-process queue has no prefetch)."""

        async def holding(batch: list[Envelope]) -> None:
            try:
                await handler(batch)
            except asyncio.CancelledError:
                # A consumer that goes away returns what it held, as a closed channel does.
                for envelope in batch:
                    if isinstance(envelope, MemoryEnvelope) and not envelope.settled:
                        await envelope.reject(requeue=True)
                raise

        for _ in range(self.tasks):
            size = batch_size or self.batch_size
            task = asyncio.create_task(feed(self.waiting[queue], holding, size, healthy))
            self._consumers.append(task)

    async def dead_letters(self, queue: str) -> list[bytes]:
        """The dead-lettered bodies of the queue."""
        return list(self.dead[queue])

    async def ready(self) -> bool:
        """Always reachable."""
        return True

    async def close(self) -> None:
        """Stop the consumers and give back what they held, as a broker does on disconnect."""
        for task in self._consumers:
            task.cancel()
        await asyncio.gather(*self._consumers, return_exceptions=True)
        self._consumers.clear()

    def give_back(self, queue: str, message: _Message, requeue: bool) -> None:
        """Requeue a returned message, or dead-letter it past the delivery limit."""
        message.returned += 1
        if requeue and message.returned <= self.delivery_limit:
            self._enqueue(queue, message)
        else:
            self.dead[queue].append(message.body)

    def _enqueue(self, queue: str, message: _Message) -> None:
        self.waiting[queue].put_nowait(MemoryEnvelope(self, queue, message))
