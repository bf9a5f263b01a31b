"""Status packets in (from POST /v1/edxml/status or the hub) and out (to an edXML sender).

A status packet is matched to the document by `ResponseFor/DocumentId`, else by its Code and
date (as I5 does), and to the delivery by the reporting agency (`From`, by mã định danh or
name). Every report is kept (`status_report`); the same reporter, document, code and timestamp
twice is one report. The delivery's receipt is then worked out from all its reports in
timestamp order, so the order they arrive in does not matter:
progress (01 < 03 < 04 < 05 < 06) never goes back, and 02 (rejected) ends the cycle.
15 and 16 answer a recall or an update (`delivery.recall`); 13 is a recall request.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from consumers.edxml_channel import HUB
from docroute.edxml_intake import find_named
from edxml import Organization, ResponseFor, StatusPacket, write_status
from foundation.errors import ClerkError
from foundation.history import append_event
from foundation.hub_outbox import queue_outbound
from foundation.models import AgencyChannel, ChannelKind, Delivery, Document, StatusReport
from foundation.models.clock import utcnow
from foundation.receipts import is_confirmed
from router import recipients

PROGRESS = {"01": 1, "03": 2, "04": 3, "05": 4, "06": 5}
RECALL_ANSWERS = ("15", "16")
LABELS = {"01": "Đã đến", "02": "Từ chối tiếp nhận", "03": "Đã tiếp nhận", "04": "Phân công",
          "05": "Đang xử lý", "06": "Hoàn thành", "13": "Yêu cầu lấy lại",
          "15": "Đồng ý yêu cầu cập nhật, lấy lại", "16": "Từ chối yêu cầu cập nhật, lấy lại"}


@dataclass(frozen=True)
class Received:
    """What became of one status packet."""

    document_id: str
    delivery_id: str | None
    duplicate: bool
    receipt: str | None
    recall: str | None


def fold(codes: list[str]) -> str | None:
    """The receipt after these receipt codes (01-06), in timestamp order."""
    current: str | None = None
    for code in codes:
        if current == "02":
            break  # a rejection ends the cycle
        if code == "02":
            if current in (None, "01"):
                current = "02"
        elif PROGRESS.get(code, 0) > PROGRESS.get(current or "", 0):
            current = code
    return current


async def find_document(session: AsyncSession, response: ResponseFor,
                        issuer: str | None = None) -> Document:
    """The document a status is about, or a 404 that says what was looked for. By number
    (and date) only when one document fits: two offices may share a number and a day, so
    the issuer ResponseFor/OrganId names (`issuer`: its agency) decides, else a 409."""
    if response.document_id:
        query = select(Document).where(Document.edxml_id == response.document_id)
        if found := (await session.exec(query)).first():
            return found
    code = (response.code or "").strip().strip("/")
    if code:
        query = select(Document).where(Document.number == code)
        if response.date:
            query = query.where(Document.date == response.date)
        rows = list((await session.exec(query.order_by(col(Document.date).desc()))).all())
        if len(rows) > 1:
            named = [r for r in rows if _issued_by(r, response.organ_id, issuer)]
            if len(named) == 1:
                return named[0]
            when = f" of {response.date}" if response.date else ""
            raise ClerkError(409, "ambiguous_document",
                             f"{len(rows)} documents here are numbered {code}{when}; send the "
                             "status with the document's DocumentId (or the issuer's OrganId "
                             "and the date in ResponseFor).")
        if len(rows) == 1:
            return rows[0]
    raise ClerkError(404, "document_not_found",
                     f"No document here has DocumentId {response.document_id!r} "
                     f"(or number {response.code!r} of {response.date}).")


def _issued_by(document: Document, organ_id: str | None, issuer: str | None) -> bool:
    # The packet's own From/OrganId when it came as a packet, else the sending agency.
    sent_as = (document.packet or {}).get("from", {}).get("organ_id")
    return bool((organ_id and sent_as == organ_id) or (issuer and document.sender == issuer))


async def _delivery(session: AsyncSession, document: Document, agency_id: str | None
                    ) -> Delivery | None:
    if agency_id is None:
        return None
    query = select(Delivery).where(Delivery.document_id == document.id,
                                   Delivery.agency_id == agency_id).with_for_update()
    return (await session.exec(query)).first()


async def receive_status(
    session: AsyncSession, packet: StatusPacket, routing: recipients.RoutingRules, source: str,
    as_agency: str | None = None,
) -> Received:
    """Record a status packet (see the module docstring); `as_agency` must be its reporter."""
    addressee = packet.response_for.organ_id
    issuer = find_named(routing, addressee, None, None).agency_id if addressee else None
    document = await find_document(session, packet.response_for, issuer)
    match = find_named(routing, packet.sender.organ_id, packet.sender.name, document.date)
    if as_agency is not None and match.agency_id != as_agency:
        raise ClerkError(403, "wrong_reporter", f"The status is From {packet.sender.organ_id} "
                         f"({match.agency_id or match.how}); this token belongs to {as_agency}.")
    if packet.status_code == "13" and not _is_issuer(document, packet, match.agency_id):
        raise ClerkError(403, "not_the_issuer", "Only the document's issuer can ask for it back "
                         f"(13); {packet.sender.organ_id} did not send it.")
    delivery = await _delivery(session, document, match.agency_id)
    if packet.status_code != "13" and delivery is None:
        raise ClerkError(422, "not_a_recipient",
                         f"{packet.sender.name or packet.sender.organ_id} is not a recipient of "
                         f"document {document.number or document.id} here ({match.how}).")
    reported_at = packet.timestamp or utcnow()
    reporter = (packet.sender.organ_id or match.agency_id or "?")[:100]
    if await _seen(session, document.id, reporter, packet.status_code, reported_at):
        return Received(document.id, delivery.id if delivery else None, True,
                        delivery.receipt if delivery else None,
                        delivery.recall if delivery else None)
    session.add(StatusReport(document_id=document.id, delivery_id=delivery.id if delivery else None,
                             reporter=reporter, agency_id=match.agency_id,
                             code=packet.status_code, description=packet.description,
                             source=source, reported_at=reported_at))
    await session.flush()
    actor = f"{match.agency_id or reporter}:{source}"
    if packet.status_code == "13":
        await _recall_requested(session, document, packet.description, actor)
    elif delivery is not None:
        await _apply(session, document, delivery, packet, actor)
    return Received(document.id, delivery.id if delivery else None, False,
                    delivery.receipt if delivery else None, delivery.recall if delivery else None)


def _is_issuer(document: Document, packet: StatusPacket, agency_id: str | None) -> bool:
    origin = (document.packet or {}).get("from") or {}
    return (agency_id is not None and agency_id == document.sender) or (
        bool(origin.get("organ_id")) and origin.get("organ_id") == packet.sender.organ_id)


async def _seen(session: AsyncSession, document_id: str, reporter: str, code: str,
                at: dt.datetime) -> bool:
    query = select(func.count()).select_from(StatusReport).where(
        StatusReport.document_id == document_id, StatusReport.reporter == reporter,
        StatusReport.code == code, StatusReport.reported_at == at)
    return bool((await session.exec(query)).one())


async def _apply(session: AsyncSession, document: Document, delivery: Delivery,
                 packet: StatusPacket, actor: str) -> None:
    code = packet.status_code
    if code in RECALL_ANSWERS:
        if delivery.recall != code:
            delivery.recall = code
            append_event(session, delivery, "recall", code, note=packet.description, actor=actor)
            await emit_status(session, document, delivery, code, packet.description)
        return
    query = (select(StatusReport.code)
             .where(StatusReport.delivery_id == delivery.id,
                    col(StatusReport.code).in_(["01", "02", "03", "04", "05", "06"]))
             .order_by(col(StatusReport.reported_at), col(StatusReport.id)))
    receipt = fold(list((await session.exec(query)).all()))
    if receipt == delivery.receipt:
        return
    delivery.receipt, delivery.updated_at = receipt, utcnow()
    if is_confirmed(receipt) and delivery.confirmed_at is None:
        delivery.confirmed_at = delivery.updated_at
    session.add(delivery)
    append_event(session, delivery, "receipt", receipt or "", note=packet.description,
                 actor=actor)
    await emit_status(session, document, delivery, receipt or code, packet.description)


async def _recall_requested(session: AsyncSession, document: Document, reason: str | None,
                            actor: str) -> None:
    # The issuer asks for its document back: flagged on every delivery, nothing deleted
    # (as VOffice does: the clerks decide; each agency answers 15 or 16).
    if document.recalled_at is None:
        document.recalled_at = utcnow()
        session.add(document)
    rows = (await session.exec(select(Delivery).where(Delivery.document_id == document.id)
                               .with_for_update())).all()
    for delivery in rows:
        if delivery.recall is None:
            delivery.recall = "13"
            session.add(delivery)
            append_event(session, delivery, "recall", "13", note=reason, actor=actor)


async def emit_status(session: AsyncSession, document: Document, delivery: Delivery,
                      code: str, description: str | None) -> bool:
    """Queue a status packet for the document's sender when its system is edXML-connected:
    the document came through the hub (back through the hub), or the sender's own channel is
    `edxml hub` or `edxml URL` (to the hub, or POSTed to that URL by the outbox's poster).
    Keyed by delivery and history position, so each change goes once."""
    route = await sender_system(session, document)
    if route is None:
        return False
    addressee, target = route
    to_agency = delivery.agency_id
    packet = StatusPacket(
        sender=Organization(_organ_id(document, to_agency), delivery.agency_name),
        response_for=ResponseFor(addressee, document.number, document.date,
                                 document.edxml_id),
        status_code=code, description=description or LABELS.get(code),
        timestamp=utcnow(),
    )
    key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"status:{delivery.id}:{delivery.event_count}"))
    # The URL is the sender's channel's (`sender_system`): its secrets sign the POST.
    return await queue_outbound(session, key, "status", write_status(packet), document.id,
                                target=target, agency_id=document.sender)


async def sender_system(session: AsyncSession, document: Document
                        ) -> tuple[str, str | None] | None:
    """Where statuses about this document go, if its sender's system speaks edXML: the
    mã định danh they are addressed to, and the URL of that system (None: the hub)."""
    origin = (document.packet or {}).get("from") or {}
    if (document.packet or {}).get("via") == "hub":
        return (str(origin["organ_id"]), None) if origin.get("organ_id") else None
    if not (document.sender and document.edxml_id):
        return None
    channel = await session.get(AgencyChannel, document.sender)
    if channel is None or channel.kind != ChannelKind.EDXML or not channel.target:
        return None
    # The sender as its packet named itself, else as docroute's packets name it: the first
    # part of the DocumentId.
    addressee = str(origin.get("organ_id") or document.edxml_id.split(",", 1)[0])
    return addressee, None if channel.target == HUB else channel.target


def _organ_id(document: Document, agency_id: str) -> str:
    # The mã định danh the sender's packet used for this agency, else our directory id.
    for org in (document.packet or {}).get("to", []):
        if org.get("agency_id") == agency_id and org.get("organ_id"):
            return str(org["organ_id"])
    return agency_id
