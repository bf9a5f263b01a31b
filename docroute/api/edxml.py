"""POST /v1/edxml (a document packet) and POST /v1/edxml/status (a status packet).

The packet is the request body (`application/xml`, `text/xml` or `application/octet-stream`), or
a multipart upload with the field `file` (or the form's only file, as LGSP clients send it).
Whatever is not a readable packet is a 413 or 422 saying why, in the reader's words.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

import edxml
from docroute.api.deps import CallerDep, ServiceDep, require
from docroute.api.schemas import PacketPreview, PacketSubmitted, StatusReceived, answers
from docroute.edxml_documents import take_packet
from docroute.edxml_intake import packet_submission
from docroute.edxml_status import receive_status
from docroute.submission import read_checked
from foundation.errors import ClerkError
from foundation.models import Role
from foundation.tokens import Caller
from router import recipients

api = APIRouter(prefix="/v1/edxml", tags=["edxml"])

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/xml": {"schema": {"type": "string", "format": "binary"}},
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}}
            },
        }
    }
}


async def packet_from_request(
    request: Request, limits: edxml.Limits
) -> edxml.DocumentPacket | edxml.StatusPacket:
    """The packet in the body (or the `file` field), or the reader's 413/422."""
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            # An LGSP client names the field `edocFile` (notes §9.2): a form's only file is
            # the packet whatever its field is called.
            files = [value for value in form.values() if isinstance(value, UploadFile)]
            upload = files[0] if len(files) == 1 else None
        if upload is None:
            raise ClerkError(422, "no_file", "Attach the packet as the form field 'file'.")
        data = await upload.read()
    else:
        data = await request.body()
    try:
        # CPU work (a packet of many elements takes seconds): off the event loop.
        return await asyncio.to_thread(edxml.read_packet, data, limits)
    except edxml.PacketError as error:
        raise ClerkError(error.status, error.code, error.message) from None


def _limits(service: Any) -> edxml.Limits:
    return edxml.Limits(packet_bytes=service.settings.max_upload_bytes)


def _check_sender(caller: Caller, sender: str | None, named: str) -> str | None:
    # A sending office sends in its own name; admins send as the packet's From.
    if caller.role == Role.SENDER and caller.agency_id:
        if sender and sender != caller.agency_id:
            raise ClerkError(403, "wrong_sender",
                             f"The packet's From is {named} ({sender}); this token belongs to "
                             f"{caller.agency_id}.")
        return caller.agency_id
    return sender


@api.post("", status_code=202, openapi_extra=_BODY_DOC,
          summary="Submit an edXML document packet (202 + id), or preview it with ?dry_run=true",
          **answers(PacketSubmitted),
          responses={200: {"model": PacketSubmitted | PacketPreview,
                           "description": "a packet taken before, a recall or update, or the "
                           "dry run's preview"}})
async def post_packet(
    request: Request,
    caller: CallerDep,
    service: ServiceDep,
    dry_run: bool = Query(False, description="Return the packet and who would receive it."),
    idempotency_key: str | None = Header(None, max_length=200),
) -> JSONResponse:
    """Route a document packet to the union of its `To` and its Nơi nhận."""
    require(caller, Role.SENDER)
    packet = await packet_from_request(request, _limits(service))
    if not isinstance(packet, edxml.DocumentPacket):
        raise ClerkError(422, "status_packet", "This is a status packet; send it to "
                         "POST /v1/edxml/status.")
    # The packet's sender and `To` are matched, and the document checked and expanded, with
    # the data in force (as the router will route it), not the files the service started with.
    routing = await service.routing_now()
    intake = await asyncio.to_thread(packet_submission, packet, routing)
    sender = _check_sender(caller, intake.sender.agency_id,
                           packet.sender.name or packet.sender.organ_id or "?")
    submission = intake.submission.model_copy(update={"sender": sender})
    if dry_run:
        parsed = read_checked(submission, routing)
        view = routing.expand(parsed, submission.sender, submission.date or parsed.date)
        preview = recipients.with_packet_to(recipients.preview(view), intake.fields.packet["to"])
        return JSONResponse({"packet": edxml.packet_json(packet), "text_source": intake.source,
                             "notes": list(intake.notes), **preview})
    intake = replace(intake, submission=submission)
    taken = await take_packet(service.sessions, routing, packet, intake,
                              key=idempotency_key, caller=caller.token_id,
                              actor=caller.agency_id or caller.role.value)
    service.relay.nudge()
    document, created = taken.document, taken.created
    body = {"id": document.id, "duplicate": not created and taken.action == "new",
            "action": taken.action, **taken.detail, "document_id": document.edxml_id,
            "number": document.number,
            "date": document.date.isoformat() if document.date else None,
            "text_source": intake.source, "notes": list(intake.notes),
            "url": f"/v1/documents/{document.id}"}
    return JSONResponse(body, status_code=202 if created else 200)


@api.post("/status", openapi_extra=_BODY_DOC,
          summary="Report a status with an edXML status packet (01-06, 13, 15, 16)",
          **answers(StatusReceived))
async def post_status_packet(request: Request, caller: CallerDep,
                             service: ServiceDep) -> dict[str, Any]:
    """Record the status packet as the delivery's receipt (duplicates and late arrivals
    included); an agency token may only report as itself."""
    require(caller, Role.AGENCY)
    packet = await packet_from_request(request, _limits(service))
    if not isinstance(packet, edxml.StatusPacket):
        raise ClerkError(422, "document_packet", "This is a document packet; send it to "
                         "POST /v1/edxml.")
    as_agency = caller.agency_id if caller.role == Role.AGENCY else None
    async with service.sessions() as session, session.begin():
        # The reporting agency is matched with the data in force (one it added is known).
        received = await receive_status(session, packet, await service.routing_now(session),
                                        "packet", as_agency)
    return {"document": received.document_id, "delivery_id": received.delivery_id,
            "status_code": packet.status_code, "duplicate": received.duplicate,
            "receipt": received.receipt, "recall": received.recall,
            "warnings": list(packet.warnings)}
