"""POST /v1/documents (JSON or upload, with dry run) and GET /v1/documents/{id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from docroute.api.deps import (
    CallerDep,
    ServiceDep,
    SessionDep,
    SubmittingCallerDep,
    callers,
    require,
    still_valid,
    token_still_valid,
)
from docroute.api.schemas import DocumentView, Preview, Submitted, answers
from docroute.checks import check_columns
from docroute.intake import check_suffix, decode_text
from docroute.service import Service
from docroute.submission import Original, Submission, new_document, read_checked, submit
from foundation.channels import for_sender
from foundation.deliveries import delivery_view, document_deliveries
from foundation.errors import ClerkError
from foundation.models import Delivery, DeliveryState, Document, Role
from foundation.models.clock import iso
from foundation.receipts import ReceiptStatus
from foundation.tokens import Caller, bad_token
from router import recipients
from router.warnings import day_from_text, document_warnings, routed_warnings, stored_warnings
from rules.outcomes import Outcome

api = APIRouter(prefix="/v1/documents", tags=["documents"])

_BODY_DOC: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/json": {"schema": Submission.model_json_schema()},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "a .txt (UTF-8), .docx, .pdf or .doc file",
                        },
                        "sender": {"type": "string"},
                    },
                    "required": ["file"],
                }
            },
        }
    }
}


async def _read_submission(request: Request, service: Service) -> Submission:
    content_type = request.headers.get("content-type", "")
    if media_type(content_type) == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise ClerkError(422, "no_file", "Attach the document as the form field 'file'.")
        filename = upload.filename or ""
        check_suffix(filename)
        data = await upload.read()
        text = await service.extractor.text(data, filename)
        # Kept to be sent on as the attachment of edXML packets.
        request.state.original = Original(filename or "van-ban",
                                          upload.content_type or "application/octet-stream", data)
        sender = form.get("sender")
        return Submission(text=text, sender=sender if isinstance(sender, str) else None)
    if media_type(content_type) != "application/json":
        raise ClerkError(
            415,
            "unsupported_media_type",
            "Send JSON ({\"text\": ...}) or a multipart upload with a 'file' field.",
        )
    raw = decode_text(await request.body(), "The request body")
    try:
        return Submission.model_validate_json(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
        )
        hint = 'send a JSON object such as {"text": "...", "sender": "kh.ubnd-tinh"}'
        raise ClerkError(422, "invalid_request", f"{problems} ({hint})") from error


def media_type(content_type: str) -> str:
    """`application/json; charset=utf-8` -> `application/json` (so `application/jsonx` is
    not taken for JSON)."""
    return content_type.split(";", 1)[0].strip().lower()


def _with_sender(submission: Submission, caller: Caller) -> Submission:
    # A sending office submits in its own name; only admins may name another sender.
    if caller.role == Role.SENDER and caller.agency_id:
        if submission.sender and submission.sender != caller.agency_id:
            raise ClerkError(
                403,
                "wrong_sender",
                f"This token belongs to {caller.agency_id}; it cannot send as {submission.sender}.",
            )
        return submission.model_copy(update={"sender": caller.agency_id})
    return submission


@api.post(
    "",
    status_code=202,
    openapi_extra=_BODY_DOC,
    summary="Submit a document (202 + id), or preview its recipients with ?dry_run=true",
    **answers(Submitted),
    responses={200: {"model": Submitted | Preview,
                     "description": "the same document sent before, or the dry run's preview"}},
)
async def post_document(
    request: Request,
    caller: SubmittingCallerDep,
    service: ServiceDep,
    dry_run: bool = Query(False, description="Return who would receive it, send nothing."),
    idempotency_key: str | None = Header(None, max_length=200),
) -> JSONResponse:
    """Accept a document for routing; the same document twice returns the first one.

    The caller may come from the cache of tokens seen before (`submitting_caller`): the
    submission's insert checks that its token is still valid, a dry run checks it first,
    and any refusal checks it before it is given, so that a token revoked or expired since
    is answered 401 first, as a lookup per request would answer it (and is forgotten)."""
    try:
        return await _post(request, caller, service, dry_run, idempotency_key)
    except ClerkError as error:
        if caller.checked:
            raise
        if error.code != "bad_token" and await token_still_valid(service, caller):
            raise
        callers(request).forget(caller.token_id)
        if error.code == "bad_token":
            raise
        raise bad_token() from error


async def _post(request: Request, caller: Caller, service: Service, dry_run: bool,
                idempotency_key: str | None) -> JSONResponse:
    require(caller, Role.SENDER)
    submission = _with_sender(await _read_submission(request, service), caller)
    # The data in force (an activated snapshot, else the files): the sender is checked against
    # it, the edXML id names the sender as it does, and a dry run expands with it as the
    # router will. A dry run reads the activations in force; a submission, the hot path, reuses
    # this process's read of the last second (`Service.routing_recent`), and reads them again
    # before refusing a sender that read lacks (another process may have just activated a
    # snapshot that adds it).
    routing = await (service.routing_now() if dry_run else service.routing_recent())
    if submission.sender and not dry_run and not routing.agency_known(submission.sender):
        routing = await service.routing_now()
    if dry_run:
        await still_valid(service, caller)
        parsed = read_checked(submission, routing)
        check_columns(new_document(submission, parsed, None, None))  # as a submission would
        date = submission.date or parsed.date
        try:
            expansion = routing.expand(parsed, submission.sender, date)
        except recipients.UnroutableError as error:
            raise ClerkError(422, "unroutable", f"{error}; check the date and recipient "
                             "lines.") from error
        view = recipients.preview(expansion)
        view["recipients"], view["abolished"] = recipients.on_sending_day(
            view, routing.directory, recipients.sending_day()
        )
        view["warnings"] = routed_warnings(
            submission.number or parsed.number, date, expansion.as_of, expansion.as_of_source
        )
        return JSONResponse(view)
    document, created = await submit(
        service.sessions, submission, idempotency_key, caller.token_id, routing,
        original=getattr(request.state, "original", None), check_token=not caller.checked,
    )
    if created:
        service.relay.nudge()
    body = {
        "id": document.id,
        "duplicate": not created,
        "number": document.number,
        "date": document.date.isoformat() if document.date else None,
        "url": f"/v1/documents/{document.id}",
        "warnings": _submitted_warnings(document),
    }
    return JSONResponse(body, status_code=202 if created else 200)


def _submitted_warnings(document: Document) -> list[str]:
    if document.expansion is not None:  # a resubmission of a routed document
        return stored_warnings(document.number, document.date, document.expansion)
    if document.date is not None:
        return document_warnings(document.number, document.date, None, "")
    day, source = day_from_text(recipients.read(document.text))
    return document_warnings(document.number, document.date, day, source)


@api.get("/{document_id}", summary="The document, its recipients and each delivery's status",
         **answers(DocumentView))
async def get_document(document_id: str, caller: CallerDep, session: SessionDep) -> dict[str, Any]:
    """The document with its deliveries, their history, and who confirmed."""
    require(caller, Role.SENDER, Role.AUDITOR)
    document = await session.get(Document, document_id)
    if document is None:
        raise ClerkError(404, "document_not_found", f"No document has id {document_id!r}.")
    if (
        caller.role == Role.SENDER
        and document.submitted_by != caller.token_id
        and (caller.agency_id is None or caller.agency_id != document.sender)
    ):
        raise ClerkError(403, "not_your_document", "This document was sent by another office.")
    deliveries, history = await document_deliveries(session, document.id)
    view = _document_view(document, deliveries, history)
    return _for_sender(view) if caller.role == Role.SENDER else view


def _for_sender(view: dict[str, Any]) -> dict[str, Any]:
    """A sender sees why a delivery failed, not the agency server's own error body."""
    for delivery in view["deliveries"]:
        delivery["failure"] = for_sender(delivery.get("failure"))
        for event in delivery.get("history", []):
            event["note"] = for_sender(event.get("note"))
    return view


