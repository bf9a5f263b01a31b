"""Reports for auditors: missed, late and unconfirmed deliveries; per-agency scorecards; and,
for one document, who was expected, who was dispatched to, and who confirmed.

Each query is one SQL statement over indexed columns (`delivery.due_at`, `delivery.state`,
`delivery.agency_id`), so it stays fast on a large history (bench/audit.py measures it).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, or_, union_all
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from foundation.models import (
    Delivery,
    DeliveryEvent,
    DeliveryState,
    Document,
    ScorecardChange,
    ScorecardDay,
)
from foundation.models.clock import iso
from foundation.receipts import ReceiptStatus
from rules.directory import KINDS, Directory
from rules.outcomes import Outcome


class Finding(enum.StrEnum):
    """What went wrong with a delivery, in the order of meaning: a delivery with more than one
    (rejected after a late first status, say) is reported under the first."""

    NOT_ROUTED = "not_routed"  # a document never expanded into deliveries (no agency row)
    NOT_DELIVERED = "not_delivered"  # failed, or still pending past its deadline
    RETRYING = "retrying"  # pending before its deadline, waiting for a later round of attempts
    REJECTED = "rejected"  # the agency answered 02
    UNCONFIRMED = "unconfirmed"  # delivered, no receipt by the deadline
    LATE = "late"  # confirmed, after the deadline


# A document not routed this long after it was accepted is reported: routing takes seconds,
# so by then it is stuck (its message dead-lettered, or the router down), not on its way.
NOT_ROUTED_AFTER = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class MissedQuery:
    """Filters of the missed-delivery report."""

    now: dt.datetime
    findings: frozenset[Finding] = frozenset(Finding)
    agency: str | None = None
    agency_ids: frozenset[str] | None = None  # e.g. every agency of a kind
    category: str | None = None
    sender: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    limit: int = 1000
    offset: int = 0


@dataclass(frozen=True)
class MissedRow:
    """One delivery that went wrong."""

    finding: Finding
    delivery_id: str | None  # None for a document never routed
    document_id: str
    document_number: str | None
    document_date: str | None
    sender: str | None
    agency_id: str | None
    agency_name: str | None
    categories: str
    state: str | None
    receipt: str | None
    due_at: str | None
    confirmed_at: str | None
    # Why it was not delivered, or, while it waits for a later round of attempts, how many
    # rounds met a transient fault and when the next is due.
    failure: str | None = None
    attempt_rounds: int = 0
    next_round_at: str | None = None
    rejection_reason: str | None = None  # what the agency wrote with its 02


@dataclass
class Score:
    """One agency's record: deliveries it got, confirmed in time or late, and the missing ones."""

    agency_id: str
    agency_name: str
    received: int = 0
    confirmed_on_time: int = 0
    confirmed_late: int = 0
    rejected: int = 0
    missing: int = 0


def parse_findings(text: str | None) -> frozenset[Finding]:
    """`not_delivered,late` -> those findings; empty -> all; ValueError naming the choices."""
    try:
        chosen = frozenset(Finding(v.strip()) for v in (text or "").split(",") if v.strip())
    except ValueError:
        raise ValueError(f"state must be among: {', '.join(Finding)}") from None
    return chosen or frozenset(Finding)


def agencies_of_kind(directory: Directory, kind: str | None) -> frozenset[str] | None:
    """The ids of every agency of `kind` (None for no filter); ValueError naming the kinds."""
    check_kind(kind)
    if kind is None:
        return None
    return frozenset(a.id for a in directory if a.kind == kind)


def check_kind(kind: str | None) -> None:
    """ValueError naming the kinds when `kind` is none of them (None: no filter, fine)."""
    if kind is not None and kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(sorted(KINDS))}")


def finding_condition(finding: Finding, now: dt.datetime) -> ColumnElement[bool]:
    """The SQL condition of one delivery finding (NOT_ROUTED is about documents)."""
    due, state = col(Delivery.due_at), col(Delivery.state)
    if finding is Finding.NOT_DELIVERED:
        return or_(
            state == DeliveryState.FAILED, and_(state == DeliveryState.PENDING, due <= now)
        )
    if finding is Finding.RETRYING:
        return and_(state == DeliveryState.PENDING, col(Delivery.attempt_rounds) > 0)
    if finding is Finding.UNCONFIRMED:
        return and_(
            state == DeliveryState.DELIVERED,
            col(Delivery.confirmed_at).is_(None),
            or_(col(Delivery.receipt).is_(None), col(Delivery.receipt) != ReceiptStatus.REJECTED),
            due <= now,
        )
    if finding is Finding.REJECTED:
        return col(Delivery.receipt) == ReceiptStatus.REJECTED
    return and_(col(Delivery.confirmed_at).is_not(None), col(Delivery.confirmed_at) > due)


