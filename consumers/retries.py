"""Later rounds of attempts, kept in the database rather than in a held message.

A channel makes one round of attempts within seconds. When the round ends in a transient
fault (the agency's host down, a 5xx, a timeout), the delivery worker leaves the delivery
pending with the round counted, a `retry` history row, and `retry_at` set by the schedule
(`schedule_round`), then acks its message like any other: a slow or dead agency holds no
message, no prefetch slot and no other agency's commit. The relaying process requeues the
deliveries that are due (`requeue_due`), clearing `retry_at` in the same transaction as the
outbox message, so a crash leaves either both done or neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consumers.delivery_rows import DeliveryRow
from foundation.database import SessionFactory, among, on_postgres, transaction
from foundation.history import event_row
from foundation.models import Delivery, DeliveryState
from foundation.models.clock import utcnow
from foundation.outbox import add_delivery_messages
from foundation.periodic import every

log = structlog.get_logger(__name__)


async def schedule_round(
    session: AsyncSession, delivery: DeliveryRow, note: str, actor: str, wait: float,
    now: dt.datetime,
) -> dict[str, Any] | None:
    """Count the failed round and set the next one `wait` seconds from `now`; return the
    history row to store, or None if the delivery changed since it was read for sending."""
    rounds = delivery.attempt_rounds + 1
    due = now + dt.timedelta(seconds=wait)
    event = event_row(delivery.id, delivery.event_count, delivery.last_hash, "retry",
                      str(rounds), note=f"{note}; next round at {due.isoformat()}", actor=actor)
    changed = await session.exec(
        update(Delivery)
        .where(col(Delivery.id) == delivery.id)
        .where(col(Delivery.state) == DeliveryState.PENDING)
        .where(col(Delivery.event_count) == delivery.event_count)
        .values(attempt_rounds=rounds, retry_at=due, updated_at=now,
                event_count=event["seq"], last_hash=event["hash"])
    )
    return event if changed.rowcount else None


async def requeue_due(sessions: SessionFactory, *, limit: int = 500) -> int:
    """Queue the deliveries whose next round is due; return how many."""
    async with transaction(sessions) as session:
        query = (
            select(Delivery.id)
            .where(col(Delivery.retry_at).is_not(None))
            .where(col(Delivery.retry_at) <= utcnow())
            .where(col(Delivery.state) == DeliveryState.PENDING)
            .order_by(col(Delivery.retry_at))
            .limit(limit)
        )
        if on_postgres(session):  # two relaying processes never requeue the same one
            query = query.with_for_update(skip_locked=True)
        due = list((await session.exec(query)).all())
        if due:
            await session.exec(
                update(Delivery).where(among(session, col(Delivery.id), due)).values(retry_at=None)
            )
            add_delivery_messages(session, due)
    if due:
        log.info("retry_round_queued", deliveries=len(due))
    return len(due)


async def requeue_forever(
    sessions: SessionFactory, every_seconds: float, on_commit: Callable[[], None]
) -> None:
    """Requeue due deliveries every `every_seconds`, until cancelled (a failed pass leaves
    them due in the database, and the next pass takes them)."""

    async def step() -> None:
        if await requeue_due(sessions):
            on_commit()

    await every(every_seconds, step, "retry_requeue_failed")
