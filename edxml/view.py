"""A packet as the JSON other tools read (`docroute edxml read --json`, `POST /v1/edxml`).

The keys named in issue 14 are stable; absent values are `null`. Extra keys may be added.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from edxml.packet import DocumentPacket, Organization, ResponseFor, StatusPacket


def _org(org: Organization) -> dict[str, Any]:
    return {"organ_id": org.organ_id, "name": org.name}


def packet_json(packet: DocumentPacket | StatusPacket) -> dict[str, Any]:
    """The packet's fields as JSON values (dates ISO, timestamps with their +07:00 offset)."""
    if isinstance(packet, StatusPacket):
        return _status(packet)
    business = packet.business
    return {
        "kind": "document",
        "document_id": packet.document_id,
        "from": _org(packet.sender),
        "to": [_org(org) for org in packet.to],
        "number": packet.number,
        "notation": packet.notation,
        "code": packet.code,
        "date": packet.date.isoformat() if packet.date else None,
        "place": packet.place,
        "document_type": {"type": packet.type_code, "detail": packet.type_detail,
                          "name": packet.type_name},
        "subject": packet.subject,
        "signer": asdict(packet.signer),
        "due_date": packet.due_date.isoformat() if packet.due_date else None,
        "priority": packet.priority,
        "steering_type": packet.steering_type,
        "business_type": business.doc_type,
        "business": {
            "reason": business.reason,
            "document_id": business.document_id,
            "receivers": [{"organ_id": o, "receiver_type": t} for o, t in business.receivers],
            "replaces": [asdict(r) for r in business.replaces],
        },
        "response_for": [_response(r) for r in packet.response_for],
        "to_places": list(packet.to_places),
        "traces": [{"organ_id": t.organ_id,
                    "timestamp": t.timestamp.isoformat() if t.timestamp else None}
                   for t in packet.traces],
        "attachments": [
            {"name": a.name, "content_type": a.content_type, "size": len(a.data),
             "description": a.description, "unzipped": a.unzipped}
            for a in packet.attachments
        ],
        "warnings": list(packet.warnings),
    }


def _response(response: ResponseFor) -> dict[str, Any]:
    return {
        "organ_id": response.organ_id,
        "document_id": response.document_id,
        "code": response.code,
        "date": response.date.isoformat() if response.date else None,
    }


def _status(packet: StatusPacket) -> dict[str, Any]:
    return {
        "kind": "status",
        "from": _org(packet.sender),
        "status_code": packet.status_code,
        "response_for": _response(packet.response_for),
        "description": packet.description,
        "timestamp": packet.timestamp.isoformat() if packet.timestamp else None,
        "warnings": list(packet.warnings),
    }
