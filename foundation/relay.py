"""The outbox relay: publishes pending outbox rows, and marks them sent only on confirm."""

from __future__ import annotations

import asyncio
import contextlib

import orjson
import structlog
from sqlalchemy import update
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
    ) -> None:
        self.sessions = sessions
        self.broker = broker
        self.batch = batch
        self.idle_seconds = idle_seconds
        self.skip_locked = skip_locked
        self._wake = asyncio.Event()
        # Polls look for a pending row outside a transaction first (PostgreSQL only: on
        # SQLite any session's BEGIN takes the write lock).
        self._look = postgres_single_statements(sessions)

    def nudge(self) -> None:
        """Something was just committed to the outbox: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Publish forever; sleep only while the outbox is drained or the broker refuses."""
        outage_wait = 0.0
        nudged = True
        while True:
            # Cleared before the pass looks: a nudge from here on (a row committed after
            # the pass's SELECT) wakes the wait below at once, so none is missed.
            self._wake.clear()
            try:
                again = await self._pass(look_first=not nudged)
                outage_wait = 0.0
            except asyncio.CancelledError:
                raise
            except Exception as error:
                if not is_outage(error):
                    log.exception("relay_failed")
                    again = False
                else:
                    # One line, not a traceback per pass, and a growing pause (bounded): an
                    # outage of minutes must not flood the log or spin the process.
                    outage_wait = min(max(outage_wait * 2, 0.2), 5.0)
                    log.warning("relay_database_unreachable", error=repr(error)[:200],
                                retry_in_seconds=outage_wait)
                    await asyncio.sleep(outage_wait)
                    continue
            nudged = again or await self._woken()

    async def _woken(self) -> bool:
        """Wait for a nudge (True) or for the next poll (False)."""
        # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancellation that
        # arrives as the wait ends, and the relay would never stop.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.idle_seconds):
                await self._wake.wait()
                return True
        return False

    async def publish_pending(self) -> int:
        """Publish one batch of pending rows concurrently; return how many were confirmed."""
        return (await self._publish_batch())[0]

    async def _pass(self, *, look_first: bool) -> bool:
        """One batch; True when another pass is due at once (a full batch: rows may be left;
        some rows confirmed and some not: retry those now, as a pass that published does).

        A poll that no nudge asked for first looks for a pending row with one statement
        outside a transaction, on PostgreSQL (one round trip; the batch's transaction takes
        three to find nothing): most polls find none. Rows that turn up are then taken in
        the transaction, locked, as always."""
        if look_first and self._look is not None and not await self._any_pending(self._look):
            return False
        confirmed, taken = await self._publish_batch()
        return taken == self.batch or 0 < confirmed < taken

    async def _any_pending(self, look: SessionFactory) -> bool:
        async with look() as session:
            query = select(OutboxMessage.id).where(col(OutboxMessage.sent_at).is_(None)).limit(1)
            return (await session.exec(query)).first() is not None

    async def _publish_batch(self) -> tuple[int, int]:
        """(rows confirmed, rows taken) of one batch of pending rows, published concurrently."""
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
            results = await asyncio.gather(*(self._publish(row) for row in rows))
            confirmed = [row.id for row, ok in zip(rows, results, strict=True) if ok]
            if confirmed:
                await session.exec(
                    update(OutboxMessage)
                    .where(col(OutboxMessage.id).in_(confirmed))
                    .values(sent_at=utcnow())
                )
        return len(confirmed), len(rows)

    async def _publish(self, row: OutboxMessage) -> bool:
        body = orjson.dumps(row.payload)
        try:
            await self.broker.publish(row.queue, row.message_id, body)
        except PublishError as error:
            log.warning("publish_unconfirmed", message_id=row.message_id, error=str(error))
            return False
        return True
