"""The queue between the service's stages, as a small protocol with two implementations.

`RabbitBroker` (RabbitMQ through aio-pika) and `MemoryBroker` (in-process, for the embedded
default) behave alike: a message is acked only after its effect is committed; a message that
is returned too often, or rejected without requeue, goes to a dead-letter queue.

Failures raised by `Broker.publish`:

    PublishError            the broker did not confirm the message (timeout, nack, return)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol

DOCUMENTS = "documents"  # consumed by the router
DELIVERIES = "deliveries"  # consumed by the delivery workers
QUEUES = (DOCUMENTS, DELIVERIES)
# Deliveries travel in groups: a message names up to this many deliveries of a document.
# A message per delivery made the broker and its acks most of the pipeline's CPU (measured
# by bench/pipeline.py); each delivery still has its own state, key and dead letter.
DELIVERIES_PER_MESSAGE = 50


def dead_letter_queue(queue: str) -> str:
    """The queue where `queue`'s dead letters are parked; publishing to it parks a message."""
    return f"{queue}.dead"


class PublishError(Exception):
    """The broker did not confirm a message; it stays in the outbox and is sent again."""


class Envelope(Protocol):
    """A message handed to a consumer, which must ack or reject it."""

    @property
    def message_id(self) -> str:
        """The id the publisher gave the message (the outbox row's message id)."""

    @property
    def body(self) -> bytes:
        """The message's JSON payload."""

    @property
    def settled(self) -> bool:
        """True once acked or rejected (a batch retried after an outage skips these)."""

    async def ack(self) -> None:
        """The effect is committed: the broker may forget the message."""

    async def reject(self, requeue: bool) -> None:
        """Give the message back (requeue) or send it to the dead-letter queue."""


BatchHandler = Callable[[list[Envelope]], Awaitable[None]]
# True when what the handlers need (the database) can be reached: a batch that fails while
# it cannot is held and handled again, not given back (foundation.broker.batches).
Probe = Callable[[], Awaitable[bool]]


class Broker(Protocol):
    """Publishes with confirms and feeds consumers batches of unacked messages."""

    async def start(self) -> None:
        """Connect and declare the queues, their dead-letter exchange and queues."""

    async def publish(self, queue: str, message_id: str, body: bytes) -> None:
        """Return once the broker confirmed the message; raise PublishError otherwise."""

    async def consume(
        self, queue: str, handler: BatchHandler, *, prefetch: int | None = None,
        batch_size: int | None = None, healthy: Probe | None = None,
    ) -> None:
        """Start feeding the queue's messages to the handler, in batches, until close.

        `prefetch` (messages held unacked) and `batch_size` (messages per handler call)
        override the broker's defaults for this queue; a batch that fails while `healthy()`
        is false is held until it is true, not given back.
        """

    async def dead_letters(self, queue: str) -> list[bytes]:
        """The bodies waiting in the queue's dead-letter queue (they stay there)."""

    async def ready(self) -> bool:
        """True when the broker can be reached."""

    async def close(self) -> None:
        """Stop consuming; unacked messages go back to their queues."""
