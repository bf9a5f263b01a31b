"""Settling a batch of sent deliveries in one statement.

Each settled delivery gets its outcome (state, channel, failure) and its history anchor (the
count and hash of the row that records the outcome) in one UPDATE over a JSON array of
settlements, instead of one statement per outcome plus one per anchor: the delivery workers'
commit is their largest database cost (bench/pipeline.py). A delivery changes only if it is
still pending with the history it was sent with: a concurrent redelivery that settled it
first, or a re-drive that gave it a new history row, leaves it alone and out of the result.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import orjson
from sqlalchemy import DateTime, bindparam, text
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.database import on_postgres
from foundation.models import DeliveryState

_COLUMNS = "id, state, channel, failure, prev, seq, hash"
# The settlements as a table `v`: PostgreSQL reads the JSON array as records, SQLite walks it.
_SETTLEMENTS = {
    True: "json_to_recordset(CAST(:settlements AS json)) AS v(id varchar, state varchar, "
    "channel varchar, failure text, prev int, seq int, hash varchar)",
    False: "(SELECT " + ", ".join(f"value->>'{c}' AS {c}" for c in _COLUMNS.split(", "))
    + " FROM json_each(:settlements)) AS v",
}
_UPDATE = """
UPDATE delivery SET state = v.state, channel = v.channel, failure = v.failure,
    updated_at = :at, event_count = v.seq, last_hash = v.hash
FROM {settlements}
WHERE delivery.id = v.id AND delivery.state = '{pending}' AND delivery.event_count = v.prev
RETURNING delivery.id
"""
_STATEMENTS = {
    postgres: text(_UPDATE.format(settlements=source, pending=DeliveryState.PENDING.value))
    .bindparams(bindparam("at", type_=DateTime(timezone=True)))
    for postgres, source in _SETTLEMENTS.items()
}


@dataclass(frozen=True)
class Settlement:
    """The outcome of one delivery and the history row that records it."""

    id: str
    state: str
    channel: str
    failure: str | None
    prev: int  # the history's length when the delivery was read for sending
    seq: int  # the new row's position
    hash: str  # the new row's hash


async def settle(
    session: AsyncSession, settlements: list[Settlement], at: dt.datetime
) -> set[str]:
    """Apply the settlements; return the ids of the deliveries that changed."""
    if not settlements:
        return set()
    # orjson writes a dataclass as the dict asdict() gives, in field order, without
    # asdict's deep copy of each one (about 10 us per settlement).
    payload = orjson.dumps(settlements).decode()
    statement = _STATEMENTS[on_postgres(session)]
    connection = await session.connection()
    result = await connection.execute(statement, {"settlements": payload, "at": at})
    return {row[0] for row in result.all()}
