"""The scorecard from its running totals (migration 0013's triggers, `fold`) agrees exactly
with the scorecard counted from every delivery row, after a random mix of events, whenever it
is asked and however often the totals were folded; on SQLite and on PostgreSQL."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from typing import Any

import pytest
from sqlalchemy import delete, update
from sqlmodel import col, select

from audit import reports
from foundation.database import SessionFactory, insert_rows, transaction
from foundation.models import Delivery, DeliveryState
from foundation.scorecard_days import fold
from tests.audit.conftest import NOW, add_document

AGENCIES = ["kh.so-y-te", "kh.so-noi-vu", "kh.so-tu-phap", "kh.so-tai-chinh", "kh.ubnd-nha-trang"]
MIDNIGHT = NOW.replace(hour=0)
# Deadlines on both sides of every boundary the totals use: none, days past, earlier today,
# later today, exactly midnight, tomorrow, next year.
DEADLINES: list[dt.datetime | None] = [
    None, NOW - dt.timedelta(days=40), MIDNIGHT - dt.timedelta(microseconds=1), MIDNIGHT,
    NOW - dt.timedelta(hours=1), NOW, NOW + dt.timedelta(hours=2),
    MIDNIGHT + dt.timedelta(days=1), NOW + dt.timedelta(days=300),
]
# The moments the scorecard is asked at: the totals' "today" moves with them.
ASKED = [NOW, MIDNIGHT, MIDNIGHT - dt.timedelta(microseconds=1), NOW + dt.timedelta(days=1),
         NOW - dt.timedelta(days=39)]


async def _plan(sessions: SessionFactory, rng: random.Random) -> None:
    """A document's few deliveries planned at once, as the router does (COPY on PostgreSQL)."""
    document = await add_document(sessions)
    chosen = rng.sample(AGENCIES, rng.randint(1, 3))
    rows: list[dict[str, Any]] = [{
        "id": str(uuid.uuid4()), "document_id": document.id, "agency_id": agency,
        "agency_name": agency.upper(), "state": DeliveryState.PENDING,
        "reasons": [], "categories": ",x,", "due_at": rng.choice(DEADLINES),
        "created_at": NOW, "updated_at": NOW, "event_count": 0, "attempt_rounds": 0,
        "redrives": 0,
    } for agency in chosen]
    async with transaction(sessions) as session:
        await insert_rows(session, Delivery, rows)


async def _change(sessions: SessionFactory, rng: random.Random, delivery_id: str) -> None:
    """One event of a delivery's life: settled, confirmed, rejected, a retry, a new deadline,
    or (rarely) removed."""
    event = rng.choice(["delivered", "failed", "confirm", "reject", "retry", "due", "delete"])
    values: dict[str, Any] = {
        "delivered": {"state": DeliveryState.DELIVERED},
        "failed": {"state": DeliveryState.FAILED, "failure": "HTTP 410"},
        "confirm": {"receipt": rng.choice(["01", "03", "05"]),
                    "confirmed_at": rng.choice([d for d in DEADLINES if d])},
        "reject": {"receipt": "02"},
        "retry": {"attempt_rounds": rng.randint(1, 3)},  # not counted: no change appended
        "due": {"due_at": rng.choice(DEADLINES)},
        "delete": {},
    }[event]
    async with transaction(sessions) as session:
        if event == "delete":
            await session.exec(delete(Delivery).where(col(Delivery.id) == delivery_id))
        elif rng.random() < 0.5:  # through the ORM, as the workers do
            row = await session.get(Delivery, delivery_id)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)
        else:
            await session.exec(
                update(Delivery).where(col(Delivery.id) == delivery_id).values(**values))


async def _both(sessions: SessionFactory, now: dt.datetime) -> tuple[Any, Any]:
    async with sessions() as session:
        return (await reports.scorecard(session, now),
                await reports.scorecard_from_deliveries(session, now))


@pytest.mark.parametrize("seed", [1, 2])
async def test_scorecard_totals_agree_with_the_deliveries(
    sessions: SessionFactory, seed: int
) -> None:
    """Random plans and changes, folded at random moments: at every check, at every moment
    asked, and for a chosen kind of agencies, both scorecards are equal row for row."""
    rng = random.Random(seed)
    for step in range(120):
        async with sessions() as session:
            ids = list((await session.exec(select(col(Delivery.id)))).all())
        if not ids or rng.random() < 0.3:
            await _plan(sessions, rng)
        else:
            await _change(sessions, rng, rng.choice(ids))
        if rng.random() < 0.15:
            await fold(sessions)
        if step % 30 == 29:
            for now in ASKED:
                from_totals, from_rows = await _both(sessions, now)
                assert from_totals == from_rows, (step, now)
    async with sessions() as session:
        chosen = AGENCIES[:2]
        assert (await reports.scorecard(session, NOW, chosen)
                == await reports.scorecard_from_deliveries(session, NOW, chosen))
    await fold(sessions)
    from_totals, from_rows = await _both(sessions, NOW)
    assert from_totals == from_rows and from_rows, "the mix left deliveries to count"

