"""Turns a stream of messages into batches for consumers, without waiting to fill a batch.

A batch whose handler fails while the database cannot be reached is not given back: that
would spend the messages' delivery limit (5 returns on the quorum queues) within a second of
an outage and dead-letter work that is perfectly good. The feeder holds the batch, waits for
the database with a bounded backoff (taking no new messages meanwhile: the consumer is
paused), then handles what is still unsettled again. Only a failure while the database
answers counts against the limit, which is kept for poison messages.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from foundation.broker import BatchHandler, Envelope, Probe

log = structlog.get_logger(__name__)

# Backoff while waiting for the database: from the first to the last step, doubling.
FIRST_WAIT, LONGEST_WAIT = 0.2, 5.0
# How long a batch is held waiting before it is given back after all: well inside
# RabbitMQ's 30-minute consumer timeout, which would take the messages back anyway.
HOLD_AT_MOST = 20 * 60.0


async def feed(
    inbox: asyncio.Queue[Envelope], handler: BatchHandler, batch_size: int,
    healthy: Probe | None = None,
) -> None:
    """Forever: wait for one message, take whatever else is already waiting, handle them.

    A handler that raises while `healthy()` is true leaves its messages unacked; they are
    given back for redelivery, never dropped (the broker's delivery limit then dead-letters
    a message that always fails). While `healthy()` is false the batch is held (above).
    """
    while True:
        batch = [await inbox.get()]
        while len(batch) < batch_size:
            try:
                batch.append(inbox.get_nowait())
            except asyncio.QueueEmpty:
                break
        await handle_held(batch, handler, healthy)


async def handle_held(
    batch: list[Envelope], handler: BatchHandler, healthy: Probe | None,
    hold_at_most: float = HOLD_AT_MOST,
) -> None:
    """Handle the batch; through an outage, keep it and try again once the database is back."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + hold_at_most
    while True:
        try:
            await handler(batch)
            return
        except asyncio.CancelledError:
            raise
        except Exception as error:
            unsettled = [e for e in batch if not e.settled]
            if healthy is None or not unsettled or await healthy():
                log.exception("batch_failed", messages=[e.message_id for e in batch])
                await _give_back(unsettled)
                return
            log.warning("database_unreachable_consumer_paused", error=repr(error),
                        messages=len(unsettled))
            if not await wait_until_healthy(healthy, give_up):
                log.error("database_still_unreachable_batch_given_back", messages=len(unsettled))
                await _give_back(unsettled)
                return
            log.info("database_back_consumer_resumed", messages=len(unsettled))
            batch = unsettled


async def wait_until_healthy(healthy: Probe, until: float) -> bool:
    """Probe with a doubling wait (bounded) until `healthy()`; False if `until` passes."""
    loop = asyncio.get_running_loop()
    wait = FIRST_WAIT
    while loop.time() < until:
        await asyncio.sleep(wait)
        if await healthy():
            return True
        wait = min(wait * 2, LONGEST_WAIT)
    return False


async def _give_back(batch: list[Envelope]) -> None:
    for envelope in batch:
        with contextlib.suppress(Exception):
            await envelope.reject(requeue=True)
