"""RabbitMQ through aio-pika: publisher confirms, quorum queues, manual acks after commit."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import aio_pika
import structlog
from aio_pika.abc import (
    AbstractChannel,
    AbstractIncomingMessage,
    AbstractRobustConnection,
)
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from foundation.broker import (
    QUEUES,
    BatchHandler,
    Envelope,
    Probe,
    PublishError,
    dead_letter_queue,
    nodes,
)
from foundation.broker.batches import feed

log = structlog.get_logger(__name__)


class RabbitEnvelope:
    """An incoming RabbitMQ message; settling it after a reconnect is a no-op by design."""

    def __init__(self, message: AbstractIncomingMessage) -> None:
        self._message = message

    @property
    def message_id(self) -> str:
        """The publisher's message id."""
        return self._message.message_id or ""

    @property
    def body(self) -> bytes:
        """The payload."""
        return self._message.body

    @property
    def settled(self) -> bool:
        """True once acked or rejected."""
        return bool(self._message.processed)

    async def ack(self) -> None:
        """Ack; if the channel died since delivery, the broker redelivers and we dedupe."""
        try:
            await self._message.ack()
        except Exception as error:  # the delivery tag died with its channel
            log.warning("ack_lost", message_id=self.message_id, error=repr(error))

    async def reject(self, requeue: bool) -> None:
        """Nack: requeue, or dead-letter through the queue's dead-letter exchange."""
        try:
            await self._message.reject(requeue=requeue)
        except Exception as error:
            log.warning("reject_lost", message_id=self.message_id, error=repr(error))


