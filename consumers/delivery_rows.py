"""What the delivery worker reads to send a batch: the columns it needs, in one query.

Each delivery comes with its agency's channel (an outer join: agencies without a row use
their inbox) as small frozen records, not ORM entities: building a Delivery and an
AgencyChannel entity per delivery, with every column decoded, and a second query for the
channels, were a visible share of a delivery worker's CPU (bench/pipeline.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlmodel
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.orm import QueryableAttribute, load_only
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.database import among_parameter, on_postgres
from foundation.models import AgencyChannel, ChannelKind, Delivery, Document


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    """A delivery as read for sending: what its channel and its commit need."""

    id: str
    document_id: str
    agency_id: str
    agency_name: str
    reasons: list[dict[str, Any]]
    state: str
    retry_at: dt.datetime | None
    attempt_rounds: int
    redrives: int
    faults: int
    event_count: int
    last_hash: str | None


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """The agency's channel as read for sending (its webhook secrets included)."""

    kind: str
    target: str | None = None
    secret: SecretStr | None = None
    previous_secret: SecretStr | None = None
    previous_until: dt.datetime | None = None


_DELIVERY = (
    col(Delivery.id), col(Delivery.document_id), col(Delivery.agency_id),
    col(Delivery.agency_name), col(Delivery.reasons), col(Delivery.state),
    col(Delivery.retry_at), col(Delivery.attempt_rounds), col(Delivery.redrives),
    col(Delivery.faults), col(Delivery.event_count), col(Delivery.last_hash),
)
# The channel's kind first: NULL when the agency has no row (its inbox).
_CHANNEL = (
    col(AgencyChannel.kind), col(AgencyChannel.target), col(AgencyChannel.secret),
    col(AgencyChannel.previous_secret), col(AgencyChannel.previous_until),
)
INBOX = ChannelRow(kind=ChannelKind.INBOX)
# What the channels that do not read the whole document read of it (`document_part`, the
# e-mail's subject and text): the router's stored expansion, the packet and the original
# file are most of a document's row and were decoded for every batch.
_HEADING: tuple[QueryableAttribute[Any], ...] = tuple(
    getattr(Document, name)
    for name in ("id", "number", "date", "issuer", "subject", "urgency", "sender", "text")
)


# Built once per dialect, not per batch: SQLAlchemy computes a statement's cache key by
# walking it on every execution of a new statement object, and only once for one kept.
_DELIVERIES = {
    postgres: select(*_DELIVERY, *_CHANNEL)
    .outerjoin(AgencyChannel, col(AgencyChannel.agency_id) == col(Delivery.agency_id))
    .where(among_parameter(col(Delivery.id), postgres, "ids"))
    for postgres in (True, False)
}
_DOCUMENTS = {
    (postgres, whole): sqlmodel.select(Document)
    .where(among_parameter(col(Document.id), postgres, "ids"))
    .options(*(() if whole else (load_only(*_HEADING, raiseload=True),)))
    for postgres in (True, False) for whole in (True, False)
}


async def read_deliveries(
    session: AsyncSession, ids: set[str]
) -> dict[str, tuple[DeliveryRow, ChannelRow]]:
    """The deliveries found among `ids`, each with its agency's channel."""
    if not ids:
        return {}
    connection = await session.connection()
    width = len(_DELIVERY)
    found: dict[str, tuple[DeliveryRow, ChannelRow]] = {}
    rows = await connection.execute(_DELIVERIES[on_postgres(session)], {"ids": list(ids)})
    for row in rows:
        delivery = DeliveryRow(*row[:width])
        kind = row[width]
        found[delivery.id] = (delivery, INBOX if kind is None else ChannelRow(*row[width:]))
    return found


async def read_documents(
    session: AsyncSession, ids: set[str], *, whole: bool
) -> dict[str, Document]:
    """The documents by id: whole, or only their heading and text (any other attribute then
    raises rather than being read later)."""
    if not ids:
        return {}
    query = _DOCUMENTS[on_postgres(session), whole]
    result = await session.exec(query, params={"ids": list(ids)})
    return {d.id: d for d in result.all()}
