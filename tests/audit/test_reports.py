"""Missed-delivery reports, scorecards and one document's audit, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterable

from sqlalchemy import update
from sqlmodel import col

from audit import exports, reports
from audit.reports import Finding, MissedQuery
from foundation.database import SessionFactory, transaction
from foundation.history import append_event
from foundation.models import Delivery, DeliveryState, Document
from tests.audit.conftest import NOW, add_delivery, add_document

HOUR = dt.timedelta(hours=1)
REASON = '=HYPERLINK("x") không đúng thẩm quyền'


def _table(rows: Iterable[reports.MissedRow]) -> list[dict[str, str]]:
    """The CSV export read back (its BOM first)."""
    text = exports.to_csv(rows, reports.MissedRow)
    assert text.startswith(exports.BOM)
    return list(csv.DictReader(io.StringIO(text.removeprefix(exports.BOM))))


async def _four_kinds(sessions: SessionFactory) -> dict[str, str]:
    """One delivery of each finding, one fine, one not yet due: agency -> delivery id."""
    doc = await add_document(sessions, number="7/TB-UBND")
    rows = {
        "kh.so-y-te": await add_delivery(sessions, doc, "kh.so-y-te", state=DeliveryState.FAILED),
        "kh.so-noi-vu": await add_delivery(sessions, doc, "kh.so-noi-vu"),
        "kh.so-tu-phap": await add_delivery(sessions, doc, "kh.so-tu-phap", receipt="02"),
        "kh.so-tai-chinh": await add_delivery(
            sessions, doc, "kh.so-tai-chinh", receipt="03", confirmed_at=NOW
        ),
        "kh.so-xay-dung": await add_delivery(
            sessions, doc, "kh.so-xay-dung", receipt="03", confirmed_at=NOW - 2 * HOUR
        ),
        "kh.so-cong-thuong": await add_delivery(
            sessions, doc, "kh.so-cong-thuong", due_at=NOW + HOUR
        ),
        "kh.ban-qlda-phat-trien-tinh": await add_delivery(
            sessions, doc, "kh.ban-qlda-phat-trien-tinh", categories=",dvsn,so_ban_nganh,"
        ),
    }
    return {agency: row.id for agency, row in rows.items()}


async def test_each_finding_is_reported_once(sessions: SessionFactory) -> None:
    """Failed, unconfirmed past due, rejected and late each show with their finding; a
    delivery confirmed in time or not yet due does not."""
    ids = await _four_kinds(sessions)
    async with sessions() as session:
        rows = await reports.missed(session, MissedQuery(now=NOW))
    found = {row.agency_id: row.finding for row in rows}
    assert found == {
        "kh.so-y-te": Finding.NOT_DELIVERED,
        "kh.so-noi-vu": Finding.UNCONFIRMED,
        "kh.so-tu-phap": Finding.REJECTED,
        "kh.so-tai-chinh": Finding.LATE,
        "kh.ban-qlda-phat-trien-tinh": Finding.UNCONFIRMED,
    }
    assert {row.delivery_id for row in rows} == {ids[a] for a in found}
    assert all(row.document_number == "7/TB-UBND" for row in rows)


async def test_filters_narrow_the_report(sessions: SessionFactory) -> None:
    """State, agency, agency kind, category and date range each narrow the rows."""
    await _four_kinds(sessions)
    async with sessions() as session:
        late = await reports.missed(
            session, MissedQuery(now=NOW, findings=frozenset({Finding.LATE}))
        )
        one = await reports.missed(session, MissedQuery(now=NOW, agency="kh.so-noi-vu"))
        dvsn = await reports.missed(
            session, MissedQuery(now=NOW, agency_ids=frozenset({"kh.ban-qlda-phat-trien-tinh"}))
        )
        category = await reports.missed(session, MissedQuery(now=NOW, category="dvsn"))
        later = await reports.missed(session, MissedQuery(now=NOW, since=dt.date(2026, 4, 1)))
    assert [r.agency_id for r in late] == ["kh.so-tai-chinh"]
    assert [r.agency_id for r in one] == ["kh.so-noi-vu"]
    assert [r.agency_id for r in dvsn] == ["kh.ban-qlda-phat-trien-tinh"]
    assert [r.agency_id for r in category] == ["kh.ban-qlda-phat-trien-tinh"]
    assert later == []


async def test_csv_export_has_a_header_and_a_row_each(sessions: SessionFactory) -> None:
    """The CSV export opens as a table with one row per finding."""
    await _four_kinds(sessions)
    async with sessions() as session:
        rows = await reports.missed(session, MissedQuery(now=NOW))
    table = _table(rows)
    assert len(table) == 5
    assert {"finding", "agency_id", "due_at", "confirmed_at"} <= set(table[0])


async def test_scorecard_counts_per_agency(sessions: SessionFactory) -> None:
    """The scorecard counts received, on time, late, rejected and missing per agency."""
    ids = await _four_kinds(sessions)
    doc = await add_document(sessions)
    await add_delivery(sessions, doc, "kh.so-tai-chinh", receipt="03", confirmed_at=NOW - 3 * HOUR)
    async with sessions() as session:
        cards = {s.agency_id: s for s in await reports.scorecard(session, NOW)}
    assert len(cards) == len(ids)
    finance = cards["kh.so-tai-chinh"]
    assert (finance.received, finance.confirmed_on_time, finance.confirmed_late) == (2, 1, 1)
    assert cards["kh.so-y-te"].missing == 1 and cards["kh.so-y-te"].received == 0
    assert cards["kh.so-tu-phap"].rejected == 1
    assert cards["kh.so-noi-vu"].missing == 1


async def test_document_audit_compares_expected_dispatched_confirmed(
    sessions: SessionFactory,
) -> None:
    """One document: the expected agency never dispatched to shows, and who did not confirm."""
    expansion = {
        "recipients": [{"id": "kh.so-y-te"}, {"id": "kh.so-noi-vu"}],
        "lines": [{"outcome": "unresolved", "text": "- Báo XYZ;"}],
    }
    doc = await add_document(sessions, expansion=expansion)
    await add_delivery(sessions, doc, "kh.so-noi-vu", receipt="03", confirmed_at=NOW)
    async with sessions() as session:
        audit = await reports.document_audit(session, doc)
    assert audit.expected_not_dispatched == ["kh.so-y-te"]
    assert audit.confirmed == ["kh.so-noi-vu"] and audit.unconfirmed == []
    assert audit.unresolved_lines == [{"outcome": "unresolved", "text": "- Báo XYZ;"}]


async def test_undelivered_rows_say_why_and_when_the_next_round_is(
    sessions: SessionFactory,
) -> None:
    """A failed delivery's row carries its failure; a pending one past due that waits for a
    later round of attempts carries the rounds so far and when the next one is due."""
    doc = await add_document(sessions)
    failed = await add_delivery(sessions, doc, "kh.so-y-te", state=DeliveryState.FAILED)
    waiting = await add_delivery(sessions, doc, "kh.so-noi-vu", state=DeliveryState.PENDING)
    next_round = NOW + HOUR
    async with transaction(sessions) as session:
        await session.exec(update(Delivery).where(col(Delivery.id) == failed.id).values(
            failure="webhook refused with HTTP 410: gone"))
        await session.exec(update(Delivery).where(col(Delivery.id) == waiting.id).values(
            attempt_rounds=2, retry_at=next_round))
    async with sessions() as session:
        rows = {r.agency_id: r for r in await reports.missed(session, MissedQuery(now=NOW))}
    assert rows["kh.so-y-te"].failure == "webhook refused with HTTP 410: gone"
    assert (rows["kh.so-y-te"].attempt_rounds, rows["kh.so-y-te"].next_round_at) == (0, None)
    assert rows["kh.so-noi-vu"].finding == Finding.NOT_DELIVERED
    assert rows["kh.so-noi-vu"].attempt_rounds == 2
    shown = rows["kh.so-noi-vu"].next_round_at
    assert shown is not None
    assert dt.datetime.fromisoformat(shown).replace(tzinfo=dt.UTC) == next_round
    table = _table(rows.values())
    assert {"failure", "attempt_rounds", "next_round_at"} <= set(table[0])


async def _set(sessions: SessionFactory, delivery_id: str, **values: object) -> None:
    async with transaction(sessions) as session:
        await session.exec(update(Delivery).where(col(Delivery.id) == delivery_id).values(**values))


async def test_findings_are_ranked_by_meaning_not_by_spelling(sessions: SessionFactory) -> None:
    """A rejection that came after a late first status is 'rejected', not 'late'; asking for
    'late' alone does not list it."""
    doc = await add_document(sessions)
    row = await add_delivery(
        sessions, doc, "kh.so-tu-phap", receipt="02", confirmed_at=NOW + HOUR
    )
    async with sessions() as session:
        every = await reports.missed(session, MissedQuery(now=NOW + 2 * HOUR))
        late = await reports.missed(
            session, MissedQuery(now=NOW + 2 * HOUR, findings=frozenset({Finding.LATE}))
        )
    assert [(r.delivery_id, r.finding) for r in every] == [(row.id, Finding.REJECTED)]
    assert late == []


async def test_retry_rounds_show_before_the_deadline_and_rejections_say_why(
    sessions: SessionFactory,
) -> None:
    """A delivery waiting for its third round shows before its deadline, with the rounds and
    the next one; a rejection carries the agency's reason into JSON and CSV."""
    doc = await add_document(sessions)
    waiting = await add_delivery(
        sessions, doc, "kh.so-y-te", state=DeliveryState.PENDING, due_at=NOW + 5 * HOUR
    )
    await _set(sessions, waiting.id, attempt_rounds=2, retry_at=NOW + HOUR)
    quiet = await add_delivery(  # pending, never failed a round, not yet due: nothing to say
        sessions, doc, "kh.so-noi-vu", state=DeliveryState.PENDING, due_at=NOW + 5 * HOUR
    )
    rejected = await add_delivery(sessions, doc, "kh.so-tu-phap")
    async with transaction(sessions) as session:
        stored = await session.get(Delivery, rejected.id)
        assert stored is not None
        append_event(session, stored, "receipt", "02", note=REASON)
    async with sessions() as session:
        rows = {r.delivery_id: r for r in await reports.missed(session, MissedQuery(now=NOW))}
    assert quiet.id not in rows
    assert rows[waiting.id].finding == Finding.RETRYING
    assert rows[waiting.id].attempt_rounds == 2
    assert rows[waiting.id].next_round_at == (NOW + HOUR).isoformat()
    assert rows[rejected.id].rejection_reason == REASON
    table = _table(rows.values())
    reason = next(r["rejection_reason"] for r in table if r["delivery_id"] == rejected.id)
    assert reason == "'" + REASON


