"""An agency's inbox, its deliveries and the receipt statuses it reports."""

from __future__ import annotations

import html
import time
from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from docroute.api.deps import CallerDep, ServiceDep, SessionDep, require
from docroute.api.schemas import Confirmed, DeliveryView, Inbox, StatusAnswer, answers
from docroute.edxml_status import RECALL_ANSWERS, emit_status
from docroute.service import Service
from foundation.deliveries import delivery_view, get_delivery, history_of, report_receipt
from foundation.errors import ClerkError
from foundation.history import append_event
from foundation.models import ChannelKind, Delivery, DeliveryState, Document, Role
from foundation.receipts import ReceiptStatus, parse_status
from foundation.signing import verify
from foundation.tokens import Caller

api = APIRouter(tags=["deliveries"])


class StatusReport(BaseModel):
    """A QCVN 102 status reported by the receiving agency."""

    code: str = Field(description="01 arrived, 02 rejected, 03 accepted, 04-06 progress; "
                      "15 / 16 agree to / refuse a recall")
    reason: str | None = Field(
        default=None, max_length=2000, description="Required with 02 (rejected)."
    )


def _own(caller: Caller, delivery: Delivery) -> None:
    if caller.role == Role.AGENCY and caller.agency_id != delivery.agency_id:
        raise ClerkError(403, "not_your_delivery", "This delivery is addressed to another agency.")


@api.get("/v1/inbox", summary="The calling agency's delivered documents, newest first",
         **answers(Inbox))
async def inbox(
    caller: CallerDep, session: SessionDep, limit: int = Query(100, ge=1, le=1000)
) -> dict[str, Any]:
    """Deliveries to the caller's agency with their documents."""
    require(caller, Role.AGENCY)
    query = (
        select(Delivery, Document)
        .join(Document, col(Document.id) == col(Delivery.document_id))
        .where(Delivery.agency_id == caller.agency_id, Delivery.state == DeliveryState.DELIVERED)
        .order_by(col(Delivery.created_at).desc())
        .limit(limit)
    )
    items = []
    for delivery, document in (await session.exec(query)).all():
        view = delivery_view(delivery)
        view["document"] = {
            "id": document.id,
            "number": document.number,
            "date": document.date.isoformat() if document.date else None,
            "subject": document.subject,
            "text": document.text,
        }
        items.append(view)
    return {"agency_id": caller.agency_id, "deliveries": items}


@api.get("/v1/deliveries/{delivery_id}", summary="One delivery with its history",
         **answers(DeliveryView))
