"""Reminders and escalations are really sent, once each, and survive a restart."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlmodel import col, select

from audit.notices import NoticeSender
from audit.reminders import BACKOFF, MAX_ATTEMPTS, run_once
from consumers.webhook import WebhookChannel
from foundation.channels import set_channel
from foundation.database import SessionFactory, create_engine, session_factory, transaction
from foundation.models import ChannelKind, DeliveryEvent
from foundation.models.audit import Reminder
from foundation.settings import Settings
from tests.audit.conftest import NOW, add_delivery, add_document
from tests.conftest import SECRET, trickling_server

HOUR = dt.timedelta(hours=1)


@pytest.fixture
async def webhook() -> AsyncIterator[WebhookChannel]:
    """The HTTP client notices are posted with, one attempt per pass as in the service."""
    channel = WebhookChannel(SECRET, attempts=1, timeout=5.0, allow_private=True)
    try:
        yield channel
    finally:
        await channel.close()


def notices(webhook: WebhookChannel) -> NoticeSender:
    """A notice sender signing like the service does."""
    return NoticeSender(webhook, SECRET, "127.0.0.1", 1, "docroute@localhost")


async def _hooks(sessions: SessionFactory, url: str, *agencies: str) -> None:
    async with transaction(sessions) as session:
        for agency in agencies:
            await set_channel(session, agency, ChannelKind.WEBHOOK, f"{url}/{agency}")


async def test_due_delivery_is_reminded_once_through_its_channel(
    sessions: SessionFactory, sink: Any, webhook: WebhookChannel
) -> None:
    """An unconfirmed delivery past its deadline gets one reminder at its webhook, recorded in
    its history; a second pass sends nothing."""
    doc = await add_document(sessions)
    late = await add_delivery(sessions, doc, "kh.so-noi-vu", due_at=NOW - HOUR)
    await add_delivery(sessions, doc, "kh.so-y-te", due_at=NOW + HOUR)  # not yet due
    await add_delivery(
        sessions, doc, "kh.so-tu-phap", due_at=NOW - HOUR, receipt="03", confirmed_at=NOW - 2 * HOUR
    )  # confirmed
    await _hooks(sessions, sink.url, "kh.so-noi-vu", "kh.so-y-te", "kh.so-tu-phap")
    first = await run_once(sessions, notices(webhook), NOW, None)
    second = await run_once(sessions, notices(webhook), NOW + HOUR / 2, None)
    assert (first.reminders_planned, first.sent, first.failed) == (1, 1, 0)
    assert (second.reminders_planned, second.sent) == (0, 0)
    assert sink.received == [
        {
            "agency": "kh.so-noi-vu",
            "key": f"reminder:{late.id}",
            "delivery_id": late.id,
            "document_id": doc.id,
        }
    ]
    async with sessions() as session:
        events = (
            await session.exec(
                select(DeliveryEvent).where(
                    col(DeliveryEvent.delivery_id) == late.id, col(DeliveryEvent.kind) == "reminder"
                )
            )
        ).all()
    assert [e.value for e in events] == ["planned", "sent"]


async def test_escalation_goes_to_the_supervisor(
    sessions: SessionFactory, sink: Any, webhook: WebhookChannel
) -> None:
    """Past the second deadline the supervisor agency is told, once."""
    doc = await add_document(sessions)
    late = await add_delivery(
        sessions, doc, "kh.so-noi-vu", due_at=NOW - 9 * HOUR, escalate_at=NOW - HOUR
    )
    await _hooks(sessions, sink.url, "kh.so-noi-vu", "kh.vp-ubnd")
    run = await run_once(sessions, notices(webhook), NOW, "kh.vp-ubnd")
    again = await run_once(sessions, notices(webhook), NOW, "kh.vp-ubnd")
    assert (run.reminders_planned, run.escalations_planned, run.sent) == (1, 1, 2)
    assert again.sent == 0
    keys = sink.keys_by_agency()
    assert keys == {
        "kh.so-noi-vu": {f"reminder:{late.id}"},
        "kh.vp-ubnd": {f"escalation:{late.id}"},
    }


async def test_unsent_notice_survives_a_restart(
    stack: Settings, sessions: SessionFactory, sink: Any, webhook: WebhookChannel
) -> None:
    """A notice planned while the agency's server was down is sent by the next process, once."""
    doc = await add_document(sessions)
    late = await add_delivery(sessions, doc, "kh.so-noi-vu", due_at=NOW - HOUR)
    await _hooks(sessions, sink.url, "kh.so-noi-vu")
    sink.fail_first = 1
    first = await run_once(sessions, notices(webhook), NOW, None)
    assert (first.sent, first.failed) == (0, 1)
    engine = create_engine(stack.database_url)  # a new process: a new engine, same database
    try:
        restarted = session_factory(engine)
        # A new process also has a new HTTP client.
        fresh = WebhookChannel(SECRET, attempts=1, timeout=5.0, allow_private=True)
        try:
            second = await run_once(restarted, notices(fresh), NOW + HOUR, None)
            third = await run_once(restarted, notices(fresh), NOW + 2 * HOUR, None)
        finally:
            await fresh.close()
        async with restarted() as session:
            row = await session.get(Reminder, (late.id, "reminder"))
    finally:
        await engine.dispose()
    assert (second.reminders_planned, second.sent, third.sent) == (0, 1, 0)
    assert row is not None and row.attempts == 2 and row.sent_at is not None
    assert [r["key"] for r in sink.received] == [f"reminder:{late.id}"]


