"""The outbox relay marks a row sent only on the broker's confirm, and several relays on
PostgreSQL never publish one row twice."""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
from sqlalchemy import event
from sqlmodel import col, select

from foundation.broker import DOCUMENTS, BatchHandler, PublishError
from foundation.database import create_engine, session_factory, transaction
from foundation.migrate import migrate
from foundation.models import OutboxMessage
from foundation.outbox import add_message
from foundation.relay import Relay
from foundation.settings import Settings


class RecordingBroker:
    """Confirms what it is given, except ids it is told to refuse; counts publishes."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.published: Counter[str] = Counter()
        self.refuse = refuse or set()

    async def start(self) -> None:
        """Nothing to start."""

    async def publish(self, queue: str, message_id: str, body: bytes) -> None:
        """Confirm, or refuse as told."""
        await asyncio.sleep(0)  # let other relays run between publishes
        if message_id in self.refuse:
            raise PublishError("nacked")
        self.published[message_id] += 1

    async def consume(self, queue: str, handler: BatchHandler) -> None:
        """Unused."""

    async def dead_letters(self, queue: str) -> list[bytes]:
        """Unused."""
        return []

    async def ready(self) -> bool:
        """Always."""
        return True

    async def close(self) -> None:
        """Nothing to close."""


async def _outbox(settings: Settings, count: int) -> tuple[Any, list[str]]:
    engine = create_engine(settings.database_url)
    await migrate(engine)
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        ids = [add_message(session, DOCUMENTS, {"n": n}).message_id for n in range(count)]
    return engine, ids


async def test_unconfirmed_rows_stay_pending_and_go_out_on_the_next_pass(stack: Settings) -> None:
    """A row the broker refuses is not marked sent; once the broker confirms, it is."""
    engine, ids = await _outbox(stack, 5)
    sessions = session_factory(engine)
    broker = RecordingBroker(refuse={ids[2]})
    relay = Relay(sessions, broker, batch=100, idle_seconds=0.01, skip_locked=stack.on_postgres)
    assert await relay.publish_pending() == 4
    async with sessions() as session:
        pending = (await session.exec(
            select(OutboxMessage.message_id).where(col(OutboxMessage.sent_at).is_(None))
        )).all()
    assert list(pending) == [ids[2]]
    broker.refuse.clear()
    assert await relay.publish_pending() == 1
    assert await relay.publish_pending() == 0
    assert broker.published == Counter(ids)
    await engine.dispose()


async def test_concurrent_relays_on_postgres_publish_each_row_once(real: Settings) -> None:
    """Four relays draining 400 rows at once (SKIP LOCKED) publish every row exactly once."""
    engine, ids = await _outbox(real, 400)
    broker = RecordingBroker()
    relays = [Relay(session_factory(engine), broker, batch=25, idle_seconds=0.01,
                    skip_locked=True) for _ in range(4)]

    async def drain(relay: Relay) -> None:
        while await relay.publish_pending():
            pass

    await asyncio.gather(*(drain(relay) for relay in relays))
    assert broker.published == Counter(ids)
    await engine.dispose()


class HeldBroker(RecordingBroker):
    """Holds each publish until `release` is set; `holding` is set while one waits."""

    def __init__(self) -> None:
        super().__init__()
        self.release = asyncio.Event()
        self.holding = asyncio.Event()

    async def publish(self, queue: str, message_id: str, body: bytes) -> None:
        """Confirm once released."""
        self.holding.set()
        await self.release.wait()
        await super().publish(queue, message_id, body)


async def _stop(task: asyncio.Task[None]) -> None:
    """Cancel a running relay and wait until it has let go of its connection."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _published(broker: RecordingBroker, ids: list[str], within: float = 10.0) -> None:
    async with asyncio.timeout(within):
        while any(broker.published[i] == 0 for i in ids):
            await asyncio.sleep(0.01)


async def _add(sessions: Any, count: int) -> list[str]:
    async with transaction(sessions) as session:
        return [add_message(session, DOCUMENTS, {"n": n}).message_id for n in range(count)]


async def test_a_nudge_during_a_pass_is_not_lost(real: Settings) -> None:
    """A row committed and nudged while a pass publishes goes out at once after it, not at
    the next poll (here a minute away). PostgreSQL: on SQLite the pass holds the write lock,
    so no row can be committed meanwhile."""
    engine, first = await _outbox(real, 1)
    sessions = session_factory(engine)
    broker = HeldBroker()
    relay = Relay(sessions, broker, batch=100, idle_seconds=60, skip_locked=True)
    task = asyncio.create_task(relay.run())
    try:
        await broker.holding.wait()  # the first pass has taken the first row
        second = await _add(sessions, 1)
        relay.nudge()
        broker.release.set()
        await _published(broker, first + second)
    finally:
        await _stop(task)
        await engine.dispose()
    assert broker.published == Counter(first + second)


