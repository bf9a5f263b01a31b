"""The fields of a MessageHeader (and its trace list) as packet values.

Only what a receiver cannot do without is required: `From/OrganId`, at least one `To`, and for
a status its code and `ResponseFor/DocumentId` (or its Code). Everything else may be missing or
empty, as real producers leave it (shared/docs/edxml.md §3.2); a descriptive number written as
words is left out with a warning.
"""

from __future__ import annotations

import re
import unicodedata

from edxml.attachments import read_attachments
from edxml.errors import PacketError
from edxml.limits import Limits
from edxml.packet import (
    Business,
    BusinessType,
    DocumentPacket,
    Organization,
    Replacement,
    ResponseFor,
    Signer,
    Staff,
    StatusPacket,
    Trace,
)
from edxml.values import clean, parse_date, parse_int, parse_timestamp
from edxml.xmltree import Node

PRIORITIES = {0: "thuong", 1: "khan", 2: "thuong_khan", 3: "hoa_toc", 4: "hoa_toc_hen_gio"}
STATUS_CODES = ("01", "02", "03", "04", "05", "06", "13", "15", "16")
# Inside QCVN 102's 01-16 range but given no meaning by any implementation the exchange notes
# read (`../shared/docs/edxml.md` §5.1: "not seen anywhere"): refused by name, not recorded,
# since docroute cannot say what such a report means to a clerk.
UNDEFINED_CODES = ("07", "08", "09", "10", "11", "12", "14")
_ORGAN_ID = re.compile(r"[0-9A-Za-z.\-_]{1,35}")


def organization(node: Node | None, where: str,
                 warnings: list[str] | None = None) -> Organization:
    """An organization block; `OrganId` is checked when present: a malformed one is refused,
    or, given `warnings`, kept as written (matched by name, else flagged) with a warning."""
    if node is None:
        return Organization()
    organ_id = node.text("OrganId")
    if organ_id is not None and not _ORGAN_ID.fullmatch(organ_id):
        problem = (f"{where}/OrganId: {node.text('OrganId')!r} is not a mã định danh (≤35 "
                   "letters, digits and dots)")
        if warnings is None:
            raise PacketError(problem)
        warnings.append(f"{problem}; kept as written, matched by name or flagged")
        organ_id = node.text("OrganId")
    return Organization(
        organ_id, node.text("OrganName"), node.text("OrganizationInCharge"),
        node.text("OrganAdd"), node.text("Email"), node.text("Telephone"),
        node.text("Fax"), node.text("Website"),
    )


def staff(node: Node | None) -> Staff | None:
    """A StaffInfo block, or None when absent."""
    if node is None:
        return None
    return Staff(node.text("Department"), node.text("Staff"), node.text("Mobile"),
                 node.text("Email"))


def read_document(root: Node, header: Node, limits: Limits,
                  warnings_so_far: tuple[str, ...] = ()) -> DocumentPacket:
    """A document packet from its MessageHeader, trace list and attachments."""
    sender = organization(header.child("From"), "From")
    if sender.organ_id is None:
        raise PacketError("From/OrganId is missing: the packet does not say who sent it")
    # One receiver's malformed OrganId must not refuse the packet and leave every receiver
    # unrouted: it is kept, flagged (From stays strict: who sent it must be clear).
    warnings = list(warnings_so_far)
    to = tuple(organization(n, "To", warnings) for n in header.children("To"))
    if not to:
        raise PacketError("The packet has no To: it does not say which agency receives it")
    if any(org.organ_id is None and org.name for org in to):
        warnings.append("a To has no OrganId; it is matched by name")
    if any(org.organ_id is None and org.name is None for org in to):
        warnings.append("a To has neither OrganId nor OrganName: it names no agency")
    attachments, attachment_warnings = read_attachments(root, limits)
    return DocumentPacket(
        sender=sender,
        to=to,
        document_id=header.text("DocumentId"),
        number=header.text("Code", "CodeNumber"),
        notation=header.text("Code", "CodeNotation"),
        date=parse_date(header.text("PromulgationInfo", "PromulgationDate"),
                        "PromulgationInfo/PromulgationDate"),
        place=header.text("PromulgationInfo", "Place"),
        type_code=_number(header, warnings, "DocumentType", "Type"),
        type_detail=_number(header, warnings, "DocumentType", "TypeDetail"),
        type_name=header.text("DocumentType", "TypeName"),
        subject=header.text("Subject"),
        content=header.text("Content"),
        signer=Signer(header.text("SignerInfo", "Competence"),
                      header.text("SignerInfo", "Position"),
                      header.text("SignerInfo", "FullName")),
        due_date=parse_date(header.text("DueDate"), "DueDate"),
        priority=_priority(header, warnings),
        steering_type=_number(header, warnings, "SteeringType"),
        sphere=header.text("OtherInfo", "SphereOfPromulgation"),
        typer_notation=header.text("OtherInfo", "TyperNotation"),
        promulgation_amount=_number(header, warnings, "OtherInfo", "PromulgationAmount"),
        page_amount=_number(header, warnings, "OtherInfo", "PageAmount"),
        appendixes=tuple(header.texts("OtherInfo", "Appendixes", "Appendix")),
        response_for=tuple(_response_for(n) for n in header.children("ResponseFor")),
        to_places=_to_places(header),
        traces=_traces(root),
        business=_business(root.find("Bussiness") or root.find("Business")),
        attachments=attachments,
        warnings=(*warnings, *attachment_warnings),
    )