async def test_a_failing_notice_backs_off_gives_up_and_never_holds_the_others(
    sessions: SessionFactory, sink: Any
) -> None:
    """One agency's server trickles forever: in the same pass the others are reminded; its
    notice waits out a growing backoff, and after MAX_ATTEMPTS it is given up, in the
    delivery's history."""
    doc = await add_document(sessions)
    stuck = await add_delivery(sessions, doc, "kh.so-noi-vu", due_at=NOW - HOUR)
    others = [await add_delivery(sessions, doc, a, due_at=NOW - HOUR)
              for a in ("kh.so-y-te", "kh.so-tu-phap", "kh.so-tai-chinh")]
    await _hooks(sessions, sink.url, "kh.so-y-te", "kh.so-tu-phap", "kh.so-tai-chinh")
    async with trickling_server(b"HTTP/1.1 200 OK\r\nX-Slow: ") as port:
        async with transaction(sessions) as session:
            await set_channel(session, "kh.so-noi-vu", ChannelKind.WEBHOOK,
                              f"http://127.0.0.1:{port}/hook")
        slow = WebhookChannel(SECRET, attempts=1, timeout=0.2, allow_private=True)
        try:
            first = await run_once(sessions, notices(slow), NOW, None)
            assert (first.sent, first.failed) == (3, 1)
            assert {r["delivery_id"] for r in sink.received} == {d.id for d in others}
            # Not due again within the first backoff; due after it.
            early = await run_once(sessions, notices(slow), NOW + BACKOFF / 2, None)
            assert (early.sent, early.failed) == (0, 0)
            passes = [NOW + BACKOFF * ((1 << n) - 1) for n in range(1, MAX_ATTEMPTS + 1)]
            tried = [(await run_once(sessions, notices(slow), at, None)).failed for at in passes]
        finally:
            await slow.close()
    assert tried == [1] * (MAX_ATTEMPTS - 1) + [0]
    async with sessions() as session:
        row = await session.get(Reminder, (stuck.id, "reminder"))
        events = (await session.exec(select(DeliveryEvent).where(
            col(DeliveryEvent.delivery_id) == stuck.id, col(DeliveryEvent.kind) == "reminder"
        ))).all()
    assert row is not None and row.attempts == MAX_ATTEMPTS and row.sent_at is None
    assert [e.value for e in events] == ["planned", "given_up"]


async def test_backoff_counts_from_when_the_notice_was_planned(sessions: SessionFactory) -> None:
    """A delivery due three days ago is reminded at NOW; its failing notice is retried at
    NOW + 1, 3, 7 × BACKOFF: not from the delivery's deadline (it would be due at once) and
    not from the last attempt (a late pass at 2 × BACKOFF does not push the next one to 4)."""
    doc = await add_document(sessions)
    stuck = await add_delivery(sessions, doc, "kh.so-noi-vu", due_at=NOW - 72 * HOUR)
    async with trickling_server(b"HTTP/1.1 200 OK\r\nX-Slow: ") as port:
        async with transaction(sessions) as session:
            await set_channel(session, "kh.so-noi-vu", ChannelKind.WEBHOOK,
                              f"http://127.0.0.1:{port}/hook")
        slow = WebhookChannel(SECRET, attempts=1, timeout=0.2, allow_private=True)
        try:
            passes = [0.0, 0.5, 2.0, 3.0, 5.0, 6.9, 7.0]
            tried = [(await run_once(sessions, notices(slow), NOW + BACKOFF * at, None)).failed
                     for at in passes]
        finally:
            await slow.close()
    async with sessions() as session:
        row = await session.get(Reminder, (stuck.id, "reminder"))
    assert row is not None
    planned = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)
    assert planned == NOW
    assert dict(zip(passes, tried, strict=True)) == {
        0.0: 1, 0.5: 0, 2.0: 1, 3.0: 1, 5.0: 0, 6.9: 0, 7.0: 1
    }
    assert row.attempts == 4