async def test_a_full_batch_is_followed_by_another_pass_at_once(stack: Settings) -> None:
    """Rows beyond one batch go out without waiting for a nudge or a poll."""
    engine, ids = await _outbox(stack, 7)
    relay = Relay(session_factory(engine), broker := RecordingBroker(), batch=2,
                  idle_seconds=60, skip_locked=stack.on_postgres)
    task = asyncio.create_task(relay.run())
    try:
        await _published(broker, ids)
    finally:
        await _stop(task)
        await engine.dispose()
    assert broker.published == Counter(ids)


async def test_a_poll_finds_rows_nobody_nudged_about(stack: Settings) -> None:
    """Rows committed elsewhere (no nudge) go out at the next poll; on PostgreSQL the poll
    looks for them outside a transaction first."""
    engine, _ = await _outbox(stack, 0)
    sessions = session_factory(engine)
    relay = Relay(sessions, broker := RecordingBroker(), batch=100, idle_seconds=0.05,
                  skip_locked=stack.on_postgres)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(0.2)  # a few empty polls
        ids = await _add(sessions, 3)
        await _published(broker, ids)
    finally:
        await _stop(task)
        await engine.dispose()
    assert broker.published == Counter(ids)


async def test_rows_of_a_relay_that_died_mid_pass_go_out_once_its_claim_runs_out(
    real: Settings, monkeypatch: Any
) -> None:
    """PostgreSQL: a relay claims its batch with a statement that commits on its own. When it
    dies while publishing, the rows stay pending and claimed: another relay leaves them alone
    while the claim lasts, then publishes each of them (a republish, never a loss), and marks
    them sent."""
    monkeypatch.setattr("foundation.relay.CLAIM_SECONDS", 0.5)
    engine, ids = await _outbox(real, 3)
    sessions = session_factory(engine)
    held = HeldBroker()
    dying = Relay(sessions, held, batch=100, idle_seconds=60, skip_locked=True)
    task = asyncio.create_task(dying.run())
    await held.holding.wait()  # the batch is claimed and being published
    await _stop(task)  # dies before any confirm
    survivor = Relay(sessions, broker := RecordingBroker(), batch=100, idle_seconds=60,
                     skip_locked=True)
    assert await survivor.publish_pending() == 0  # still claimed by the dead relay
    await asyncio.sleep(0.6)
    assert await survivor.publish_pending() == 3
    assert await survivor.publish_pending() == 0
    assert broker.published == Counter(ids) and held.published == Counter()
    async with sessions() as session:
        sent = (await session.exec(select(OutboxMessage.message_id).where(
            col(OutboxMessage.sent_at).is_not(None)))).all()
    assert sorted(sent) == sorted(ids)
    await engine.dispose()


async def test_a_pass_is_two_statements_on_postgres(real: Settings, monkeypatch: Any) -> None:
    """PostgreSQL: a pass that publishes is one claim and one mark, each committing on its
    own (no transaction: no BEGIN, no COMMIT); a pass that finds nothing is the claim alone."""
    engine, ids = await _outbox(real, 4)
    statements: list[str] = []
    begins: list[object] = []
    start = asyncpg.transaction.Transaction.start

    async def counted_start(self: Any) -> None:
        begins.append(self)
        await start(self)

    monkeypatch.setattr(asyncpg.transaction.Transaction, "start", counted_start)

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement.split(None, 1)[0].upper())

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    relay = Relay(session_factory(engine), broker := RecordingBroker(), batch=100,
                  idle_seconds=60, skip_locked=True)
    assert await relay.publish_pending() == 4
    assert statements == ["UPDATE", "UPDATE"]
    assert await relay.publish_pending() == 0
    assert statements == ["UPDATE", "UPDATE", "UPDATE"] and begins == []
    assert broker.published == Counter(ids)
    await engine.dispose()


async def test_polls_that_find_nothing_back_off_and_a_nudge_or_a_row_resets_them(
    stack: Settings,
) -> None:
    """Empty polls come less and less often (up to max_idle_seconds), so an idle relay costs
    a few statements a second, not one every idle_seconds; a row committed elsewhere (no
    nudge) still goes out within the longest wait, and a nudge is answered at once."""
    engine, _ = await _outbox(stack, 0)
    sessions = session_factory(engine)
    relay = Relay(sessions, broker := RecordingBroker(), batch=100, idle_seconds=0.01,
                  skip_locked=stack.on_postgres, max_idle_seconds=0.2)
    passes = 0
    publish_batch = relay._publish_batch

    async def counted() -> tuple[int, int]:
        nonlocal passes
        passes += 1
        return await publish_batch()

    relay._publish_batch = counted  # type: ignore[method-assign]
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(1.0)
        assert passes <= 12  # 0.01, 0.02, 0.04, 0.08, 0.16, then 0.2 apart: not 100
        unnudged = await _add(sessions, 2)
        await _published(broker, unnudged, within=0.2 + 0.5)
        await asyncio.sleep(0.5)  # backed off again
        nudged = await _add(sessions, 1)
        relay.nudge()
        async with asyncio.timeout(0.15):  # well before the next poll is due
            while broker.published[nudged[0]] == 0:
                await asyncio.sleep(0.005)
    finally:
        await _stop(task)
        await engine.dispose()
    assert broker.published == Counter(unnudged + nudged)
