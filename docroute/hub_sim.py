"""A small LGSP-style hub for tests and demos (`docroute hub-sim`): the calls `docroute.hub`
makes, with their JSON shapes (notes §9.2), held in memory.

Each connected system has an id, a secret and the mã định danh it serves. A document packet is
delivered to the systems serving its `To`; a status packet to the system serving its
`ResponseFor/OrganId`. A packet nobody serves is refused with error code 18 ("receiver does not
exist"), as the Lạng Sơn LGSP does. `X-Idempotency-Key` makes a resend return the first id.
"""

from __future__ import annotations

import base64
import itertools
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.datastructures import UploadFile

import edxml


@dataclass
class System:
    """A connected system: its secret and the agencies (mã định danh) it serves."""

    secret: str
    organ_ids: set[str]


@dataclass
class Message:
    """One packet waiting for (or taken by) one receiving system."""

    doc_id: str
    kind: str
    body: bytes
    sender: str
    receiver: str
    status: str = "pending"  # pending | done | fail


@dataclass
class HubState:
    """Everything the simulated hub holds."""

    systems: dict[str, System]
    messages: dict[str, Message] = field(default_factory=dict)
    sent_keys: dict[tuple[str, str], str] = field(default_factory=dict)
    # Every call that took or changed a packet, as (call, system, key or docId): what a test
    # reads to see that nothing was sent, fetched or acknowledged twice.
    calls: list[tuple[str, str, str]] = field(default_factory=list)
    counter: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def serving(self, organ_id: str | None) -> str | None:
        """The system that serves this mã định danh."""
        return next((s for s, system in self.systems.items() if organ_id in system.organ_ids),
                    None)


def _answer(success: bool, status: int = 200, **values: Any) -> JSONResponse:
    return JSONResponse({"success": success, **values}, status_code=status)


def _addressees(packet: edxml.DocumentPacket | edxml.StatusPacket) -> list[str | None]:
    if isinstance(packet, edxml.StatusPacket):
        return [packet.response_for.organ_id]
    return [org.organ_id for org in packet.to]


def _accept(state: HubState, sender: str, body: bytes, kind: str, key: str | None
            ) -> JSONResponse:
    """sendEdoc: one message per receiving system; a resend under the same key is the first."""
    if key and (sender, key) in state.sent_keys:
        return _answer(True, docId=state.sent_keys[(sender, key)])
    try:
        packet = edxml.read_packet(body)
    except edxml.PacketError as error:
        return _answer(False, 400, message=f"22: {error.message}")
    receivers = {state.serving(organ) for organ in _addressees(packet)}
    if None in receivers:
        return _answer(False, 400, message="18: receiver does not exist")
    ids = []
    for receiver in sorted(r for r in receivers if r):
        doc_id = f"HUB-{next(state.counter):06d}"
        state.messages[doc_id] = Message(doc_id, kind, body, sender, receiver)
        ids.append(doc_id)
    if key:
        state.sent_keys[(sender, key)] = ids[0]
    return _answer(True, message="ok", docId=ids[0])


def _waiting(state: HubState, system: str, kind: str) -> JSONResponse:
    data = [{"docId": m.doc_id, "from": m.sender, "to": m.receiver, "status": m.status}
            for m in state.messages.values()
            if m.receiver == system and m.kind == kind and m.status == "pending"]
    return _answer(True, count=len(data), data=data)


def _message(state: HubState, system: str | None, doc_id: str) -> Message | None:
    message = state.messages.get(doc_id)
    return message if system is not None and message and message.receiver == system else None


UNAUTHORISED = {"success": False, "message": "15: wrong SystemId/SecretKey"}


def create_hub_app(state: HubState) -> FastAPI:
    """The hub's HTTP API over `state`."""
    app = FastAPI(title="docroute hub simulator")

    def caller(request: Request) -> str | None:
        system_id = request.headers.get("X-SystemId", "")
        system = state.systems.get(system_id)
        ok = system is not None and system.secret == request.headers.get("X-SecretKey")
        return system_id if ok else None

    @app.post("/v1/sendEdoc")
    async def send_edoc(request: Request) -> JSONResponse:
        sender = caller(request)
        if sender is None:
            return JSONResponse(UNAUTHORISED, 401)
        form = await request.form()
        upload, kind = form.get("edocFile"), str(form.get("messageType") or "edoc")
        if not isinstance(upload, UploadFile):
            return _answer(False, 400, message="10: no edocFile")
        key = request.headers.get("X-Idempotency-Key")
        state.calls.append(("sendEdoc", sender, key or ""))
        return _accept(state, sender, await upload.read(), kind, key)

    @app.get("/v1/syncReceivedEdocList")
    async def received(request: Request, messageType: str = "edoc") -> JSONResponse:  # noqa: N803
        system = caller(request)
        if system is None:
            return JSONResponse(UNAUTHORISED, 401)
        return _waiting(state, system, messageType)

    @app.get("/v1/getEdoc")
    async def get_edoc(request: Request, docId: str) -> JSONResponse:  # noqa: N803
        message = _message(state, caller(request), docId)
        if message is None:
            return _answer(False, 404, message=f"no message {docId} for this system")
        state.calls.append(("getEdoc", message.receiver, docId))
        return _answer(True, data={"docId": docId, "from": message.sender,
                                   "edxml": base64.b64encode(message.body).decode()})

    @app.post("/v1/updateStatus")
    async def update_status(request: Request) -> JSONResponse:
        body = await request.json()
        message = _message(state, caller(request), str(body.get("docId")))
        if message is None:
            return _answer(False, 404, message="no such message for this system")
        state.calls.append(("updateStatus", message.receiver, message.doc_id))
        message.status = "done" if body.get("status") == "done" else "fail"
        return _answer(True, message="ok")

    return app


def parse_system(spec: str) -> tuple[str, System]:
    """`ID:SECRET:ORGAN1,ORGAN2` (the `--system` option of `docroute hub-sim`)."""
    system_id, secret, organs = [*spec.split(":", 2), "", ""][:3]
    if not system_id or not secret:
        raise ValueError(f"{spec!r}: write ID:SECRET:ORGAN_ID,ORGAN_ID")
    return system_id, System(secret, {o.strip() for o in organs.split(",") if o.strip()})
