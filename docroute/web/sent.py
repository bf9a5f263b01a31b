"""The sending office's sent documents: a searchable, paged list with each document's progress,
and a document's page with every agency's status timeline and a one-click reminder."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import and_, case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from docroute.api.deps import ServiceDep, SessionDep
from docroute.people import SignedIn
from docroute.web.pages import PageRoute, render
from docroute.web.reminding import remind_now
from docroute.web.signin import Me, allow, check_csrf
from foundation.deliveries import document_deliveries
from foundation.errors import ClerkError
from foundation.models import Delivery, DeliveryState, Document, Role
from foundation.models.clock import utcnow
from foundation.receipts import ReceiptStatus

pages = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE = 20


def _mine(me: SignedIn) -> Any:
    return True if me.role == Role.ADMIN else col(Document.sender) == me.agency_id


@pages.get("/gui/da-gui")
async def sent_list(
    request: Request,
    me: Me,
    session: SessionDep,
    q: str = "",
    since: Annotated[dt.date | None, Query(alias="tu")] = None,
    until: Annotated[dt.date | None, Query(alias="den")] = None,
    page: Annotated[int, Query(ge=1, alias="trang")] = 1,
) -> Response:
    """Sent documents, newest first, searchable by number, subject and date."""
    allow(me, Role.SENDER)
    where = [_mine(me)]
    if q.strip():
        pattern = f"%{q.strip()}%"
        where.append(or_(col(Document.number).ilike(pattern), col(Document.subject).ilike(pattern)))
    if since:
        where.append(col(Document.date) >= since)
    if until:
        where.append(col(Document.date) <= until)
    counting = sa_select(func.count()).select_from(Document).where(*where)
    total = (await session.exec(counting)).one()  # type: ignore[call-overload]
    documents = (
        await session.exec(
            select(Document).where(*where).order_by(col(Document.created_at).desc())
            .offset((page - 1) * PAGE).limit(PAGE)
        )
    ).all()
    progress = await _progress(session, [d.id for d in documents])
    return render(
        request, "sent.html", documents=documents, progress=progress, q=q, since=since,
        until=until, page=page, pages=max(1, -(-int(total[0]) // PAGE)), total=int(total[0]),
    )


async def _progress(session: AsyncSession, ids: list[str]) -> dict[str, dict[str, int]]:
    """Per document: deliveries, delivered, confirmed, late, failed, rejected (one query)."""
    if not ids:
        return {}
    now = utcnow()
    confirmed, due = col(Delivery.confirmed_at), col(Delivery.due_at)

    def count(condition: Any) -> Any:
        return func.sum(case((condition, 1), else_=0))

    rows = (
        await session.exec(
            sa_select(  # type: ignore[call-overload]
                col(Delivery.document_id),
                func.count(),
                count(col(Delivery.state) == DeliveryState.DELIVERED),
                count(confirmed.is_not(None)),
                count(or_(confirmed > due, and_(confirmed.is_(None), due < now))),
                count(col(Delivery.state) == DeliveryState.FAILED),
                count(col(Delivery.receipt) == ReceiptStatus.REJECTED),
            )
            .where(col(Delivery.document_id).in_(ids))
            .group_by(col(Delivery.document_id))
        )
    ).all()
    names = ("total", "delivered", "confirmed", "late", "failed", "rejected")
    return {row[0]: dict(zip(names, (int(v or 0) for v in row[1:]), strict=True)) for row in rows}


async def own_document(session: AsyncSession, me: SignedIn, document_id: str) -> Document:
    """The document if this person may see it as its sender (admins and auditors: any)."""
    document = await session.get(Document, document_id)
    if document is None:
        raise ClerkError(
            404,
            "document_not_found",
            "Không có văn bản này; hãy mở lại từ danh sách văn bản đã gửi.",
        )
    if me.role == Role.SENDER and document.sender != me.agency_id:
        raise ClerkError(
            403,
            "not_your_document",
            "Văn bản này do cơ quan khác gửi; bạn không xem được.",
        )
    return document


@pages.get("/gui/van-ban/{document_id}")
async def sent_document(
    request: Request, me: Me, session: SessionDep, document_id: str
) -> Response:
    """Every agency with its status timeline and reasons, and a reminder button."""
    allow(me, Role.SENDER)
    document = await own_document(session, me, document_id)
    deliveries, history = await document_deliveries(session, document.id)
    progress = (await _progress(session, [document.id])).get(document.id, {})
    expansion = document.expansion or {}
    return render(
        request, "sent_document.html", document=document, deliveries=deliveries,
        history=history, progress=progress, expansion=expansion, now=utcnow(),
        notice=request.query_params.get("da-nhac"), later=request.query_params.get("se-nhac"),
    )


@pages.post("/gui/van-ban/{document_id}/nhac/{delivery_id}")
async def remind(
    request: Request, me: Me, service: ServiceDep, document_id: str, delivery_id: str,
    csrf: str = Form(""),
) -> Response:
    """Send a reminder to one agency now, through its own channel; recorded in its history."""
    allow(me, Role.SENDER)
    check_csrf(me, csrf)
    async with service.sessions() as session:
        await own_document(session, me, document_id)
    now = await remind_now(service, delivery_id, document_id, f"{me.username} ({me.name})")
    said = "da-nhac" if now else "se-nhac"
    return RedirectResponse(f"/gui/van-ban/{document_id}?{said}={delivery_id}", status_code=303)