DELIVERY_FINDINGS = [f for f in Finding if f is not Finding.NOT_ROUTED]


# The columns a row shows, and nothing else: loading whole rows (a document's text and stored
# expansion, a delivery's reasons) for a thousand findings cost a second (bench/audit.py).
SHOWN = (
    col(Delivery.id), col(Delivery.document_id), col(Document.number), col(Document.date),
    col(Document.sender), col(Delivery.agency_id), col(Delivery.agency_name),
    col(Delivery.categories), col(Delivery.state), col(Delivery.receipt), col(Delivery.due_at),
    col(Delivery.confirmed_at), col(Delivery.failure), col(Delivery.attempt_rounds),
    col(Delivery.retry_at),
)


async def missed(session: AsyncSession, query: MissedQuery) -> list[MissedRow]:
    """Documents never routed (on the first page), then deliveries with a finding, newest
    deadlines first. Each delivery gets the first finding (by meaning) that holds; only the
    chosen findings are listed."""
    first_page = query.offset == 0 and Finding.NOT_ROUTED in query.findings
    rows = await _not_routed(session, query) if first_page else []
    chosen = [f for f in DELIVERY_FINDINGS if f in query.findings]
    if not chosen or len(rows) >= query.limit:
        return rows[: query.limit]
    ranked = case(
        *[(finding_condition(f, query.now), f.value) for f in DELIVERY_FINDINGS], else_=None
    )
    page = _page(query, chosen, ranked, query.limit - len(rows))
    # sqlalchemy's select: sqlmodel's typed one stops at four columns.
    statement = (
        sa_select(ranked.label("finding"), *SHOWN, _rejection_reason())
        .select_from(page)
        .join(Delivery, col(Delivery.id) == page.c.id)
        .join(Document, col(Document.id) == col(Delivery.document_id))
        .order_by(page.c.due_at.desc(), page.c.id)
    )
    # sqlmodel types exec() for its own select only; the statement is a plain Select.
    found = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return rows + [_row(*row) for row in found]


def _page(query: MissedQuery, chosen: Sequence[Finding], ranked: Any, limit: int) -> Any:
    """The ids of the page's deliveries, picked from the delivery table alone unless a
    document filter needs the join: PostgreSQL then walks the (agency_id, due_at) or due_at
    index newest first and stops at the page's end, and joins the documents of the page
    only (joining first, then sorting, took ~0.6 s for one busy agency at 1M deliveries)."""
    conditions = [or_(*[finding_condition(f, query.now) for f in chosen]), *_filters(query)]
    if len(chosen) < len(DELIVERY_FINDINGS):
        # The first finding by meaning must be a chosen one. Left out when all are chosen:
        # it says nothing then, and the planner's guess of its selectivity (a CASE) is so
        # low that it would sort every row instead of walking an index.
        conditions.append(ranked.in_([f.value for f in chosen]))
    page = sa_select(col(Delivery.id), col(Delivery.due_at)).where(*conditions)
    if _document_filters(query):
        page = page.join(Document, col(Document.id) == col(Delivery.document_id))
    return (page.order_by(col(Delivery.due_at).desc(), col(Delivery.id))
            .limit(limit).offset(query.offset).subquery("page"))


def _rejection_reason() -> Any:
    """The note of the delivery's 02 status event (the reason is required with a 02)."""
    return (
        sa_select(col(DeliveryEvent.note))
        .where(
            col(DeliveryEvent.delivery_id) == col(Delivery.id),
            col(DeliveryEvent.kind) == "receipt",
            col(DeliveryEvent.value) == ReceiptStatus.REJECTED,
        )
        .order_by(col(DeliveryEvent.seq).desc())
        .limit(1)
        .scalar_subquery()
        .label("rejection_reason")
    )