async def test_documents_never_routed_are_listed(sessions: SessionFactory) -> None:
    """A document accepted long ago with no deliveries planned is a finding of its own; one
    just accepted is still on its way."""
    old = Document(id=str(uuid.uuid4()), text="x", number="3/TB", sender="kh.ubnd-tinh",
                   created_at=NOW - 2 * reports.NOT_ROUTED_AFTER)
    new = Document(id=str(uuid.uuid4()), text="y", created_at=NOW - reports.NOT_ROUTED_AFTER / 2)
    async with transaction(sessions) as session:
        session.add_all([old, new])
    async with sessions() as session:
        rows = await reports.missed(session, MissedQuery(now=NOW))
        by_agency = await reports.missed(session, MissedQuery(now=NOW, agency="kh.so-y-te"))
    assert [(r.finding, r.document_id, r.agency_id) for r in rows] == [
        (Finding.NOT_ROUTED, old.id, None)
    ]
    assert by_agency == []


def test_an_empty_csv_still_has_its_bom_and_header() -> None:
    """No rows: a UTF-8 BOM and the header row, so a spreadsheet opens an empty table."""
    text = exports.to_csv([], reports.Score)
    assert text.startswith(exports.BOM)
    assert text.lstrip(exports.BOM).splitlines() == [
        "agency_id,agency_name,received,confirmed_on_time,confirmed_late,rejected,missing"
    ]


def test_cells_a_spreadsheet_would_run_are_escaped() -> None:
    """Each start OWASP lists is prefixed with a quote; other text and numbers are kept."""
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert exports.cell(f"{start}1+1") == f"'{start}1+1"
    assert exports.cell("Sở Y tế") == "Sở Y tế"
    assert exports.cell(-3) == -3
