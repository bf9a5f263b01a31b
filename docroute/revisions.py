"""Recall, update and replace a sent document (BussinessDocType 1, 2, 3 and status 13).

- A recall asks every recipient to give the document back (13 on each delivery) and tracks
  each answer (15 agreed, 16 refused). Nothing is deleted: the clerks decide (notes §4).
- An update re-reads the recipients from the new text: the added agencies get the document,
  the removed ones are asked to give it back (13), the kept ones are told it changed.
- A replace is a new document linked to the one it replaces (`Document.replaces`).
Each agency hears a request on its own channel: an edXML system as a packet (a status 13, or a
document packet of BussinessDocType 2 for an update) through the edXML outbox, to the hub or
to its URL; a webhook, e-mail or inbox agency as a recall notice (`audit.notices`). Agencies
an update adds get the document on their channel like any delivery (`plan_deliveries`).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from audit.reminders import plan_recall_notice
from consumers.edxml_channel import HUB
from consumers.edxml_packets import REASONS, document_packet, organization
from docroute.submission import Submission, content_hash, read_checked
from edxml import (
    Business,
    BusinessType,
    ResponseFor,
    Staff,
    StatusPacket,
    write_document,
    write_status,
)
from foundation.channels import channels_of
from foundation.errors import ClerkError
from foundation.history import append_event
from foundation.hub_outbox import queue_outbound
from foundation.models import ChannelKind, Delivery, Document
from foundation.models.clock import utcnow
from router import recipients
from router.routing import plan_deliveries


async def locked_document(session: AsyncSession, document_id: str) -> Document:
    """The document, locked for the change, or a 404."""
    document = await session.get(Document, document_id, with_for_update=True)
    if document is None:
        raise ClerkError(404, "document_not_found", f"No document has id {document_id!r}.")
    return document


async def _deliveries(session: AsyncSession, document: Document) -> list[Delivery]:
    query = select(Delivery).where(Delivery.document_id == document.id).with_for_update()
    return list((await session.exec(query.order_by(col(Delivery.agency_id)))).all())


async def ask_back(session: AsyncSession, document: Document, deliveries: list[Delivery],
                   reason: str, actor: str, routing: recipients.RoutingRules) -> list[str]:
    """Mark each delivery asked to give the document back (13) and ask each agency on its own
    channel: a status 13 packet for an edXML system (through the hub or POSTed to its URL, by
    the edXML outbox), a recall notice for the others (a signed webhook POST, an e-mail, or the
    inbox), planned in the audit's notice outbox and sent by its loop; the agencies asked."""
    targets = await edxml_targets(session, [d.agency_id for d in deliveries])
    asked = []
    for delivery in deliveries:
        if delivery.recall == "13":
            continue
        delivery.recall, delivery.updated_at = "13", utcnow()
        session.add(delivery)
        append_event(session, delivery, "recall", "13", note=reason, actor=actor)
        asked.append(delivery.agency_id)
        if delivery.agency_id in targets:
            await _queue_recall_status(session, document, delivery, reason, routing,
                                       targets[delivery.agency_id])
        else:
            plan_recall_notice(session, delivery)
    return asked


async def edxml_targets(session: AsyncSession, agency_ids: list[str]) -> dict[str, str | None]:
    """The agencies among these whose channel is edXML, each with where its packets go: None
    for the hub, else the URL of its system."""
    channels = await channels_of(session, set(agency_ids))
    return {a: None if c.target == HUB else c.target for a, c in channels.items()
            if c.kind == ChannelKind.EDXML and c.target}


async def _queue_recall_status(session: AsyncSession, document: Document, delivery: Delivery,
                               reason: str, routing: recipients.RoutingRules,
                               target: str | None) -> None:
    receiver = organization(routing.directory, delivery.agency_id)
    packet = StatusPacket(
        sender=organization(routing.directory, document.sender),
        response_for=ResponseFor(receiver.organ_id, document.number, document.date,
                                 document.edxml_id),
        status_code="13", description=reason, timestamp=utcnow(),
    )
    key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"recall:{delivery.id}:{delivery.event_count}"))
    await queue_outbound(session, key, "status", write_status(packet), document.id,
                         target=target, agency_id=delivery.agency_id)


async def recall(session: AsyncSession, document_id: str, reason: str, actor: str,
                 routing: recipients.RoutingRules) -> dict[str, Any]:
    """Ask every recipient to give the document back."""
    if not reason.strip():
        raise ClerkError(422, "reason_required", "A recall needs a reason (Description of 13).")
    document = await locked_document(session, document_id)
    if document.recalled_at is None:
        document.recalled_at = utcnow()
        session.add(document)
    asked = await ask_back(session, document, await _deliveries(session, document), reason,
                           actor, routing)
    return {"id": document.id, "recalled": True, "asked": asked}


async def update(session: AsyncSession, document_id: str, submission: Submission, actor: str,
                 routing: recipients.RoutingRules, reason: str | None = None) -> dict[str, Any]:
    """Apply new text (and so maybe new recipients) to a sent document; the agencies it removes
    are asked back with `reason` (an update packet's own) or a default one."""
    document = await locked_document(session, document_id)
    if document.routed_at is None:
        raise ClerkError(409, "not_routed_yet", "The document is still being routed; send the "
                         "update once its recipients are planned.")
    parsed = read_checked(submission, routing)
    view = routing.expand(parsed, document.sender, document.date or parsed.date)
    new = {r.id: r.to_json() for r in view.recipients}
    deliveries = await _deliveries(session, document)
    have = {d.agency_id for d in deliveries}
    removed = [d for d in deliveries if d.agency_id not in new and d.recall is None]
    added = [new[a] for a in new if a not in have]
    changed = content_hash(submission) != document.content_hash
    document.text, document.subject = submission.text, parsed.subject or document.subject
    document.content_hash, document.expansion = content_hash(submission), view.to_json()
    session.add(document)
    note = f"added by an update ({actor})"
    await plan_deliveries(session, document, added, note, actor="docroute")
    await ask_back(session, document, removed,
                   reason or "removed from the recipients by an update", actor, routing)
    kept = [d for d in deliveries if d.agency_id in new]
    if changed:
        for delivery in kept:
            append_event(session, delivery, "update", "2", note="the document was updated",
                         actor=actor)
        await _queue_update_packets(session, document, kept, routing)
    return {"id": document.id, "added": [a["id"] for a in added],
            "asked_back": [d.agency_id for d in removed], "updated": [d.agency_id for d in kept]
            if changed else []}


async def _queue_update_packets(session: AsyncSession, document: Document, kept: list[Delivery],
                                routing: recipients.RoutingRules) -> None:
    targets = await edxml_targets(session, [d.agency_id for d in kept])
    for delivery in kept:
        if delivery.agency_id not in targets:
            continue
        business = Business(BusinessType.UPDATE, REASONS[BusinessType.UPDATE], paper="0",
                            staff=Staff(), content_changed=True, receivers_changed=False)
        packet = document_packet(document, [delivery.agency_id], routing.directory,
                                 business=business)
        key = str(uuid.uuid5(uuid.NAMESPACE_URL, f"update:{delivery.id}:{delivery.event_count}"))
        await queue_outbound(session, key, "edoc", write_document(packet), document.id,
                             target=targets[delivery.agency_id], agency_id=delivery.agency_id)
