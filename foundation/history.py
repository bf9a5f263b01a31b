"""The append-only, hash-chained history of deliveries.

Every change of a delivery's state or receipt is a new row. Each row carries its position
(`seq`), the hash of the row before it and its own hash over position, content and that
previous hash; the delivery keeps the count and the last hash as an anchor. Editing,
inserting, reordering or deleting a row then shows (`docroute audit verify`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.models import Delivery, DeliveryEvent
from foundation.models.clock import utcnow

GENESIS = "0" * 64


def moment(value: dt.datetime) -> str:
    """A timestamp as hashed: UTC with microseconds, whether the database returned it naive
    (SQLite) or aware (PostgreSQL)."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_content(event: DeliveryEvent) -> dict[str, Any]:
    """The fields of a history row that its hash covers."""
    return _content(event.delivery_id, event.kind, event.value, event.note, event.actor, event.at)


def _content(
    delivery_id: str, kind: str, value: str, note: str | None, actor: str | None, at: dt.datetime
) -> dict[str, Any]:
    return {
        "delivery_id": delivery_id,
        "kind": kind,
        "value": value,
        "note": note,
        "actor": actor,
        "at": moment(at),
    }


def digest(seq: int, content: Mapping[str, Any], prev_hash: str) -> str:
    """The hash of a row: position, canonical JSON content, previous hash."""
    body = canonical(content)
    return hashlib.sha256(f"{seq}\n{prev_hash}\n{body}".encode()).hexdigest()


def canonical(content: Mapping[str, Any]) -> str:
    """The content as hashed: JSON with sorted keys, compact, not ASCII-escaped.

    A history row's content is strings (and None) under ASCII keys: for those orjson writes
    exactly what the standard library's encoder does (tested over every code point), about
    ten times faster, and hashing is done for every row the router and the delivery workers
    write. Anything else (and a string orjson refuses, such as a lone surrogate) takes the
    standard library's encoder, which defines the canonical form.
    """
    if all(type(v) is str or v is None for v in content.values()) and all(
        type(k) is str and k.isascii() for k in content
    ):
        try:
            return orjson.dumps(content, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:
            pass
    return json.dumps(
        content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def link(seq: int, content: Mapping[str, Any], previous: str | None) -> tuple[str, str]:
    """(prev_hash, hash) of an event at position `seq` appended after an event whose hash is
    `previous` (None for the first)."""
    prev_hash = previous or GENESIS
    return prev_hash, digest(seq, content, prev_hash)


def event_row(
    delivery_id: str,
    count: int,
    last_hash: str | None,
    kind: str,
    value: str,
    note: str | None = None,
    actor: str | None = None,
    at: dt.datetime | None = None,
) -> dict[str, Any]:
    """The columns of the row that follows a history of `count` rows ending in `last_hash`,
    written now, or `at` (a caller writing many rows at one moment passes it once).

    A plain dict, so that bulk inserts skip building ORM objects (most of the cost of
    writing thousands of rows); `append_event` builds the one object it needs from it.
    """
    at, seq = at or utcnow(), count + 1
    content = _content(delivery_id, kind, str(value), note, actor, at)
    prev_hash, hash_ = link(seq, content, last_hash)
    return _row(delivery_id, kind, str(value), note, actor, at, seq, prev_hash, hash_)


def _row(
    delivery_id: str, kind: str, value: str, note: str | None, actor: str | None,
    at: dt.datetime, seq: int, prev_hash: str, hash_: str,
) -> dict[str, Any]:
    """A history row's columns, as `event_row` and `event_rows` give them."""
    return {"delivery_id": delivery_id, "kind": kind, "value": value, "note": note,
            "actor": actor, "at": at, "seq": seq, "prev_hash": prev_hash, "hash": hash_}


# Stands for each delivery's id in `event_rows`' one canonical content.
_PLACE = "delivery-id-placeholder"

# A delivery whose history the next row extends: its id, how many rows it has, the last one's
# hash (None for none).
Chain = tuple[str, int, str | None]


def event_rows(
    chains: Sequence[Chain],
    kind: str,
    value: str,
    note: str | None = None,
    actor: str | None = None,
    at: dt.datetime | None = None,
) -> list[dict[str, Any]]:
    """`event_row(id, count, last_hash, kind, value, note, actor, at)` for each chain: the
    same rows, hashed from one canonical content written once with each delivery's id put in
    its place (writing it per row showed in the router's profile, which hashes a first row
    for every delivery it plans, and in the delivery workers', which hash one per outcome).
    Ids that JSON would not write as they are, or a placeholder found elsewhere in the
    content, take `event_row` itself."""
    if not chains:
        return []
    at, value = at or utcnow(), str(value)
    body = canonical(_content(_PLACE, kind, value, note, actor, at))
    head, _, tail = body.partition(_PLACE)
    joined = "".join(chain[0] for chain in chains)  # JSON writes letters, digits, dashes as is
    if body.count(_PLACE) != 1 or not joined.replace("-", "").isalnum() or not joined.isascii():
        return [event_row(*chain, kind, value, note, actor, at) for chain in chains]
    rows = []
    for delivery_id, count, last_hash in chains:
        seq, prev_hash = count + 1, last_hash or GENESIS
        hashed = f"{seq}\n{prev_hash}\n{head}{delivery_id}{tail}"  # as `digest` hashes
        rows.append(_row(delivery_id, kind, value, note, actor, at, seq, prev_hash,
                         hashlib.sha256(hashed.encode()).hexdigest()))
    return rows


def append_event(
    session: AsyncSession,
    delivery: Delivery,
    kind: str,
    value: str,
    note: str | None = None,
    actor: str | None = None,
) -> DeliveryEvent:
    """Add one history row in the caller's transaction, chained to the delivery's last one.

    The caller holds the delivery's row (locked on PostgreSQL, or inside SQLite's single
    writer), so two appends can never take the same position.
    """
    event = DeliveryEvent(
        **event_row(delivery.id, delivery.event_count, delivery.last_hash, kind, value, note,
                    actor)
    )
    delivery.event_count, delivery.last_hash = event.seq, event.hash
    session.add(event)
    session.add(delivery)
    return event
