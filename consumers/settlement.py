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
from typing import Any

import orjson
from sqlalchemy import DateTime, String, bindparam, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.database import on_postgres
from foundation.models import DeliveryState
from foundation.outbox import CLAIM_IDS_SQL

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


# The whole commit of a batch whose outcomes need nothing else (no dead letter to queue, no
# later round to schedule) as one statement, run outside a transaction (a statement is
# atomic): claiming the message ids, settling, and writing the history rows of the
# deliveries settled, in 1 round trip where BEGIN, three statements and COMMIT took 5.
# The UPDATE's condition reads the claim's result, so the claim is made first, as in the
# transaction: a concurrent copy of the same message waits there, before it locks any
# delivery, and then finds the deliveries settled.
_SETTLE_ALL = text(
    """
WITH claimed AS ("""
    + CLAIM_IDS_SQL
    + """
    RETURNING 1
), settled AS ("""
    + _UPDATE.format(settlements=_SETTLEMENTS[True], pending=DeliveryState.PENDING.value)
    .replace("RETURNING", "AND (SELECT count(*) FROM claimed) >= 0\nRETURNING")
    + """), written AS (
    INSERT INTO delivery_event (delivery_id, kind, value, note, actor, at, seq, prev_hash, hash)
    SELECT e.delivery_id, e.kind, e.value, e.note, e.actor, e.at, e.seq, e.prev_hash, e.hash
    FROM json_to_recordset(CAST(:events AS json)) AS e(delivery_id varchar, kind varchar,
        value varchar, note text, actor varchar, at timestamptz, seq int, prev_hash varchar,
        hash varchar)
    JOIN settled ON settled.id = e.delivery_id
)
SELECT id FROM settled
"""
).bindparams(bindparam("ids", type_=ARRAY(String)),
             bindparam("at", type_=DateTime(timezone=True)))


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


async def settle_all(
    session: AsyncSession, consumer: str, message_ids: list[str],
    settlements: list[Settlement], events: list[dict[str, Any]], at: dt.datetime,
) -> set[str]:
    """On PostgreSQL, in one statement: claim the message ids (`claim_messages`), apply the
    settlements (`settle`) and write `events` (history rows, one per settlement) of the
    deliveries that changed; return their ids. The session must be outside a transaction
    (`foundation.database.single_statement_sessions`): the statement is then its own."""
    parameters = {
        "consumer": consumer, "ids": sorted(set(message_ids)), "at": at,
        "settlements": orjson.dumps(settlements).decode(), "events": orjson.dumps(events).decode(),
    }
    connection = await session.connection()
    result = await connection.execute(_SETTLE_ALL, parameters)
    return {row[0] for row in result.all()}
