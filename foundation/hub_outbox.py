"""The edXML exchange's own outbox: packets to send (to the hub, or to the URL of an agency's
own edXML system) and packets fetched from the hub.

An outbound row is keyed by what produced it (a delivery id, a status report's key), so the
same packet is queued once; an inbound row is unique per hub id, so a packet fetched twice is
stored once. Rows are written in the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.models import HubMessage, HubState
from foundation.models.clock import utcnow


async def queue_outbound(
    session: AsyncSession, key: str, kind: str, body: bytes, document_id: str | None = None,
    target: str | None = None, agency_id: str | None = None,
) -> bool:
    """Queue a packet under `key` for the hub (`target` None) or for the system at the URL
    `target` of the agency `agency_id` (whose channel secrets sign the POST); False when that
    key was already queued."""
    if await session.get(HubMessage, key) is not None:
        return False
    session.add(HubMessage(id=key, direction="out", kind=kind, body=body,
                           document_id=document_id, target=target,
                           agency_id=agency_id if target is not None else None))
    return True


async def store_inbound(session: AsyncSession, hub_id: str, kind: str, body: bytes) -> bool:
    """Keep a fetched packet before the hub is told it was received; False if already kept."""
    query = select(HubMessage).where(HubMessage.direction == "in", HubMessage.hub_id == hub_id)
    if (await session.exec(query)).first() is not None:
        return False
    # A name-based UUID: the same hub id always gives the same row id, whatever its length.
    row_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"hub-in:{hub_id}"))
    session.add(HubMessage(id=row_id, direction="in", kind=kind, hub_id=hub_id, body=body))
    try:
        await session.flush()
    except IntegrityError:  # fetched concurrently by another poller
        await session.rollback()
        return False
    return True


async def store_failed_fetch(session: AsyncSession, hub_id: str, kind: str, reason: str) -> bool:
    """Keep, as failed with `reason`, a packet the hub listed but would not give: no bytes, but
    its hub id and why, for the auditors; False if that hub id is already kept."""
    if not await store_inbound(session, hub_id, kind, b""):
        return False
    query = select(HubMessage).where(HubMessage.direction == "in", HubMessage.hub_id == hub_id)
    row = (await session.exec(query)).one()
    mark_failed(row, reason, final=True)
    session.add(row)
    return True


async def pending(session: AsyncSession, direction: str, limit: int = 100) -> list[HubMessage]:
    """Rows still to send to the hub (out) or to import (in), oldest first."""
    query = (
        select(HubMessage)
        .where(HubMessage.direction == direction, HubMessage.state == HubState.PENDING,
               col(HubMessage.target).is_(None))
        .order_by(col(HubMessage.created_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


async def due_for_urls(session: AsyncSession, now: dt.datetime, limit: int = 100
                       ) -> list[HubMessage]:
    """Outbound rows addressed to a URL whose attempt is due, oldest first."""
    query = (
        select(HubMessage)
        .where(HubMessage.direction == "out", HubMessage.state == HubState.PENDING,
               col(HubMessage.target).is_not(None),
               or_(col(HubMessage.next_attempt_at).is_(None),
                   col(HubMessage.next_attempt_at) <= now))
        .order_by(col(HubMessage.created_at))
        .limit(limit)
    )
    return list((await session.exec(query)).all())


def mark_done(row: HubMessage, hub_id: str | None = None) -> None:
    """The row was sent (with the hub's id for it) or imported."""
    row.state, row.done_at = HubState.DONE, utcnow()
    if hub_id is not None:
        row.hub_id = hub_id


def mark_failed(row: HubMessage, error: str, final: bool,
                retry_at: dt.datetime | None = None) -> None:
    """An attempt failed; a final failure stops further attempts, else the next is made at
    `retry_at` (None: the next pass)."""
    row.attempts += 1
    row.error = error[:2000]
    row.next_attempt_at = retry_at
    if final:
        row.state = HubState.FAILED
