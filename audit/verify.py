"""`docroute audit verify`: check every delivery's hash-chained history against its anchor.

The check streams: deliveries are read `CHUNK` at a time (id, event count, last hash), each
chunk with its events in one short read, and the hashing runs in a worker thread, so neither
memory nor the event loop grows with the size of the history.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from audit.chain import ChainBreak, ChainedEvent, verify
from foundation.database import SessionFactory, among
from foundation.history import event_content
from foundation.models import Delivery, DeliveryEvent

CHUNK = 500
Anchor = tuple[str, int, str | None]  # delivery id, event count, last hash


@dataclass(frozen=True)
class DeliveryBreak:
    """A break in one delivery's history."""

    delivery_id: str
    brk: ChainBreak

    def __str__(self) -> str:
        return f"delivery {self.delivery_id}: {self.brk}"


async def verify_histories(
    sessions: SessionFactory, delivery_ids: list[str] | None = None, *, chunk: int = CHUNK
) -> tuple[int, list[DeliveryBreak]]:
    """(deliveries checked, breaks found) over all deliveries or the given ones."""
    checked, breaks = 0, []
    async for anchors, events in _chunks(sessions, delivery_ids, chunk):
        checked += len(anchors)
        breaks += await asyncio.to_thread(_check, anchors, events)
    return checked, breaks


async def _chunks(
    sessions: SessionFactory, delivery_ids: list[str] | None, size: int
) -> AsyncIterator[tuple[list[Anchor], dict[str, list[ChainedEvent]]]]:
    after = ""
    while True:
        async with sessions() as session:
            query = (
                select(col(Delivery.id), col(Delivery.event_count), col(Delivery.last_hash))
                .where(col(Delivery.id) > after)
                .order_by(col(Delivery.id))
                .limit(size)
            )
            if delivery_ids is not None:
                query = query.where(among(session, Delivery.id, delivery_ids))
            anchors: list[Anchor] = [(i, n, h) for i, n, h in (await session.exec(query)).all()]
            events = await _events(session, [a[0] for a in anchors])
        if not anchors:
            return
        yield anchors, events
        if len(anchors) < size:
            return
        after = anchors[-1][0]


def _check(anchors: list[Anchor], events: dict[str, list[ChainedEvent]]) -> list[DeliveryBreak]:
    """The breaks of a chunk (CPU only: run in a worker thread)."""
    out: list[DeliveryBreak] = []
    for delivery_id, count, last_hash in anchors:
        chain = events.get(delivery_id, [])
        out.extend(DeliveryBreak(delivery_id, b) for b in verify(chain, (count, last_hash or "")))
    return out


async def _events(session: AsyncSession, delivery_ids: list[str]) -> dict[str, list[ChainedEvent]]:
    # Stored order (the row id), not seq: a reordering must show, not be sorted away.
    out: dict[str, list[ChainedEvent]] = {}
    if not delivery_ids:
        return out
    query = (
        select(DeliveryEvent)
        .where(among(session, DeliveryEvent.delivery_id, delivery_ids))
        .order_by(col(DeliveryEvent.delivery_id), col(DeliveryEvent.id))
    )
    for event in (await session.exec(query)).all():
        out.setdefault(event.delivery_id, []).append(
            ChainedEvent(
                str(event.id), event.seq, event_content(event), event.prev_hash, event.hash
            )
        )
    return out
