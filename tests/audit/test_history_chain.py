"""The stored history is hash-chained: `verify` names an edited, inserted or deleted event."""

from __future__ import annotations

from sqlalchemy import text

from audit.verify import verify_histories
from foundation.database import SessionFactory, transaction
from foundation.history import append_event
from foundation.models import Delivery
from tests.audit.conftest import add_delivery, add_document


async def _delivery_with_history(sessions: SessionFactory) -> Delivery:
    doc = await add_document(sessions)
    delivery = await add_delivery(sessions, doc, "kh.so-noi-vu")
    async with transaction(sessions) as session:
        row = await session.get(Delivery, delivery.id)
        assert row is not None
        append_event(session, row, "receipt", "01", actor="kh.so-noi-vu")
        append_event(session, row, "receipt", "03", actor="kh.so-noi-vu")
    return delivery


async def _tamper(sessions: SessionFactory, statement: str, delivery_id: str) -> None:
    """Change the stored history behind the service's back."""
    async with transaction(sessions) as session:
        await session.exec(text(statement).bindparams(d=delivery_id))  # type: ignore[call-overload]


async def test_untouched_histories_verify(sessions: SessionFactory) -> None:
    """Histories written by the service verify with no break."""
    await _delivery_with_history(sessions)
    checked, breaks = await verify_histories(sessions)
    assert (checked, breaks) == (1, [])


async def test_edited_event_is_named(sessions: SessionFactory) -> None:
    """An UPDATE of a stored status is found and named."""
    delivery = await _delivery_with_history(sessions)
    await _tamper(
        sessions,
        "UPDATE delivery_event SET value = '02' WHERE delivery_id = :d AND value = '03'",
        delivery.id,
    )
    _, breaks = await verify_histories(sessions)
    assert [(b.delivery_id, b.brk.seq, b.brk.kind) for b in breaks] == [(delivery.id, 3, "edited")]


async def test_deleted_event_is_named(sessions: SessionFactory) -> None:
    """A DELETE of a middle event is found at the event after the gap."""
    delivery = await _delivery_with_history(sessions)
    await _tamper(
        sessions, "DELETE FROM delivery_event WHERE delivery_id = :d AND seq = 2", delivery.id
    )
    _, breaks = await verify_histories(sessions)
    assert [(b.brk.seq, b.brk.kind) for b in breaks] == [(3, "deleted")]


async def test_deleted_last_event_is_caught_by_the_anchor(sessions: SessionFactory) -> None:
    """Deleting the newest event leaves a whole chain; the delivery's anchor catches it."""
    delivery = await _delivery_with_history(sessions)
    await _tamper(
        sessions, "DELETE FROM delivery_event WHERE delivery_id = :d AND seq = 3", delivery.id
    )
    _, breaks = await verify_histories(sessions)
    assert [b.brk.kind for b in breaks] == ["truncated"]


async def test_verify_streams_in_chunks_and_names_a_break_in_any_chunk(
    sessions: SessionFactory,
) -> None:
    """Chunks of 2 over 5 deliveries check each delivery once; a break in the last chunk shows."""
    deliveries = [await _delivery_with_history(sessions) for _ in range(5)]
    last = max(d.id for d in deliveries)
    await _tamper(
        sessions,
        "UPDATE delivery_event SET actor = 'someone' WHERE delivery_id = :d AND seq = 2",
        last,
    )
    checked, breaks = await verify_histories(sessions, chunk=2)
    assert checked == 5
    assert [(b.delivery_id, b.brk.seq, b.brk.kind) for b in breaks] == [(last, 2, "edited")]
    assert await verify_histories(sessions, [d.id for d in deliveries if d.id != last], chunk=2) \
        == (4, [])
