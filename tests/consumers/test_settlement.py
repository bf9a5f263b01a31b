"""Settling a batch of deliveries in one statement, on both stacks: outcomes and history
anchors land together, and a settlement read before another change is refused."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict

import orjson

from consumers.settlement import Settlement, settle
from foundation.database import SessionFactory, transaction
from foundation.models import Delivery, DeliveryState
from tests.audit.conftest import add_delivery, add_document

AT = dt.datetime(2026, 11, 22, 8, 30, tzinfo=dt.UTC)


def _settlement(delivery: Delivery, state: str, failure: str | None = None) -> Settlement:
    return Settlement(
        id=delivery.id, state=state, channel="webhook", failure=failure,
        prev=delivery.event_count, seq=delivery.event_count + 1, hash=f"{delivery.id:0>64}"[:64],
    )


async def _reload(sessions: SessionFactory, delivery_id: str) -> Delivery:
    async with sessions() as session:
        delivery = await session.get(Delivery, delivery_id)
        assert delivery is not None
        return delivery


async def test_settle_records_each_outcome_with_its_anchor(sessions: SessionFactory) -> None:
    """Delivered and failed deliveries of one batch get state, channel, failure, time and
    the new history anchor from the single statement; both ids come back as settled."""
    document = await add_document(sessions)
    sent = await add_delivery(sessions, document, "a", state=DeliveryState.PENDING)
    refused = await add_delivery(sessions, document, "b", state=DeliveryState.PENDING)
    batch = [_settlement(sent, DeliveryState.DELIVERED),
             _settlement(refused, DeliveryState.FAILED, "HTTP 410 from the agency")]
    async with transaction(sessions) as session:
        settled = await settle(session, batch, AT)
    assert settled == {sent.id, refused.id}
    for item in batch:
        row = await _reload(sessions, item.id)
        assert (row.state, row.channel, row.failure) == (item.state, "webhook", item.failure)
        assert (row.event_count, row.last_hash) == (item.seq, item.hash)
        assert row.updated_at.replace(tzinfo=row.updated_at.tzinfo or dt.UTC) == AT


async def test_settle_leaves_deliveries_changed_since_they_were_read(
    sessions: SessionFactory,
) -> None:
    """A delivery already settled, or whose history grew after it was read for sending,
    keeps its row as it is and is not reported as settled."""
    document = await add_document(sessions)
    done = await add_delivery(sessions, document, "a", state=DeliveryState.DELIVERED)
    moved = await add_delivery(sessions, document, "b", state=DeliveryState.PENDING)
    stale = Settlement(id=moved.id, state=DeliveryState.DELIVERED, channel="webhook",
                       failure=None, prev=moved.event_count - 1, seq=moved.event_count,
                       hash="f" * 64)
    async with transaction(sessions) as session:
        settled = await settle(session, [_settlement(done, DeliveryState.FAILED, "x"), stale], AT)
    assert settled == set()
    assert (await _reload(sessions, done.id)).state == DeliveryState.DELIVERED
    unchanged = await _reload(sessions, moved.id)
    assert (unchanged.state, unchanged.event_count) == (DeliveryState.PENDING, moved.event_count)


def test_settlements_are_sent_as_their_fields_in_order() -> None:
    """The JSON array the statement reads is each settlement's fields, as asdict gives them
    (orjson writes the dataclass itself)."""
    settlements = [
        Settlement(id="a", state=DeliveryState.DELIVERED, channel="webhook", failure=None,
                   prev=1, seq=2, hash="h" * 64),
        Settlement(id="b", state="failed", channel="email", failure='"nốt"\u2028\n', prev=0,
                   seq=1, hash="g" * 64),
    ]
    assert orjson.dumps(settlements) == orjson.dumps([asdict(s) for s in settlements])