async def read_delivery(delivery_id: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    """The delivery, if the caller may see it."""
    require(caller, Role.AGENCY, Role.AUDITOR)
    delivery = await get_delivery(session, delivery_id)
    _own(caller, delivery)
    return delivery_view(delivery, (await history_of(session, [delivery.id]))[delivery.id])


@api.post("/v1/deliveries/{delivery_id}/status", summary="Report a QCVN 102 status",
          **answers(StatusAnswer))
async def post_status(
    delivery_id: str, report: StatusReport, caller: CallerDep, service: ServiceDep
) -> dict[str, Any]:
    """Record the agency's status after checking it follows the current one."""
    require(caller, Role.AGENCY)
    if report.code.strip().zfill(2) in RECALL_ANSWERS:
        return await _answer_recall(delivery_id, report, caller, service)
    status = parse_status(report.code)
    async with service.sessions() as session, session.begin():
        delivery = await get_delivery(session, delivery_id, lock=True)
        _own(caller, delivery)
        changed = await report_receipt(
            session, delivery, status, report.reason, actor=caller.agency_id or caller.role.value
        )
        if changed:  # the sender's own system hears it too, when it speaks edXML
            document = await session.get(Document, delivery.document_id)
            if document is not None:
                await emit_status(session, document, delivery, status, report.reason)
    return {**delivery_view(delivery), "changed": changed}


async def _answer_recall(delivery_id: str, report: StatusReport, caller: Caller,
                         service: ServiceDep) -> dict[str, Any]:
    """15 (agreed) or 16 (refused): the agency's answer to a recall or an update's request."""
    code = report.code.strip().zfill(2)
    async with service.sessions() as session, session.begin():
        delivery = await get_delivery(session, delivery_id, lock=True)
        _own(caller, delivery)
        if delivery.recall is None:
            raise ClerkError(409, "nothing_asked", "Nobody asked for this document back; 15 "
                             "and 16 answer a recall (13).")
        changed = delivery.recall != code
        if changed:
            delivery.recall = code
            session.add(delivery)
            append_event(session, delivery, "recall", code, note=report.reason,
                         actor=caller.agency_id or caller.role.value)
            document = await session.get(Document, delivery.document_id)
            if document is not None:
                await emit_status(session, document, delivery, code, report.reason)
    return {**delivery_view(delivery), "changed": changed}


def _checked_link(service: Service, delivery_id: str, expires: int, sig: str) -> None:
    """403 unless the link is the one mailed for this delivery and has not expired."""
    expected = f"confirm:{delivery_id}:{expires}".encode()
    if not verify(service.secret, expected, sig):
        raise ClerkError(403, "bad_link",
                         "This confirm link is not valid; use the one in the mail.")
    if expires < time.time():
        raise ClerkError(403, "link_expired", "This confirm link has expired; report the receipt "
                         "through docroute's API or ask the sender for a new link.")


async def _email_delivery(session: AsyncSession, delivery_id: str, *, lock: bool) -> Delivery:
    delivery = await get_delivery(session, delivery_id, lock=lock)
    if delivery.channel != ChannelKind.EMAIL:
        raise ClerkError(403, "not_an_email_delivery",
                         "Confirm links are valid only for documents delivered by e-mail.")
    return delivery


_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8"><title>Xác nhận đã nhận văn bản</title></head>
<body><h1>Xác nhận đã nhận văn bản</h1>
<p>{agency}: văn bản {number}.</p>
<form method="post" action="{action}"><button type="submit">Xác nhận đã nhận (confirm
receipt)</button></form></body></html>
"""


@api.get("/v1/deliveries/{delivery_id}/confirm", response_class=HTMLResponse,
         summary="The page behind an e-mail's confirm link (it changes nothing)")
async def confirm_page(
    delivery_id: str, service: ServiceDep, expires: int = Query(...), sig: str = Query(...)
) -> HTMLResponse:
    """A page with a button that confirms; opening the link (as mail scanners do) records
    nothing."""
    _checked_link(service, delivery_id, expires, sig)
    async with service.sessions() as session:
        delivery = await _email_delivery(session, delivery_id, lock=False)
        document = await session.get(Document, delivery.document_id)
    number = document.number if document and document.number else delivery.document_id
    action = f"/v1/deliveries/{delivery_id}/confirm?expires={expires}&sig={sig}"
    return HTMLResponse(_PAGE.format(agency=html.escape(delivery.agency_name),
                                     number=html.escape(number), action=html.escape(action)))


@api.post("/v1/deliveries/{delivery_id}/confirm", summary="Confirm receipt from an e-mail link",
          **answers(Confirmed))
async def confirm(
    delivery_id: str, service: ServiceDep, expires: int = Query(...), sig: str = Query(...)
) -> dict[str, Any]:
    """Record 01 (arrived) for a delivery made by e-mail, from its signed, unexpired link."""
    _checked_link(service, delivery_id, expires, sig)
    async with service.sessions() as session, session.begin():
        delivery = await _email_delivery(session, delivery_id, lock=True)
        changed = False
        if delivery.receipt is None:
            changed = await report_receipt(
                session,
                delivery,
                ReceiptStatus.ARRIVED,
                None,
                actor=f"{delivery.agency_id}:email-link",
            )
            document = await session.get(Document, delivery.document_id)
            if changed and document is not None:
                await emit_status(session, document, delivery, ReceiptStatus.ARRIVED, None)
    return {
        "delivery_id": delivery_id,
        "receipt": delivery.receipt,
        "changed": changed,
        "message": "Đã xác nhận nhận văn bản (receipt confirmed).",
    }
