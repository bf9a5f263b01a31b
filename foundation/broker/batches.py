"""Turns a stream of messages into batches for consumers, without waiting to fill a batch."""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from foundation.broker import BatchHandler, Envelope

log = structlog.get_logger(__name__)


async def feed(inbox: asyncio.Queue[Envelope], handler: BatchHandler, batch_size: int) -> None:
    """Forever: wait for one message, take whatever else is already waiting, handle them.

    A handler that raises leaves its messages unacked; they are given back for redelivery,
    never dropped (the broker's delivery limit then dead-letters a message that always fails).
    """
    while True:
        batch = [await inbox.get()]
        while len(batch) < batch_size:
            try:
                batch.append(inbox.get_nowait())
            except asyncio.QueueEmpty:
                break
        try:
            await handler(batch)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("batch_failed", messages=[e.message_id for e in batch])
            for envelope in batch:
                with contextlib.suppress(Exception):
                    await envelope.reject(requeue=True)