async def _not_routed(session: AsyncSession, query: MissedQuery) -> list[MissedRow]:
    """Documents accepted more than NOT_ROUTED_AFTER ago that have no deliveries planned. They
    name no agency, so an agency, kind or category filter leaves them out."""
    if query.agency or query.agency_ids is not None or query.category:
        return []
    statement = select(Document).where(
        col(Document.routed_at).is_(None),
        col(Document.created_at) <= query.now - NOT_ROUTED_AFTER,
        *_document_filters(query),
    )
    statement = statement.order_by(col(Document.created_at).desc()).limit(query.limit)
    documents = (await session.exec(statement)).all()
    return [
        MissedRow(
            finding=Finding.NOT_ROUTED,
            delivery_id=None,
            document_id=d.id,
            document_number=d.number,
            document_date=d.date.isoformat() if d.date else None,
            sender=d.sender,
            agency_id=None,
            agency_name=None,
            categories="",
            state=None,
            receipt=None,
            due_at=None,
            confirmed_at=None,
            failure=f"accepted at {iso(d.created_at)} and never routed to any agency",
        )
        for d in documents
    ]


def _document_filters(query: MissedQuery) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if query.sender:
        out.append(col(Document.sender) == query.sender)
    if query.since:
        out.append(col(Document.date) >= query.since)
    if query.until:
        out.append(col(Document.date) <= query.until)
    return out


def _filters(query: MissedQuery) -> list[ColumnElement[bool]]:
    out: list[ColumnElement[bool]] = []
    if query.agency:
        out.append(col(Delivery.agency_id) == query.agency)
    if query.agency_ids is not None:
        out.append(col(Delivery.agency_id).in_(sorted(query.agency_ids)))
    if query.category:
        out.append(col(Delivery.categories).contains(f",{query.category},"))
    return out + _document_filters(query)


def _row(finding: str, delivery_id: str, document_id: str, number: str | None,
         date: dt.date | None, sender: str | None, agency_id: str, agency_name: str,
         categories: str, state: str, receipt: str | None, due_at: dt.datetime | None,
         confirmed_at: dt.datetime | None, failure: str | None, attempt_rounds: int,
         retry_at: dt.datetime | None, rejection: str | None) -> MissedRow:
    return MissedRow(
        finding=Finding(finding),
        delivery_id=delivery_id,
        document_id=document_id,
        document_number=number,
        document_date=date.isoformat() if date else None,
        sender=sender,
        agency_id=agency_id,
        agency_name=agency_name,
        categories=categories.strip(","),
        state=state,
        receipt=receipt,
        due_at=iso(due_at),
        confirmed_at=iso(confirmed_at),
        failure=failure,
        attempt_rounds=attempt_rounds or 0,
        next_round_at=iso(retry_at),
        rejection_reason=rejection,
    )


