"""Recall, update and replace a sent document: POST /v1/documents/{id}/recall|update|replace."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from docroute import revisions
from docroute.api.deps import CallerDep, ServiceDep, require
from docroute.api.documents import _BODY_DOC, _read_submission, _with_sender
from docroute.api.schemas import Recalled, Replaced, Updated, answers
from docroute.submission import submit
from foundation.errors import ClerkError
from foundation.models import Document, Role
from foundation.tokens import Caller

api = APIRouter(prefix="/v1/documents", tags=["documents"])


class RecallRequest(BaseModel):
    """Why the document is asked back (the Description of status 13)."""

    reason: str = Field(min_length=1, max_length=2000)


def _owns(caller: Caller, document: Document) -> None:
    if caller.role == Role.SENDER and document.submitted_by != caller.token_id and (
        caller.agency_id is None or caller.agency_id != document.sender
    ):
        raise ClerkError(403, "not_your_document", "This document was sent by another office.")


def _actor(caller: Caller) -> str:
    return caller.agency_id or caller.role.value


@api.post("/{document_id}/recall", summary="Ask every recipient to give the document back (13)",
          **answers(Recalled))
async def recall(document_id: str, body: RecallRequest, caller: CallerDep,
                 service: ServiceDep) -> dict[str, Any]:
    """Each recipient is asked; each answer (15 agreed, 16 refused) shows on its delivery."""
    require(caller, Role.SENDER)
    async with service.sessions() as session, session.begin():
        _owns(caller, await revisions.locked_document(session, document_id))
        # Each recall packet names the agencies as the data in force does.
        return await revisions.recall(session, document_id, body.reason, _actor(caller),
                                      await service.routing_now(session))


@api.post("/{document_id}/update", openapi_extra=_BODY_DOC,
          summary="Correct a sent document: added agencies receive it, removed ones are asked back",
          **answers(Updated))
async def update(document_id: str, request: Request, caller: CallerDep,
                 service: ServiceDep) -> dict[str, Any]:
    """The new text (JSON or upload, as for POST /v1/documents) replaces the old one."""
    require(caller, Role.SENDER)
    submission = _with_sender(await _read_submission(request, service), caller)
    async with service.sessions() as session, session.begin():
        _owns(caller, await revisions.locked_document(session, document_id))
        # Re-expanded with the data in force, as the router expands a new document now.
        answer = await revisions.update(session, document_id, submission, _actor(caller),
                                        await service.routing_now(session))
    service.relay.nudge()
    return answer


@api.post("/{document_id}/replace", status_code=202, openapi_extra=_BODY_DOC,
          summary="Send a new document that replaces this one (linked to it)",
          **answers(Replaced),
          responses={200: {"model": Replaced, "description": "the same replacement sent before"}})
async def replace(document_id: str, request: Request, caller: CallerDep,
                  service: ServiceDep) -> JSONResponse:
    """A new document, routed as any other, that names the one it replaces."""
    require(caller, Role.SENDER)
    submission = _with_sender(await _read_submission(request, service), caller)
    async with service.sessions() as session:
        old = await session.get(Document, document_id)
        if old is None:
            raise ClerkError(404, "document_not_found", f"No document has id {document_id!r}.")
        _owns(caller, old)
    document, created = await submit(service.sessions, submission, None, caller.token_id,
                                     await service.routing_now(), replaces=document_id)
    service.relay.nudge()
    return JSONResponse({"id": document.id, "replaces": document_id, "duplicate": not created,
                         "url": f"/v1/documents/{document.id}"},
                        status_code=202 if created else 200)
