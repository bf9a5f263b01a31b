"""The outbox relay: publishes pending outbox rows, and marks them sent only on confirm.

On SQLite a pass is one transaction: the pending rows, their publishes, the UPDATE that marks
the confirmed ones sent. On PostgreSQL, where several relays run, a pass is two statements
that each commit on its own: one claims a batch of pending rows that no other relay has
claimed (`outbox.claimed_until`, CLAIM_SECONDS ahead; SKIP LOCKED while claiming), the other,
after the publishes, marks the confirmed rows sent and gives the others back at once. Two
round trips where the transaction took five (a poll, BEGIN, SELECT ... FOR UPDATE, UPDATE,
COMMIT); a claim that finds nothing is the poll. A crash after the claim leaves the rows
pending and claimed: another relay (or this one restarted) publishes them again once the
claim has run out; a crash after a publish and before the mark publishes that row again
(consumers skip a message id they have handled): never a loss.

A relay is nudged by what its own process commits; it polls for the rest, every
`idle_seconds`, then less and less often (up to MAX_IDLE_SECONDS) while polls find nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any

import orjson
import structlog
from sqlalchemy import Integer, Interval, Table, any_, bindparam, func, or_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import col, select

from foundation.broker import Broker, PublishError
from foundation.database import (
    SessionFactory,
    is_outage,
    postgres_single_statements,
    transaction,
)
from foundation.models import OutboxMessage
from foundation.models.clock import utcnow

log = structlog.get_logger(__name__)

# How long a relay's claim on the rows it publishes lasts (PostgreSQL). Far longer than a pass
# takes (its publishes time out after the broker's publish timeout, 10 s and 1 by default):
# only a relay that died mid-pass leaves rows claimed, and they wait this long.
CLAIM_SECONDS = 60.0
# The longest wait between polls once they keep finding nothing. Rows this process commits
# nudge its relay at once; polls are for rows committed elsewhere without a relay's nudge (a
# delivery worker's dead letters, a CLI command) or left by another relay, which then wait
# up to this long after a quiet spell. In bench/pipeline.py nearly every poll of the API's
# relay found nothing (the router's own relay publishes the router's rows) and, at one
# every 50 ms, they were a sizeable share of the API process's CPU.
MAX_IDLE_SECONDS = 1.0


class Relay:
    """Moves outbox rows to the broker; a crash at any point means a republish, never a loss."""

    def __init__(
        self,
        sessions: SessionFactory,
        broker: Broker,
        batch: int,
        idle_seconds: float,
        *,
        skip_locked: bool,
        max_idle_seconds: float = MAX_IDLE_SECONDS,
    ) -> None:
        self.sessions = sessions
        self.broker = broker
        self.batch = batch
        self.idle_seconds = idle_seconds
        # Polls that find nothing, one after another, wait longer each time, up to this
        # (never less than idle_seconds); a nudge, or a pass that finds rows, starts again
        # from idle_seconds.
        self.max_idle_seconds = max(max_idle_seconds, idle_seconds)
        self._poll_wait = idle_seconds
        self.skip_locked = skip_locked
        self._wake = asyncio.Event()
        # PostgreSQL: a pass is two statements that commit on their own (the module's doc);
        # None on SQLite, where a pass keeps its transaction.
        self._single = postgres_single_statements(sessions)

    def nudge(self) -> None:
        """Something was just committed to the outbox: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Publish forever; sleep only while the outbox is drained or the broker refuses."""
        outage_wait = 0.0
        while True:
            # Cleared before the pass looks: a nudge from here on (a row committed after
            # the pass's SELECT) wakes the wait below at once, so none is missed.
            self._wake.clear()
            try:
                again, taken = await self._pass()
                outage_wait = 0.0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not is_outage(error):
                    log.exception("relay_failed")
                    again, taken = False, 0
                else:
                    # One line, not a traceback per pass, and a growing pause (bounded): an
                    # outage of minutes must not flood the log or spin the process.
                    outage_wait = min(max(outage_wait * 2, 0.2), 5.0)
                    log.warning("relay_database_unreachable", error=repr(error)[:200],
                                retry_in_seconds=outage_wait)
                    await asyncio.sleep(outage_wait)
                    continue
            if not again:
                self._poll_wait = (self.idle_seconds if taken
                                   else min(self._poll_wait * 2, self.max_idle_seconds))
                if await self._woken(self._poll_wait):
                    self._poll_wait = self.idle_seconds

    async def _woken(self, seconds: float) -> bool:
        """Wait for a nudge (True) or for the next poll, `seconds` from now (False)."""
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation that
        # arrives as the wait ends, and the relay would never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()
                return True
        return False

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows concurrently; return how many were confirmed."""
        return (await self._publish_batch())[0]

    async def _pass(self) -> tuple[bool, int]:
        """One batch: (another pass due at once, rows taken). Another pass is due after a
        full batch (rows may be left) and when some rows were confirmed and some not (retry
        those now, as a pass that published does). On PostgreSQL a poll that finds nothing
        is one statement (the claim), on SQLite one transaction."""
        confirmed, taken = await self._publish_batch()
        return taken == self.batch or 0 < confirmed < taken, taken

    async def _publish_batch(self) -> tuple[int, int]:
        """(rows confirmed, rows taken) of one batch of pending rows, published concurrently."""
        if self._single is not None:
            return await self._publish_claimed(self._single)
        async with transaction(self.sessions) as session:
            query = (
                select(OutboxMessage)
                .where(col(OutboxMessage.sent_at).is_(None))
                .order_by(col(OutboxMessage.id))
                .limit(self.batch)
            )
            if self.skip_locked:
                # Several relays may run: each takes rows the others have not locked.
                query = query.with_for_update(skip_locked=True)
            rows = list((await session.exec(query)).all())
            if not rows:
                return 0, 0
            # A window of confirms in flight: publish-and-wait one by one is ten times slower.
            results = await asyncio.gather(*(
                self._publish(row.queue, row.message_id, row.payload) for row in rows))
            confirmed = [row.id for row, ok in zip(rows, results, strict=True) if ok]
            if confirmed:
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(confirmed))
                    .values(sent_at=utcnow())
                )
        return len(confirmed), len(rows)

    async def _publish_claimed(self, single: SessionFactory) -> tuple[int, int]:
        """PostgreSQL: claim a batch, publish it, mark the confirmed rows sent and release
        the others (the module's doc); (rows confirmed, rows claimed)."""
        async with single() as session:
            connection = await session.connection()
            claim = {"claim": dt.timedelta(seconds=CLAIM_SECONDS), "batch": self.batch}
            rows = sorted((await connection.execute(_CLAIM, claim)).all(), key=lambda r: r.id)
            if not rows:
                return 0, 0
            results = await asyncio.gather(*(
                self._publish(row.queue, row.message_id, row.payload) for row in rows))
            confirmed = [row.id for row, ok in zip(rows, results, strict=True) if ok]
            refused = [row.id for row, ok in zip(rows, results, strict=True) if not ok]
            if confirmed:
                await connection.execute(_MARK_SENT, {"ids": confirmed, "now": utcnow()})
            if refused:  # for the next pass, at once, rather than after the claim runs out
                await connection.execute(_RELEASE, {"ids": refused})
        return len(confirmed), len(rows)

    async def _publish(self, queue: str, message_id: str, payload: Any) -> bool:
        body = orjson.dumps(payload)
        try:
            await self.broker.publish(queue, message_id, body)
        except PublishError as error:
            log.warning("publish_unconfirmed", message_id=message_id, error=str(error))
            return False
        return True


def _claim_statements() -> tuple[Any, Any, Any]:
    # Built once, with parameters (the pass's statements were rebuilt and compiled each time).
    # Claims are in the database's time, which every relay shares (not each host's clock).
    table: Table = OutboxMessage.__table__  # type: ignore[attr-defined]
    pending = (
        select(table.c.id)
        .where(table.c.sent_at.is_(None),
               or_(table.c.claimed_until.is_(None), table.c.claimed_until < func.now()))
        .order_by(table.c.id)
        .limit(bindparam("batch", type_=Integer))
        .with_for_update(skip_locked=True)
    )
    claim = (update(table).where(table.c.id.in_(pending.scalar_subquery()))
             .values(claimed_until=func.now() + bindparam("claim", type_=Interval))
             .returning(table.c.id, table.c.queue, table.c.message_id, table.c.payload))
    ids = any_(bindparam("ids", type_=ARRAY(Integer)))
    mark_sent = update(table).where(table.c.id == ids).values(sent_at=bindparam("now"))
    release = update(table).where(table.c.id == ids).values(claimed_until=None)
    return claim, mark_sent, release


_CLAIM, _MARK_SENT, _RELEASE = _claim_statements()
