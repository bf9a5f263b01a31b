"""A stored document as the edXML packet one receiving agency gets (QCVN 102).

One packet per agency, `To` that agency by mã định danh (the directory's `code`, else its
directory id), `ToPlaces` the Nơi nhận lines as printed, the original file attached (the text
as a .txt when the document was submitted as text), and docroute's own `TraceHeader`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from consumers.channel import Addressee
from edxml import (
    Attachment,
    Business,
    BusinessType,
    DocumentPacket,
    Organization,
    Replacement,
    Staff,
    Trace,
)
from foundation.models import Document
from rules import Directory

PRIORITY = {None: 0, "khan": 1, "thuong_khan": 2, "hoa_toc": 3, "hoa_toc_hen_gio": 4}
URGENCY = {value: key for key, value in PRIORITY.items()}
REASONS = {
    BusinessType.NEW: "Văn bản điện tử mới",
    BusinessType.RECALL: "Thu hồi văn bản điện tử",
    BusinessType.UPDATE: "Cập nhật văn bản điện tử",
    BusinessType.REPLACE: "Thay thế văn bản điện tử",
}


def organization(directory: Directory, agency_id: str | None) -> Organization:
    """The agency as a packet names it: its code where the directory has one, else its id."""
    agency = directory.get(agency_id) if agency_id else None
    if agency is None:
        return Organization(agency_id, agency_id)
    parent = directory.get(agency.parent) if agency.parent else None
    return Organization(agency.code or agency.id, agency.name,
                        in_charge=parent.name if parent else None)


def document_id(document: Document, sender: Organization) -> str | None:
    """The packet DocumentId: the one the document came with, else `OrganId,yyyy/MM/dd,Số`."""
    if document.edxml_id:
        return document.edxml_id
    if sender.organ_id and document.date and document.number:
        return f"{sender.organ_id},{document.date:%Y/%m/%d},{document.number}"
    return None


def _sender(document: Document, directory: Directory) -> Organization:
    origin = (document.packet or {}).get("from") or {}
    if origin.get("organ_id") and not origin.get("agency_id"):
        return Organization(origin["organ_id"], origin.get("name"))  # a sender we do not list
    return organization(directory, origin.get("agency_id") or document.sender)


def _to_places(document: Document) -> tuple[str, ...]:
    if document.packet and document.packet.get("to_places"):
        return tuple(document.packet["to_places"])
    lines: list[dict[str, Any]] = (document.expansion or {}).get("lines", [])
    return tuple(line["text"] for line in lines if line.get("section") == "noi_nhan")


def original_file(document: Document) -> Attachment:
    """The file the document was submitted as, or its text as a UTF-8 .txt."""
    if document.original is not None:
        return Attachment(document.original_name or "van-ban", document.original_type
                          or "application/octet-stream", document.original,
                          description=document.subject)
    name = (document.number or document.id).replace("/", "-") + ".txt"
    return Attachment(name, "text/plain", document.text.encode("utf-8"),
                      description=document.subject)


def document_packet(
    document: Document,
    receivers: list[str],
    directory: Directory,
    *,
    system_id: str | None = None,
    business: Business | None = None,
    now: dt.datetime | None = None,
) -> DocumentPacket:
    """The packet of `document` for `receivers` (one agency per packet in the channel)."""
    sender = _sender(document, directory)
    number, _, notation = (document.number or "").partition("/")
    stamp = now or dt.datetime.now(dt.UTC)
    business = business or _business(document)
    return DocumentPacket(
        sender=sender,
        to=tuple(organization(directory, r) for r in receivers),
        document_id=document_id(document, sender),
        number=number or None, notation=notation or None, date=document.date,
        place=(document.expansion or {}).get("document", {}).get("place"),
        type_code=1, type_detail=0, type_name=(document.doc_type or "").capitalize() or None,
        subject=document.subject, content=document.subject,
        priority=PRIORITY.get(document.urgency, 0), steering_type=0,
        to_places=_to_places(document),
        traces=(Trace(system_id or sender.organ_id or "docroute", stamp),),
        business=business,
        attachments=() if business.doc_type == BusinessType.RECALL else (original_file(document),),
    )


def _business(document: Document) -> Business:
    if document.replaces:
        replaced = (document.packet or {}).get("replaces_document_id") or document.replaces
        return Business(BusinessType.REPLACE, REASONS[BusinessType.REPLACE], paper="0",
                        staff=Staff(), replaces=(Replacement(replaced),))
    return Business(BusinessType.NEW, REASONS[BusinessType.NEW], paper="0", staff=Staff())


def for_delivery(document: Document, delivery: Addressee, directory: Directory,
                 system_id: str | None = None) -> DocumentPacket:
    """The packet one delivery carries."""
    return document_packet(document, [delivery.agency_id], directory, system_id=system_id)
