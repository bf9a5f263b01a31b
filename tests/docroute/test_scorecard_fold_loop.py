"""The service's own fold loop (`Settings.scorecard_fold_seconds`): with no one calling
`fold`, a running service empties `scorecard_change` into `scorecard_day`, and the scorecard
read from the totals still equals the one counted from every delivery; a service whose
interval has not come yet leaves the changes pending. On SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from sqlalchemy import func, update
from sqlmodel import col, select

from audit import reports
from foundation.database import SessionFactory, insert_rows, transaction
from foundation.models import Delivery, DeliveryState
from foundation.models.clock import utcnow
from foundation.models.scorecard import ScorecardChange, ScorecardDay
from foundation.settings import Settings
from tests.audit.conftest import add_document
from tests.conftest import running

AGENCIES = ["kh.so-y-te", "kh.so-noi-vu", "kh.so-tu-phap"]


async def _plan_and_settle(sessions: SessionFactory) -> None:
    """Three deliveries planned (counted by the triggers), then one delivered."""
    document = await add_document(sessions)
    now = utcnow()
    rows: list[dict[str, Any]] = [{
        "id": str(uuid.uuid4()), "document_id": document.id, "agency_id": agency,
        "agency_name": agency.upper(), "state": DeliveryState.PENDING, "reasons": [],
        "categories": ",x,", "due_at": now, "created_at": now, "updated_at": now,
        "event_count": 0, "attempt_rounds": 0, "redrives": 0,
    } for agency in AGENCIES]
    async with transaction(sessions) as session:
        await insert_rows(session, Delivery, rows)
    async with transaction(sessions) as session:
        await session.exec(update(Delivery).where(col(Delivery.id) == rows[0]["id"])
                           .values(state=DeliveryState.DELIVERED))


async def _counts(sessions: SessionFactory) -> tuple[int, int]:
    async with sessions() as session:
        pending = (await session.exec(select(func.count()).select_from(ScorecardChange))).one()
        days = (await session.exec(select(func.count()).select_from(ScorecardDay))).one()
    return pending, days


async def test_the_service_folds_pending_changes_on_its_own(stack: Settings) -> None:
    """Changes appended by the triggers are folded by the running service within a few of its
    intervals, and the scorecard agrees with the deliveries before and after."""
    settings = stack.model_copy(update={"scorecard_fold_seconds": 0.2})
    async with running(settings, router=False, delivery=False) as service:
        await _plan_and_settle(service.sessions)
        async with service.sessions() as session:
            before = await reports.scorecard_from_deliveries(session, utcnow())
        for _ in range(200):  # up to 20 s: 100 intervals
            pending, days = await _counts(service.sessions)
            if pending == 0 and days > 0:
                break
            await asyncio.sleep(0.1)
        assert (pending, days) == (0, len(AGENCIES)), "the loop folded every change by itself"
        async with service.sessions() as session:
            now = utcnow()
            assert await reports.scorecard(session, now) == before
            assert await reports.scorecard_from_deliveries(session, now) == before


async def test_no_fold_before_the_interval(stack: Settings) -> None:
    """With the default interval (30 s) the changes stay pending for the test's duration: the
    first test's folding is the loop's doing, not the triggers' or the start-up's."""
    assert Settings().scorecard_fold_seconds == 30.0
    async with running(stack, router=False, delivery=False) as service:
        await _plan_and_settle(service.sessions)
        await asyncio.sleep(0.5)
        pending, days = await _counts(service.sessions)
        assert pending > 0 and days == 0
        async with service.sessions() as session:
            now = utcnow()
            assert (await reports.scorecard(session, now)
                    == await reports.scorecard_from_deliveries(session, now))
