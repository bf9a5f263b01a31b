"""Writing packets in the shape the official SDK library (I1) writes (notes §3).

Default-namespace root `edXML`, the `edXML:` prefix on every element under the envelope, child
order of I1 (DocumentId after the last To, Bussiness before TraceHeader), dates `yyyy/MM/dd`,
timestamps `yyyy/MM/dd HH:mm:ss` in Vietnam time, organization blocks with all eight tags, files
base64 in `AttachmentEncoded` with `cid:N` in both places. docroute does not zip attachments:
readers take files as they are, and the zipping is only the SDK's habit.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from xml.sax.saxutils import escape

from edxml.packet import (
    NAMESPACE,
    Business,
    DocumentPacket,
    Organization,
    ResponseFor,
    Staff,
    StatusPacket,
    Trace,
)
from edxml.values import format_date, format_timestamp

Tree = Iterator[str]


# Characters XML 1.0 cannot carry at all (C0 controls but tab, CR, LF; lone surrogates).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _escape(value: object) -> str:
    return escape(_NOT_XML.sub("", str(value)))


def _el(name: str, value: object | None) -> str:
    text = "" if value is None else _escape(value)
    return f"<edXML:{name}>{text}</edXML:{name}>" if text else f"<edXML:{name}/>"


def _block(name: str, parts: Iterable[str]) -> Tree:
    yield f"<edXML:{name}>"
    yield from parts
    yield f"</edXML:{name}>"


def _date(day: object) -> str | None:
    return format_date(day) if isinstance(day, dt.date) else None


def _org(name: str, org: Organization) -> Tree:
    return _block(name, [
        _el("OrganId", org.organ_id), _el("OrganizationInCharge", org.in_charge),
        _el("OrganName", org.name), _el("OrganAdd", org.address), _el("Email", org.email),
        _el("Telephone", org.telephone), _el("Fax", org.fax), _el("Website", org.website),
    ])


def _staff(staff: Staff | None) -> Tree:
    staff = staff or Staff()
    return _block("StaffInfo", [_el("Department", staff.department), _el("Staff", staff.staff),
                                _el("Mobile", staff.mobile), _el("Email", staff.email)])


def _response_for(response: ResponseFor) -> Tree:
    return _block("ResponseFor", [
        _el("OrganId", response.organ_id), _el("Code", response.code),
        _el("PromulgationDate", _date(response.date)), _el("DocumentId", response.document_id),
    ])


def _header(packet: DocumentPacket) -> Tree:
    yield from _org("From", packet.sender)
    for org in packet.to:
        yield from _org("To", org)
    yield _el("DocumentId", packet.document_id)
    yield from _block("Code", [_el("CodeNumber", packet.number),
                               _el("CodeNotation", packet.notation)])
    yield from _block("PromulgationInfo", [_el("Place", packet.place),
                                           _el("PromulgationDate", _date(packet.date))])
    yield from _block("DocumentType", [_el("Type", packet.type_code),
                                       _el("TypeDetail", packet.type_detail),
                                       _el("TypeName", packet.type_name)])
    yield _el("Subject", packet.subject)
    yield _el("Content", packet.content)
    signer = packet.signer
    yield from _block("SignerInfo", [_el("Competence", signer.competence),
                                     _el("Position", signer.position),
                                     _el("FullName", signer.full_name)])
    yield _el("DueDate", _date(packet.due_date))
    yield from _other_info(packet)
    for response in packet.response_for:
        yield from _response_for(response)
    yield _el("SteeringType", packet.steering_type)
    yield from _block("ToPlaces", [_el("Place", place) for place in packet.to_places])


def _other_info(packet: DocumentPacket) -> Tree:
    parts = [_el("Priority", packet.priority), _el("SphereOfPromulgation", packet.sphere),
             _el("TyperNotation", packet.typer_notation),
             _el("PromulgationAmount", packet.promulgation_amount),
             _el("PageAmount", packet.page_amount)]
    if packet.appendixes:  # I1 omits Appendixes when the list is empty
        parts += _block("Appendixes", [_el("Appendix", a) for a in packet.appendixes])
    return _block("OtherInfo", parts)


def _business(business: Business) -> Tree:
    parts = [_el("BussinessDocType", business.doc_type),
             _el("BussinessDocReason", business.reason)]
    if business.document_id:
        parts.append(_el("DocumentId", business.document_id))
    parts += [_el("Paper", business.paper or "0"), *_staff(business.staff)]
    if business.receivers or business.content_changed is not None:
        receivers = [
            line
            for organ_id, kind in business.receivers
            for line in _block("Receiver", [_el("OrganId", organ_id), _el("ReceiverType", kind)])
        ]
        parts += _block("BussinessDocumentInfo", [
            _el("DocumentInfo", int(bool(business.content_changed))),
            _el("DocumentReceiver", int(bool(business.receivers_changed))),
            *_block("ReceiverList", receivers),
        ])
    if business.replaces:
        infos = [
            line
            for replaced in business.replaces
            for line in _block("ReplacementInfo", [
                _el("DocumentId", replaced.document_id),
                *_block("OrganIdList", [_el("OrganId", o) for o in replaced.organ_ids]),
            ])
        ]
        parts += _block("ReplacementInfoList", infos)
    return _block("Bussiness", parts)


def _trace(trace: Trace) -> Tree:
    stamp = format_timestamp(trace.timestamp) if trace.timestamp else None
    return _block("TraceHeader", [_el("OrganId", trace.organ_id), _el("Timestamp", stamp)])


def _envelope(header: Iterable[str], body: Iterable[str]) -> Tree:
    yield '<?xml version="1.0" encoding="UTF-8"?>'
    yield f'<edXML xmlns="{NAMESPACE}">'
    yield f'<edXML:edXMLEnvelope xmlns:edXML="{NAMESPACE}">'
    yield from _block("edXMLHeader", header)
    yield from body
    yield "</edXML:edXMLEnvelope>"


def write_document(packet: DocumentPacket) -> bytes:
    """The document packet as UTF-8 bytes (CRLF line ends, as I1 and the SDK samples)."""
    traces = [line for trace in packet.traces for line in _trace(trace)]
    header = [*_block("MessageHeader", _header(packet)),
              *_block("TraceHeaderList", [*_business(packet.business), *traces])]
    references = [
        line
        for n, a in enumerate(packet.attachments, start=1)
        for line in _block("Reference", [
            _el("ContentId", f"cid:{n}"), _el("ContentType", a.content_type),
            _el("Description", a.description), _el("AttachmentName", a.name),
        ])
    ]
    body = _block("edXMLBody", [
        '<edXML:edXMLManifest version="1.0">', *references, "</edXML:edXMLManifest>"
    ])
    lines = [*_envelope(header, body), *_attachments(packet), "</edXML>"]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _attachments(packet: DocumentPacket) -> Tree:
    if not packet.attachments:
        return
    yield "<AttachmentEncoded>"
    for n, a in enumerate(packet.attachments, start=1):
        yield "<Attachment>"
        yield f"<ContentId>cid:{n}</ContentId>"
        yield f"<AttachmentName>{_escape(a.name)}</AttachmentName>"
        if a.description:
            yield f"<Description>{_escape(a.description)}</Description>"
        yield f"<ContentType>{_escape(a.content_type)}</ContentType>"
        yield (f'<edXML:ContentTransferEncoded xmlns:edXML="{NAMESPACE}">'
               f"{base64.b64encode(a.data).decode('ascii')}</edXML:ContentTransferEncoded>")
        yield "</Attachment>"
    yield "</AttachmentEncoded>"


def write_status(packet: StatusPacket) -> bytes:
    """The status packet as UTF-8 bytes: a MessageHeader with no trace list and no body."""
    stamp = format_timestamp(packet.timestamp) if packet.timestamp else None
    header = _block("MessageHeader", [
        *_org("From", packet.sender), *_response_for(packet.response_for),
        *_staff(packet.staff), _el("StatusCode", packet.status_code),
        _el("Description", packet.description), _el("Timestamp", stamp),
    ])
    lines = [*_envelope(header, []), "</edXML>"]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")