class RabbitBroker:
    """One robust connection; a confirming channel to publish, one channel per consumer.

    `url` may list a cluster's nodes, comma-separated: the connection moves to the next node
    whenever it (re)connects (foundation/broker/nodes.py).
    """

    def __init__(
        self,
        url: str,
        prefix: str,
        delivery_limit: int,
        *,
        prefetch: int = 200,
        batch_size: int = 100,
        tasks: int = 4,
        publish_timeout: float = 10.0,
        connect_for: float = 60.0,
    ) -> None:
        self.url = url
        self.nodes = nodes.node_urls(url)  # a cluster's nodes, or the one broker
        self.prefix = prefix
        self.delivery_limit = delivery_limit
        self.prefetch = prefetch
        self.batch_size = batch_size
        self.tasks = tasks
        self.publish_timeout = publish_timeout
        self.connect_for = connect_for
        self._connection: AbstractRobustConnection | None = None
        self._publisher: AbstractChannel | None = None
        self._feeders: list[asyncio.Task[None]] = []

    def name(self, queue: str) -> str:
        """The queue's name on the broker."""
        return f"{self.prefix}.{queue}"

    async def start(self) -> None:
        """Connect (retrying while the broker comes up) and declare the topology."""
        async for attempt in AsyncRetrying(
            stop=stop_after_delay(self.connect_for),
            wait=wait_exponential(multiplier=0.2, max=5),
            retry=retry_if_exception_type((OSError, aio_pika.exceptions.AMQPError)),
            reraise=True,
        ):
            with attempt:
                # Each attempt starts from the next node of a cluster's list.
                first = (attempt.retry_state.attempt_number - 1) % len(self.nodes)
                self._connection = await nodes.connect(
                    self.nodes[first:] + self.nodes[:first], timeout=10, reconnect_interval=1
                )
        connection = self._require()
        self._publisher = await connection.channel(publisher_confirms=True, on_return_raises=True)
        await self._declare(self._publisher)

    async def _declare(self, channel: AbstractChannel) -> None:
        dead = await channel.declare_exchange(
            f"{self.prefix}.dead", aio_pika.ExchangeType.DIRECT, durable=True
        )
        for queue in QUEUES:
            await channel.declare_queue(self.name(queue), durable=True, arguments=self._arguments())
            parked = await channel.declare_queue(
                self.name(dead_letter_queue(queue)),
                durable=True,
                arguments={"x-queue-type": "quorum"},
            )
            await parked.bind(dead, routing_key=self.name(queue))

    def _arguments(self) -> dict[str, Any]:
        return {
            "x-queue-type": "quorum",
            "x-delivery-limit": self.delivery_limit,
            "x-dead-letter-exchange": f"{self.prefix}.dead",
            # At-most-once is the default: a dead letter could vanish on a leader change.
            "x-dead-letter-strategy": "at-least-once",
            "x-overflow": "reject-publish",
        }

    async def publish(self, queue: str, message_id: str, body: bytes) -> None:
        """Publish persistent and mandatory; return on the broker's confirm."""
        if self._publisher is None:
            raise PublishError("the broker is not started")
        message = aio_pika.Message(
            body,
            message_id=message_id,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            content_type="application/json",
        )
        try:
            # aio-pika's own timeout can miss a hang during reconnection (issues #636, #689).
            async with asyncio.timeout(self.publish_timeout + 1):
                await self._publisher.default_exchange.publish(
                    message,
                    routing_key=self.name(queue),
                    mandatory=True,
                    timeout=self.publish_timeout,
                )
        except asyncio.CancelledError as error:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # this task is being stopped
            # aiormq cancels a pending confirm when its connection dies (a node that stopped
            # answering): that is a failed publish, not a reason for the relay to stop.
            raise PublishError(f"{queue}/{message_id}: connection lost: {error!r}") from error
        except Exception as error:
            raise PublishError(f"{queue}/{message_id}: {error!r}") from error

    async def consume(
        self, queue: str, handler: BatchHandler, *, prefetch: int | None = None,
        batch_size: int | None = None, healthy: Probe | None = None,
    ) -> None:
        """Consume with manual acks and a prefetch window; batches go to the handler."""
        channel = await self._require().channel()
        await channel.set_qos(prefetch_count=prefetch or self.prefetch)
        inbox: asyncio.Queue[Envelope] = asyncio.Queue()

        async def receive(message: AbstractIncomingMessage) -> None:
            inbox.put_nowait(RabbitEnvelope(message))

        # Declared (not just looked up) on this channel: only declared queues get their
        # consumers restored when the robust connection comes back after a cut.
        declared = await channel.declare_queue(
            self.name(queue), durable=True, arguments=self._arguments()
        )
        await declared.consume(receive, no_ack=False)
        for _ in range(self.tasks):
            size = batch_size or self.batch_size
            self._feeders.append(asyncio.create_task(feed(inbox, handler, size, healthy)))

    async def dead_letters(self, queue: str) -> list[bytes]:
        """Peek at the dead-letter queue: read every message, then give them all back."""
        channel = await self._require().channel()
        try:
            parked = await channel.get_queue(self.name(dead_letter_queue(queue)), ensure=False)
            bodies = []
            while (message := await parked.get(no_ack=False, fail=False)) is not None:
                bodies.append(message.body)
            return bodies
        finally:
            await channel.close()  # unacked messages return to the dead-letter queue

    async def ready(self) -> bool:
        """True while connected; False while the robust connection is reconnecting (it is
        not "closed" then, but nothing can be published)."""
        connection = self._connection
        return (
            connection is not None
            and not connection.is_closed
            and connection.connected.is_set()
        )

    async def close(self) -> None:
        """Stop the feeders and close the connection (unacked messages are redelivered)."""
        for task in self._feeders:
            task.cancel()
        await asyncio.gather(*self._feeders, return_exceptions=True)
        self._feeders.clear()
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()

    async def delete_queues(self) -> None:
        """Remove this prefix's queues and exchange (tests clean up after themselves).

        A connection of its own: the robust one may be reconnecting after a fault test.
        """
        connection = await self._any_node()
        try:
            channel = await connection.channel()
            for queue in QUEUES:
                for name in (self.name(queue), self.name(dead_letter_queue(queue))):
                    await channel.queue_delete(name)
            await channel.exchange_delete(f"{self.prefix}.dead")
        finally:
            await connection.close()

    async def _any_node(self) -> aio_pika.abc.AbstractConnection:
        """A plain connection to the first node of the list that answers."""
        for url in self.nodes[:-1]:
            with contextlib.suppress(OSError, aio_pika.exceptions.AMQPError):
                return await aio_pika.connect(url, timeout=10)
        return await aio_pika.connect(self.nodes[-1], timeout=10)

    def _require(self) -> AbstractRobustConnection:
        if self._connection is None:
            raise RuntimeError("RabbitBroker.start() was not awaited")
        return self._connection