def _packet_view(document: Document, expansion: dict[str, Any]) -> dict[str, Any] | None:
    if document.packet is None:
        return None
    return {"document_id": document.edxml_id, **document.packet,
            "packet_to": expansion.get("packet_to")}


def _document_view(
    document: Document, deliveries: list[Delivery], history: dict[str, list[Any]]
) -> dict[str, Any]:
    expansion = document.expansion or {}
    return {
        "id": document.id,
        "number": document.number,
        "doc_type": document.doc_type,
        "issuer": document.issuer,
        "date": document.date.isoformat() if document.date else None,
        "urgency": document.urgency,
        "subject": document.subject,
        "sender": document.sender,
        "created_at": iso(document.created_at),
        "routed": document.routed_at is not None,
        "replaces": document.replaces,
        "recalled_at": document.recalled_at.isoformat() if document.recalled_at else None,
        "rules_version": document.rules_version,
        "warnings": stored_warnings(document.number, document.date, expansion),
        # Recipients that no longer existed on the sending day and had no successor.
        "abolished": expansion.get("abolished", []),
        "unresolved": [
            ln for ln in expansion.get("lines", []) if ln.get("outcome") == Outcome.UNRESOLVED
        ],
        # edXML: the packet's own fields, and its To against its Nơi nhận, both ways.
        "edxml": _packet_view(document, expansion),
        "summary": {
            "deliveries": len(deliveries),
            "delivered": sum(d.state == DeliveryState.DELIVERED for d in deliveries),
            "failed": [d.agency_id for d in deliveries if d.state == DeliveryState.FAILED],
            "confirmed": [d.agency_id for d in deliveries if d.confirmed_at is not None],
            "not_confirmed": [d.agency_id for d in deliveries if d.receipt is None],
            "rejected": [d.agency_id for d in deliveries if d.receipt == ReceiptStatus.REJECTED],
            # A recall or update's requests, and each agency's answer (13 asked, 15, 16).
            "recall": {d.agency_id: d.recall for d in deliveries if d.recall},
        },
        "deliveries": [delivery_view(d, history[d.id]) for d in deliveries],
    }
