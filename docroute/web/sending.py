"""The sending office: paste or upload a document, preview every recipient line with its
outcome (unresolved first), resolve lines in place, and send."""

from __future__ import annotations

import datetime as dt
import mimetypes
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from docroute.api.deps import ServiceDep
from docroute.intake import check_suffix
from docroute.people import SignedIn
from docroute.submission import Clerk, Original, Submission, read_checked, submit
from docroute.web.decisions import Decisions, agency_label, line_key, read_decisions, valid_on
from docroute.web.pages import PageRoute, render, said
from docroute.web.signin import Me, allow, check_csrf
from foundation.database import transaction
from foundation.errors import ClerkError
from foundation.models import Role, UploadedFile
from router import recipients
from router.resolutions import apply_resolutions
from rules.outcomes import Outcome

pages = APIRouter(route_class=PageRoute, include_in_schema=False)


@pages.get("/gui")
async def send_form(request: Request, me: Me) -> Response:
    """Paste the text or choose a file."""
    allow(me, Role.SENDER)
    return render(request, "send.html", text="")


async def _posted(
    request: Request, me: SignedIn, service: ServiceDep
) -> tuple[dict[str, str], str]:
    """The form's fields and the document's text; an uploaded file is kept (its id goes in
    the form as `file_id`) so the agencies can download the original once it is sent."""
    form = await request.form()
    check_csrf(me, str(form.get("csrf", "")))
    upload = form.get("file")
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if isinstance(upload, UploadFile) and upload.filename:
        check_suffix(upload.filename)
        data = await upload.read()
        # In the bounded pool, as the API reads uploads: a zip bomb is a 413, not a frozen page.
        text = await service.extractor.text(data, upload.filename)
        fields["file_id"] = str(uuid.uuid4())
        fields["file_name"] = upload.filename
        async with transaction(service.sessions) as session:
            session.add(UploadedFile(id=fields["file_id"], person_id=me.person_id,
                                     filename=upload.filename, data=data))
        return fields, text
    return fields, fields.get("text", "")


async def _original(service: ServiceDep, me: SignedIn, file_id: str) -> Original | None:
    """The uploaded file, kept with the document as the API keeps an upload (edXML packets
    carry it as their attachment)."""
    if not file_id:
        return None
    async with service.sessions() as session:
        stored = await session.get(UploadedFile, file_id)
    if stored is None or stored.person_id != me.person_id:
        return None
    kind = mimetypes.guess_type(stored.filename)[0] or "application/octet-stream"
    return Original(stored.filename, kind, stored.data)


async def _attach_file(service: ServiceDep, me: SignedIn, file_id: str, document_id: str) -> None:
    if not file_id:
        return
    async with transaction(service.sessions) as session:
        stored = await session.get(UploadedFile, file_id)
        if stored is not None and stored.person_id == me.person_id and stored.document_id is None:
            stored.document_id = document_id
            session.add(stored)


def _submission(me: SignedIn, text: str) -> Submission:
    if me.role == Role.SENDER and not me.agency_id:
        raise ClerkError(
            403,
            "no_agency",
            "Tài khoản của bạn chưa gắn với cơ quan gửi; hãy báo quản trị viên.",
        )
    return Submission(text=text, sender=me.agency_id)


def _preview(
    routing: recipients.RoutingRules, submission: Submission, decisions: Decisions
) -> dict[str, Any]:
    parsed = read_checked(submission, routing)
    expansion = routing.expand(parsed, submission.sender, parsed.date)
    view = recipients.preview(expansion)
    applied = apply_resolutions(view, decisions.applied, routing.directory)
    # Lines still unresolved first, then those the clerk resolved, then the rest.
    applied["lines"] = sorted(applied["lines"], key=_line_order)
    return applied


def _line_order(line: dict[str, Any]) -> int:
    if line.get("outcome") == Outcome.UNRESOLVED:
        return 0
    return 1 if line.get("clerk") else 2


def _agency_choices(routing: recipients.RoutingRules, as_of: str | None) -> list[str]:
    day = dt.date.fromisoformat(as_of) if as_of else None
    agencies = routing.directory.agencies.values()
    return sorted(agency_label(a) for a in agencies if valid_on(a, day))


@pages.post("/gui/xem-truoc")
async def preview(request: Request, me: Me, service: ServiceDep) -> Response:
    """Every line of Kính gửi and Nơi nhận with its outcome and reason, unresolved first."""
    allow(me, Role.SENDER)
    form, text = await _posted(request, me, service)
    # The data the router would expand it with now (an activated snapshot, else the files).
    return _preview_page(request, await service.routing_now(), me, form, text)


def _preview_page(
    request: Request, routing: recipients.RoutingRules, me: SignedIn, form: dict[str, str],
    text: str, status: int = 200, message: str | None = None,
) -> Response:
    decisions = read_decisions(form, routing.directory, me)
    try:
        view = _preview(routing, _submission(me, text), decisions)
    except ClerkError as error:
        return render(request, "send.html", error.status, text=text, message=said(error))
    open_lines = [
        ln for ln in view["lines"] if ln.get("outcome") == Outcome.UNRESOLVED or ln.get("clerk")
    ]
    return render(
        request, "preview.html", status,
        text=text, view=view, open_lines=open_lines, decisions=decisions,
        line_key=line_key, choices=_agency_choices(routing, view.get("as_of")),
        unresolved=sum(ln.get("outcome") == Outcome.UNRESOLVED for ln in view["lines"]),
        names={a.id: a.name for a in routing.directory.agencies.values()},
        message=message, file_id=form.get("file_id", ""), file_name=form.get("file_name", ""),
    )


@pages.post("/gui/gui")
async def send(request: Request, me: Me, service: ServiceDep) -> Response:
    """Send the document with the clerk's decisions; lines left unresolved must be
    acknowledged (they stay flagged on the document)."""
    allow(me, Role.SENDER)
    form, text = await _posted(request, me, service)
    routing = await service.routing_now()
    decisions = read_decisions(form, routing.directory, me)
    submission = _submission(me, text)
    view = _preview(routing, submission, decisions)
    unresolved = sum(ln.get("outcome") == Outcome.UNRESOLVED for ln in view["lines"])
    if decisions.problems:
        return _preview_page(request, routing, me, form, text, 422,
                             "Còn dòng có lựa chọn chưa hợp lệ; hãy sửa các dòng được đánh dấu.")
    if unresolved and form.get("accept_unresolved") != "1":
        return _preview_page(
            request, routing, me, form, text, 422,
            f"Còn {unresolved} dòng chưa xác định được nơi nhận: hãy giải quyết từng dòng, hoặc "
            "đánh dấu ô xác nhận gửi kèm các dòng chưa xác định.",
        )
    document, _created = await submit(
        service.sessions, submission, None, None, routing,
        original=await _original(service, me, form.get("file_id", "")),
        clerk=Clerk(me.person_id, decisions.applied),
    )
    await _attach_file(service, me, form.get("file_id", ""), document.id)
    service.relay.nudge()
    return RedirectResponse(f"/gui/van-ban/{document.id}", status_code=303)
