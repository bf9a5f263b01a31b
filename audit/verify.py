"""`docroute audit verify`: check every delivery's hash-chained history against its anchor."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from audit.chain import ChainBreak, ChainedEvent, verify
from foundation.history import event_content
from foundation.models import Delivery, DeliveryEvent


@dataclass(frozen=True)
class DeliveryBreak:
    """A break in one delivery's history."""

    delivery_id: str
    brk: ChainBreak

    def __str__(self) -> str:
        return f"delivery {self.delivery_id}: {self.brk}"


async def verify_histories(
    session: AsyncSession, delivery_ids: list[str] | None = None
) -> tuple[int, list[DeliveryBreak]]:
    """(deliveries checked, breaks found) over all deliveries or the given ones."""
    query = select(Delivery).order_by(col(Delivery.id))
    if delivery_ids is not None:
        query = query.where(col(Delivery.id).in_(delivery_ids))
    deliveries = (await session.exec(query)).all()
    events = await _events(session, [d.id for d in deliveries] if delivery_ids else None)
    breaks: list[DeliveryBreak] = []
    for delivery in deliveries:
        chain = events.get(delivery.id, [])
        anchor = (delivery.event_count, delivery.last_hash or "")
        breaks.extend(DeliveryBreak(delivery.id, b) for b in verify(chain, anchor))
    return len(deliveries), breaks


async def _events(
    session: AsyncSession, delivery_ids: list[str] | None
) -> dict[str, list[ChainedEvent]]:
    # Stored order (the row id), not seq: a reordering must show, not be sorted away.
    query = select(DeliveryEvent).order_by(col(DeliveryEvent.delivery_id), col(DeliveryEvent.id))
    if delivery_ids is not None:
        query = query.where(col(DeliveryEvent.delivery_id).in_(delivery_ids))
    out: dict[str, list[ChainedEvent]] = {}
    for event in (await session.exec(query)).all():
        out.setdefault(event.delivery_id, []).append(
            ChainedEvent(
                str(event.id), event.seq, event_content(event), event.prev_hash, event.hash
            )
        )
    return out
