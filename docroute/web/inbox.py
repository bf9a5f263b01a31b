"""The receiving agency: its inbox (unread and urgent first, filters, paging), a document's
page with the original file and its text, and the QCVN 102 status buttons (the API's rules)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy import case, func
from sqlalchemy import select as sa_select
from sqlmodel import col, select

from docroute.api.deps import ServiceDep, SessionDep
from docroute.people import SignedIn
from docroute.web.pages import PageRoute, render
from docroute.web.signin import Me, allow, check_csrf
from foundation.deliveries import get_delivery, history_of, report_receipt
from foundation.errors import ClerkError
from foundation.models import Delivery, DeliveryState, Document, Role, UploadedFile
from foundation.receipts import ReceiptStatus, check_transition

pages = APIRouter(route_class=PageRoute, include_in_schema=False)
PAGE = 20
URGENT = ("Hỏa tốc", "Hoả tốc", "Thượng khẩn", "Khẩn")
# The inbox's status filter: not yet acknowledged, in progress, done, rejected.
FILTERS: dict[str, tuple[str | None, ...]] = {
    "chua-doc": (None,),
    "dang-xu-ly": ("01", "03", "04", "05"),
    "hoan-thanh": ("06",),
    "tu-choi": ("02",),
}


def _status_filter(loc: str) -> Any:
    codes = FILTERS[loc]
    if codes == (None,):
        return col(Delivery.receipt).is_(None)
    return col(Delivery.receipt).in_(codes)


def _agency_of(me: SignedIn, agency: str | None) -> str:
    if me.role == Role.ADMIN:
        if agency:
            return agency
        raise ClerkError(
            422, "agency_required",
            "Quản trị viên xem hộp thư của một cơ quan bằng cách thêm ?agency=MÃ vào địa chỉ, "
            "ví dụ /hop-thu?agency=kh.so-noi-vu.",
        )
    if not me.agency_id:
        raise ClerkError(
            403,
            "no_agency",
            "Tài khoản của bạn chưa gắn với cơ quan nào; hãy báo quản trị viên.",
        )
    return me.agency_id


@pages.get("/hop-thu")
async def inbox(
    request: Request,
    me: Me,
    session: SessionDep,
    q: str = "",
    loc: str = "",
    khan: bool = False,
    page: Annotated[int, Query(ge=1, alias="trang")] = 1,
    agency: str | None = None,
) -> Response:
    """The agency's delivered documents: unread first, then urgent, then newest."""
    allow(me, Role.AGENCY)
    agency_id = _agency_of(me, agency)
    where: list[Any] = [
        col(Delivery.agency_id) == agency_id, col(Delivery.state) == DeliveryState.DELIVERED
    ]
    if loc in FILTERS:
        where.append(_status_filter(loc))
    if khan:
        where.append(col(Document.urgency).in_(URGENT))
    if q.strip():
        pattern = f"%{q.strip()}%"
        where.append(col(Document.number).ilike(pattern) | col(Document.subject).ilike(pattern))
    on_document = col(Document.id) == col(Delivery.document_id)
    joined = select(Delivery, Document).join(Document, on_document)
    count = sa_select(func.count()).select_from(Delivery).join(
        Document, col(Document.id) == col(Delivery.document_id)
    )
    total = int((await session.exec(count.where(*where))).one()[0])  # type: ignore[call-overload]
    rows = (
        await session.exec(
            joined.where(*where)
            .order_by(
                case((col(Delivery.receipt).is_(None), 0), else_=1),
                case((col(Document.urgency).in_(URGENT), 0), else_=1),
                col(Delivery.created_at).desc(),
            )
            .offset((page - 1) * PAGE).limit(PAGE)
        )
    ).all()
    return render(
        request, "inbox.html", rows=rows, q=q, loc=loc, khan=khan, page=page,
        pages=max(1, -(-total // PAGE)), total=total, urgent=URGENT, agency_id=agency_id,
    )


async def own_delivery(session: SessionDep, me: SignedIn, delivery_id: str) -> Delivery:
    """The delivery if it is addressed to the person's agency (admins: any); 404 otherwise,
    so another agency's documents are not even confirmed to exist."""
    try:
        delivery = await get_delivery(session, delivery_id)
    except ClerkError:
        delivery = None
    if delivery is None or (me.role != Role.ADMIN and delivery.agency_id != me.agency_id):
        raise ClerkError(
            404,
            "delivery_not_found",
            "Không có văn bản này trong hộp thư của cơ quan bạn.",
        )
    return delivery


def allowed_statuses(current: str | None) -> list[ReceiptStatus]:
    """The statuses the agency may report next (the API's transition rules)."""
    allowed = []
    for status in ReceiptStatus:
        try:
            if check_transition(current, status, "lý do"):
                allowed.append(status)
        except ClerkError:
            continue
    return allowed


@pages.get("/hop-thu/{delivery_id}")
async def inbox_document(
    request: Request, me: Me, session: SessionDep, delivery_id: str
) -> Response:
    """The document's text, its original file, its history and the status buttons."""
    allow(me, Role.AGENCY)
    delivery = await own_delivery(session, me, delivery_id)
    document = await session.get(Document, delivery.document_id)
    files = (
        await session.exec(
            select(UploadedFile.id, UploadedFile.filename).where(
                UploadedFile.document_id == delivery.document_id
            )
        )
    ).all()
    history = (await history_of(session, [delivery.id]))[delivery.id]
    return render(
        request, "inbox_document.html", delivery=delivery, document=document, files=files,
        history=history, allowed=allowed_statuses(delivery.receipt),
    )


@pages.post("/hop-thu/{delivery_id}/trang-thai")
async def report(
    request: Request, me: Me, service: ServiceDep, delivery_id: str,
    code: str = Form(...), reason: str = Form(""), csrf: str = Form(""),
) -> Response:
    """Record the status the clerk chose, as the clerk, with the API's transition rules."""
    allow(me, Role.AGENCY)
    check_csrf(me, csrf)
    try:
        status = ReceiptStatus(code)
    except ValueError:
        raise ClerkError(
            422,
            "unknown_status",
            "Trạng thái không hợp lệ; hãy bấm một nút trên trang.",
        ) from None
    async with service.sessions() as session, session.begin():
        delivery = await own_delivery(session, me, delivery_id)
        await session.refresh(delivery, with_for_update=True)
        await report_receipt(session, delivery, status, reason.strip() or None,
                             actor=f"{me.username} ({me.name})")
    return RedirectResponse(f"/hop-thu/{delivery_id}?da-cap-nhat={code}", status_code=303)


@pages.get("/hop-thu/{delivery_id}/tep/{file_id}")
async def original_file(me: Me, session: SessionDep, delivery_id: str, file_id: str) -> Response:
    """The file the sender uploaded, as it was uploaded."""
    allow(me, Role.AGENCY)
    delivery = await own_delivery(session, me, delivery_id)
    stored = await session.get(UploadedFile, file_id)
    if stored is None or stored.document_id != delivery.document_id:
        raise ClerkError(
            404,
            "file_not_found",
            "Văn bản này không có tệp gốc đó; hãy mở lại từ hộp thư.",
        )
    return Response(stored.data, media_type="application/octet-stream",
                    headers={"Content-Disposition": _attachment(stored.filename)})


@pages.get("/hop-thu/{delivery_id}/van-ban.txt")
async def document_text(me: Me, session: SessionDep, delivery_id: str) -> Response:
    """The document's text as a UTF-8 file."""
    allow(me, Role.AGENCY)
    delivery = await own_delivery(session, me, delivery_id)
    document = await session.get(Document, delivery.document_id)
    name = f"{(document.number if document else None) or delivery.document_id}.txt"
    text = document.text if document else ""
    return Response(
        text.encode(), media_type="text/plain; charset=utf-8",
        headers={"Content-Disposition": _attachment(name)},
    )


def _attachment(filename: str) -> str:
    # RFC 6266/5987: Vietnamese file names survive in every browser.
    from urllib.parse import quote

    return f"attachment; filename*=UTF-8''{quote(filename.replace('/', '-'))}"
