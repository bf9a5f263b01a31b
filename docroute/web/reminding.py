"""A reminder a sending clerk asks for with one click: planned like the audit's own reminders
(a `reminder` row, the notice's outbox) and sent at once through the agency's channel."""

from __future__ import annotations

from audit.reminders import send_pending
from docroute.service import Service
from foundation.database import transaction
from foundation.deliveries import get_delivery
from foundation.errors import ClerkError
from foundation.history import append_event
from foundation.models import DeliveryState
from foundation.models.audit import Reminder
from foundation.models.clock import utcnow


async def remind_now(service: Service, delivery_id: str, document_id: str, actor: str) -> bool:
    """Plan a reminder for an unconfirmed delivery of the document, then send what is due;
    False when another process's reminder pass was sending (that pass or the next sends it)."""
    planned = utcnow()  # its backoff, if the notice fails, counts from here
    async with transaction(service.sessions) as session:
        delivery = await get_delivery(session, delivery_id, lock=True)
        if delivery.document_id != document_id:
            raise ClerkError(404, "delivery_not_found", "Không có cơ quan nhận này trong văn bản.")
        if delivery.state != DeliveryState.DELIVERED:
            raise ClerkError(
                409,
                "not_delivered",
                "Văn bản chưa chuyển tới cơ quan này nên chưa nhắc được; hãy chờ hoặc gửi lại.",
            )
        if delivery.confirmed_at is not None or delivery.receipt == "02":
            raise ClerkError(
                409,
                "already_answered",
                "Cơ quan này đã trả lời văn bản; không cần nhắc.",
            )
        # Each click is its own notice with its own idempotency key (the kind names the
        # position in the history, which no other click can take).
        kind = f"manual-{delivery.event_count}"
        session.add(Reminder(delivery_id=delivery.id, kind=kind, target_agency=delivery.agency_id,
                             created_at=planned))
        append_event(session, delivery, "reminder", "requested", note=kind, actor=actor)
    return await send_pending(service.sessions, service.notices, planned) is not None
