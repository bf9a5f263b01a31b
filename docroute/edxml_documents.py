"""A document packet taken in, by what its BussinessDocType asks (notes §4).

0 new: submitted and routed (a further packet of a document already here, as the hub brings one
per agency, adds its `To` agencies); 1 recall: every recipient is asked to give it back;
2 update: the new text and recipients are applied, and the receivers the packet lists as
removed (ReceiverType 0) are asked back; 3 replace: a new document linked to the replaced one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import select

from docroute import revisions
from docroute.edxml_intake import PacketIntake, find_named
from docroute.submission import add_recipients, submit
from edxml import BusinessType, DocumentPacket
from foundation.database import SessionFactory, transaction
from foundation.errors import ClerkError
from foundation.models import Delivery, Document
from router import recipients


@dataclass(frozen=True)
class Taken:
    """What a packet did: the document it concerns, whether it is new, and what was done."""

    document: Document
    created: bool
    action: str
    detail: dict[str, Any]


async def _by_packet_id(sessions: SessionFactory, document_id: str | None, what: str) -> Document:
    async with sessions() as session:
        query = select(Document).where(Document.edxml_id == document_id)
        found = (await session.exec(query)).first() if document_id else None
    if found is None:
        raise ClerkError(404, "document_not_found",
                         f"This {what} packet is about DocumentId {document_id!r}, which no "
                         "document here has.")
    return found


async def take_packet(
    sessions: SessionFactory, routing: recipients.RoutingRules, packet: DocumentPacket,
    intake: PacketIntake, *, key: str | None = None, caller: int | None = None, actor: str,
) -> Taken:
    """Do what the packet asks (see the module docstring)."""
    kind = packet.business.doc_type
    if kind == BusinessType.RECALL:
        old = await _by_packet_id(sessions, packet.document_id, "recall")
        async with transaction(sessions) as session:
            done = await revisions.recall(session, old.id, packet.business.reason
                                          or "Thu hồi văn bản điện tử", actor, routing)
        return Taken(old, False, "recall", done)
    if kind == BusinessType.UPDATE:
        return await _update(sessions, routing, packet, intake, actor)
    replaces = None
    if kind == BusinessType.REPLACE:
        targets: list[str | None] = [r.document_id for r in packet.business.replaces]
        target = targets[0] if targets else packet.business.document_id
        replaces = (await _by_packet_id(sessions, target, "replace")).id
    elif intake.fields.packet.get("via") == "hub" and await add_recipients(
            sessions, intake.fields, "a further packet of the same document"):
        return Taken(await _by_packet_id(sessions, packet.document_id, "document"), False,
                     "recipients_added", {})
    document, created = await submit(sessions, intake.submission, key, caller, routing,
                                     intake.fields, replaces=replaces)
    return Taken(document, created, "replace" if replaces else "new", {})


async def _update(sessions: SessionFactory, routing: recipients.RoutingRules,
                  packet: DocumentPacket, intake: PacketIntake, actor: str) -> Taken:
    old = await _by_packet_id(sessions, packet.document_id, "update")
    removed = {organ for organ, kind in packet.business.receivers if kind == 0}
    async with transaction(sessions) as session:
        done = await revisions.update(session, old.id, intake.submission, actor, routing,
                                      packet.business.reason)
        if removed:
            query = select(Delivery).where(Delivery.document_id == old.id)
            rows = [d for d in (await session.exec(query)).all()
                    if d.agency_id in _agencies(intake, removed, routing)]
            done["asked_back"] += await revisions.ask_back(
                session, old, rows, packet.business.reason or "removed by an update", actor,
                routing)
    await add_recipients(sessions, intake.fields, "named in the To of an update")
    return Taken(old, False, "update", done)


def _agencies(intake: PacketIntake, organ_ids: set[str],
              routing: recipients.RoutingRules) -> set[str]:
    # ReceiverList names receivers by mã định danh: the packet's To, else the directory.
    by_organ = {o.get("organ_id"): o.get("agency_id") for o in intake.fields.packet["to"]}
    found = {by_organ.get(o) or find_named(routing, o, None, None).agency_id
             for o in organ_ids}
    return {agency for agency in found if agency}