def _number(header: Node, warnings: list[str], *path: str) -> int | None:
    # A descriptive number (type, counts, steering): one written as words is left out with a
    # warning, never a reason to refuse the packet and leave its receivers unrouted.
    text = header.text(*path)
    try:
        return parse_int(text, "/".join(path))
    except PacketError:
        warnings.append(f"{'/'.join(path)} {text!r} is not a whole number; left out")
        return None


def _label(text: str) -> str:
    # Lower case without diacritics: "Hỏa tốc", "Hoả tốc" and "HỎA TỐC" are one label.
    bare = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return " ".join("".join(c for c in bare if not unicodedata.combining(c)).split())


# The 2011 format wrote độ khẩn as its label (notes §7.3).
_PRIORITY_LABELS = {"thuong": 0, "khan": 1, "thuong khan": 2, "hoa toc": 3,
                    "hoa toc hen gio": 4}


def _priority(header: Node, warnings: list[str]) -> int | None:
    text = header.text("OtherInfo", "Priority")
    if text is not None and _label(text) in _PRIORITY_LABELS:
        return _PRIORITY_LABELS[_label(text)]
    value = _number(header, warnings, "OtherInfo", "Priority")
    if value is not None and value not in PRIORITIES:
        warnings.append(f"OtherInfo/Priority {value} is not a known độ khẩn (0-4); kept as is")
    return value


def _to_places(header: Node) -> tuple[str, ...]:
    # Verbatim, one per printed line: trailing ';' and '.' are the clerk's and are kept.
    places = header.child("ToPlaces")
    if places is None:
        return ()
    found = (clean("".join(p.element.itertext())) for p in places.children("Place"))
    return tuple(place for place in found if place)


def _response_for(node: Node) -> ResponseFor:
    return ResponseFor(
        node.text("OrganId"),
        node.text("Code"),
        parse_date(node.text("PromulgationDate"), "ResponseFor/PromulgationDate"),
        node.text("DocumentId"),
    )


def _traces(root: Node) -> tuple[Trace, ...]:
    trace_list = root.find("TraceHeaderList")
    if trace_list is None:
        return ()
    return tuple(
        Trace(organ_id, parse_timestamp(n.text("Timestamp"), "TraceHeader/Timestamp"))
        for n in trace_list.children("TraceHeader")
        if (organ_id := n.text("OrganId"))
    )


def _business(node: Node | None) -> Business:
    if node is None:
        return Business()
    doc_type = parse_int(node.text("BussinessDocType"), "Bussiness/BussinessDocType") or 0
    if doc_type not in tuple(BusinessType):
        raise PacketError(f"Bussiness/BussinessDocType {doc_type} is not 0 (new), 1 (recall), "
                          "2 (update) or 3 (replace)")
    info = node.child("BussinessDocumentInfo")
    receivers = info.child("ReceiverList") if info else None
    replacements = node.child("ReplacementInfoList")
    return Business(
        doc_type=doc_type,
        reason=node.text("BussinessDocReason"),
        document_id=node.text("DocumentId"),
        paper=node.text("Paper"),
        staff=staff(node.child("StaffInfo")),
        content_changed=_flag(info, "DocumentInfo"),
        receivers_changed=_flag(info, "DocumentReceiver"),
        receivers=tuple(
            (organ_id, parse_int(r.text("ReceiverType"), "Receiver/ReceiverType"))
            for r in (receivers.children("Receiver") if receivers else ())
            if (organ_id := r.text("OrganId"))
        ),
        replaces=tuple(
            Replacement(document_id, tuple(r.texts("OrganIdList", "OrganId")))
            for r in (replacements.children("ReplacementInfo") if replacements else ())
            if (document_id := r.text("DocumentId"))
        ),
    )


def _flag(node: Node | None, name: str) -> bool | None:
    value = node.text(name) if node else None
    return None if value is None else value == "1"


def read_status(node: Node, warnings: tuple[str, ...]) -> StatusPacket:
    """A status packet from its MessageHeader (family A) or Status element (family C)."""
    sender = organization(node.child("From"), "From")
    if sender.organ_id is None:
        raise PacketError("From/OrganId is missing: the status does not say who reports it")
    response = node.child("ResponseFor")
    response_for = _response_for(response) if response else ResponseFor()
    if not (response_for.document_id or response_for.code):
        raise PacketError("ResponseFor/DocumentId is missing: the status does not say which "
                          "document it is about")
    return StatusPacket(
        sender=sender,
        response_for=response_for,
        status_code=status_code(node.text("StatusCode")),
        description=node.text("Description"),
        timestamp=parse_timestamp(node.text("Timestamp"), "Timestamp"),
        staff=staff(node.child("StaffInfo")),
        warnings=warnings,
    )


def status_code(text: str | None) -> str:
    """The two-digit code: `1` and `01` alike; codes outside 01-06, 13, 15, 16 are refused
    (07-12 and 14 with their own reason: no implementation defines them)."""
    value = (text or "").strip()
    code = value.zfill(2) if value.isdigit() and len(value) <= 2 else value
    if code in UNDEFINED_CODES:
        raise PacketError(f"StatusCode {value!r} is not a status docroute can record: codes "
                          "07-12 and 14 have no meaning in any implementation of QCVN 102 "
                          f"that docroute follows; use one of {', '.join(STATUS_CODES)}",
                          code="undefined_status")
    if code not in STATUS_CODES:
        raise PacketError(f"StatusCode {value!r} is not one of {', '.join(STATUS_CODES)}",
                          code="unknown_status")
    return code
