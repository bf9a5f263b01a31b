"""One document under audit: who the rules expected, who was dispatched to, who confirmed; and
why (or why not) any agency receives it, with the clerk's decisions on its lines."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlmodel import col, or_, select

from audit import reports
from audit.explanations import routing_for
from docroute.api.audit import _explanation
from docroute.api.deps import ServiceDep, SessionDep
from docroute.web.decisions import agency_label, find_agency
from docroute.web.pages import PageRoute, render
from docroute.web.signin import Me, allow
from foundation.deliveries import document_deliveries
from foundation.errors import ClerkError
from foundation.models import Document, Role
from foundation.tokens import Caller

pages = APIRouter(route_class=PageRoute, include_in_schema=False)


@pages.get("/kiem-tra/van-ban")
async def find_document(request: Request, me: Me, session: SessionDep, q: str = "") -> Response:
    """Find a document by number, subject or id."""
    allow(me, Role.AUDITOR)
    documents: list[Document] = []
    if q.strip():
        pattern = f"%{q.strip()}%"
        documents = list((await session.exec(
            select(Document).where(or_(
                col(Document.number).ilike(pattern), col(Document.subject).ilike(pattern),
                col(Document.id) == q.strip(),
            )).order_by(col(Document.created_at).desc()).limit(50)
        )).all())
    return render(request, "audit_find.html", q=q, documents=documents)


async def _document(session: SessionDep, document_id: str) -> Document:
    document = await session.get(Document, document_id)
    if document is None:
        raise ClerkError(404, "document_not_found", "Không có văn bản này; hãy tìm lại theo số.")
    return document


@pages.get("/kiem-tra/van-ban/{document_id}")
async def document_audit(
    request: Request, me: Me, session: SessionDep, service: ServiceDep, document_id: str
) -> Response:
    """Expected vs dispatched vs confirmed, the unresolved lines, the clerk's decisions."""
    allow(me, Role.AUDITOR)
    document = await _document(session, document_id)
    audit = await reports.document_audit(session, document)
    deliveries, history = await document_deliveries(session, document.id)
    # Names and the why form's choices from the directory in force (an activated snapshot's,
    # else the files'): the agencies one may ask about today, a unit a snapshot added among them.
    directory = (await service.routing_now(session)).directory
    names = {d.agency_id: d.agency_name for d in deliveries}
    for agency_id in audit.expected:
        if agency_id not in names and (agency := directory.get(agency_id)):
            names[agency_id] = agency.name
    clerk_lines = [ln for ln in (document.expansion or {}).get("lines", []) if ln.get("clerk")]
    return render(
        request, "audit_document.html", document=document, audit=audit, names=names,
        deliveries=deliveries, history=history, clerk_lines=clerk_lines,
        choices=sorted(agency_label(a) for a in directory.agencies.values()),
    )


@pages.get("/kiem-tra/van-ban/{document_id}/vi-sao")
async def why(
    request: Request, me: Me, session: SessionDep, service: ServiceDep, document_id: str,
    co_quan: str = "", du_lieu: str = "",
) -> Response:
    """Why the agency receives the document, or why it does not (the API's answer); a
    sending office may ask about its own documents, as in the API. Answered with the data the
    document was routed with, or with today's (`du_lieu=hien-tai`)."""
    allow(me, Role.AUDITOR, Role.SENDER)
    document = await _document(session, document_id)
    if me.role == Role.SENDER and document.sender != me.agency_id:
        raise ClerkError(403, "not_your_document",
                         "Văn bản này do cơ quan khác gửi; bạn không xem được.")
    snapshot = "current" if du_lieu == "hien-tai" else "routed"
    # The agency as the directory of the answer knows it (a unit only that data had, too),
    # else as the directory in force does (the choices the audit page offered).
    routing, _ = await routing_for(session, service.data, document, snapshot)
    agency = find_agency(routing.directory, co_quan) or find_agency(
        (await service.routing_now(session)).directory, co_quan)
    if agency is None:
        raise ClerkError(
            422, "unknown_agency",
            f"Không tìm thấy cơ quan '{co_quan}' trong danh bạ; hãy chọn trong danh sách gợi ý.",
        )
    caller = Caller(token_id=0, role=me.role, agency_id=me.agency_id)
    answer = await _explanation(session, service, caller, document.id, agency.id, snapshot)
    return render(
        request, "audit_why.html", document=document, answer=answer, agency=agency,
        clerk=_clerk_decisions(document, agency.id),
        back="/kiem-tra/van-ban/" if me.role != Role.SENDER else "/gui/van-ban/",
    )


def _clerk_decisions(document: Document, agency_id: str) -> list[dict[str, Any]]:
    """The clerk's decisions that bear on the agency: lines resolved to it, and lines marked
    not a recipient (which might have meant it)."""
    lines = (document.expansion or {}).get("lines", [])
    return [
        ln["clerk"] for ln in lines
        if ln.get("clerk") and (
            ln["clerk"].get("agency_id") == agency_id
            or ln["clerk"].get("action") == "not_recipient"
        )
    ]