def _count(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _missing(now: dt.datetime) -> ColumnElement[bool]:
    return or_(finding_condition(Finding.NOT_DELIVERED, now),
               finding_condition(Finding.UNCONFIRMED, now))


def _delivery_counts(now: dt.datetime) -> list[Any]:
    """agency id, name, deliveries, received, on time, late, rejected, missing: per row."""
    confirmed, due = col(Delivery.confirmed_at), col(Delivery.due_at)

    def one(condition: ColumnElement[bool]) -> Any:
        return case((condition, 1), else_=0)

    return [
        col(Delivery.agency_id).label("agency_id"), col(Delivery.agency_name).label("name"),
        literal(1).label("deliveries"),
        one(col(Delivery.state) == DeliveryState.DELIVERED).label("received"),
        one(and_(confirmed.is_not(None), confirmed <= due)).label("on_time"),
        one(and_(confirmed.is_not(None), confirmed > due)).label("late"),
        one(col(Delivery.receipt) == ReceiptStatus.REJECTED).label("rejected"),
        one(_missing(now)).label("missing"),
    ]


async def scorecard(
    session: AsyncSession, now: dt.datetime, agency_ids: Iterable[str] | None = None
) -> list[Score]:
    """Per agency: received, confirmed on time, late, rejected, missing; from the running
    totals per due day (migration 0013), not from every delivery.

    Days before today's (UTC) are past: what still awaits delivery or confirmation there is
    missing. Today's deliveries are counted from their rows (only some of them are past
    their deadline at `now`), and later days have nothing missing but failures. One
    statement, so it reads one snapshot of the totals and the rows."""
    today = (now.astimezone(dt.UTC) if now.tzinfo else now).date()
    midnight = dt.datetime.combine(today, dt.time(), dt.UTC)
    parts = [_totals(table, today, agency_ids) for table in (ScorecardDay, ScorecardChange)]
    todays = sa_select(*_delivery_counts(now)).where(
        col(Delivery.due_at) >= midnight, col(Delivery.due_at) < midnight + dt.timedelta(days=1)
    )
    if agency_ids is not None:
        todays = todays.where(col(Delivery.agency_id).in_(sorted(agency_ids)))
    rows = union_all(*parts, todays).subquery()
    statement = (
        sa_select(rows.c.agency_id, func.max(rows.c.name),
                  *[func.sum(c) for c in list(rows.c)[3:]])
        .group_by(rows.c.agency_id)
        .having(func.sum(rows.c.deliveries) > 0)
        .order_by(rows.c.agency_id)
    )
    found = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [Score(str(row[0]), str(row[1]), *(int(v or 0) for v in row[2:])) for row in found]


def _totals(
    table: type[ScorecardDay] | type[ScorecardChange], today: dt.date,
    agency_ids: Iterable[str] | None,
) -> Any:
    """The running totals (or changes not folded yet) of every day but today."""
    day = col(table.due_day)
    statement: Any = sa_select(
        col(table.agency_id).label("agency_id"), col(table.agency_name).label("name"),
        col(table.deliveries), col(table.received), col(table.confirmed_on_time),
        col(table.confirmed_late), col(table.rejected),
        (col(table.failed) + case((day < today, col(table.awaiting)), else_=0)).label("missing"),
    ).where(day != today)
    if agency_ids is not None:
        statement = statement.where(col(table.agency_id).in_(sorted(agency_ids)))
    return statement


async def scorecard_from_deliveries(
    session: AsyncSession, now: dt.datetime, agency_ids: Iterable[str] | None = None
) -> list[Score]:
    """The scorecard counted from every delivery row: what `scorecard` must always agree
    with (tests compare them), and its cost before the running totals (bench/audit.py)."""
    counts = _delivery_counts(now)
    statement = (
        sa_select(counts[0], func.max(counts[1]), *[func.sum(c) for c in counts[3:]])
        .group_by(col(Delivery.agency_id))
        .order_by(col(Delivery.agency_id))
    )
    if agency_ids is not None:
        statement = statement.where(col(Delivery.agency_id).in_(sorted(agency_ids)))
    # sqlmodel types exec() for its own select only; the statement is a plain Select.
    rows = (await session.exec(statement)).all()  # type: ignore[call-overload]
    return [Score(str(row[0]), str(row[1]), *(int(v or 0) for v in row[2:])) for row in rows]


@dataclass
class DocumentAudit:
    """For one document: expected recipients, dispatched deliveries, confirmations."""

    document_id: str
    rules_version: str | None
    expected: list[str] = field(default_factory=list)
    dispatched: list[str] = field(default_factory=list)
    confirmed: list[str] = field(default_factory=list)
    expected_not_dispatched: list[str] = field(default_factory=list)
    # Catch-up deliveries of a replay: dispatched though the routing did not expect them.
    backfilled: list[dict[str, str]] = field(default_factory=list)
    dispatched_not_expected: list[str] = field(default_factory=list)
    unconfirmed: list[str] = field(default_factory=list)
    unresolved_lines: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """As JSON."""
        return asdict(self)


async def document_audit(session: AsyncSession, document: Document) -> DocumentAudit:
    """Expected vs dispatched vs confirmed for one document."""
    view = document.expansion or {}
    expected = [r["id"] for r in view.get("recipients", [])]
    rows = (
        await session.exec(select(Delivery).where(col(Delivery.document_id) == document.id))
    ).all()
    dispatched = sorted(d.agency_id for d in rows)
    confirmed = sorted(d.agency_id for d in rows if d.confirmed_at is not None)
    backfilled = {d.agency_id: d.backfill_of for d in rows if d.backfill_of}
    return DocumentAudit(
        document_id=document.id,
        rules_version=document.rules_version,
        expected=sorted(expected),
        dispatched=dispatched,
        confirmed=confirmed,
        expected_not_dispatched=sorted(set(expected) - set(dispatched)),
        backfilled=[{"agency_id": a, "replay_id": r} for a, r in sorted(backfilled.items())],
        dispatched_not_expected=sorted(set(dispatched) - set(expected) - set(backfilled)),
        unconfirmed=sorted(set(dispatched) - set(confirmed)),
        unresolved_lines=[
            ln for ln in view.get("lines", []) if ln.get("outcome") == Outcome.UNRESOLVED
        ],
    )
