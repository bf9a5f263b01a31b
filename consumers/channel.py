"""What every delivery channel does: try to hand one document to one agency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from foundation.models import AgencyChannel, Delivery, Document


@dataclass(frozen=True)
class Outcome:
    """The end of one round of attempts: delivered, or not with the reason; `retry` says
    the fault was transient (a host down, a 5xx, a timeout), so a later round may succeed."""

    delivered: bool
    note: str
    retry: bool = False


class Channel(Protocol):
    """Sends a document to an agency: one round of attempts, retrying transient faults a few
    times within seconds; later rounds are the delivery worker's (a retry schedule)."""

    async def send(self, delivery: Delivery, document: Document, target: str | None) -> Outcome:
        """Deliver and say how it ended; raise only on a fault worth a redelivery."""


@runtime_checkable
class Signed(Protocol):
    """A channel that signs what it sends with the agency's own secrets (the webhook)."""

    async def send_to(
        self, delivery: Delivery, document: Document, channel: AgencyChannel
    ) -> Outcome:
        """`send` to the channel's target, signed with the agency's secrets."""


@runtime_checkable
class Closable(Protocol):
    """A channel that holds connections (the webhook's HTTP session) to close at shutdown."""

    async def close(self) -> None:
        """Release the channel's connections."""


def document_payload(delivery: Delivery, document: Document) -> dict[str, Any]:
    """What an agency receives: the delivery id, why it is a recipient, and the document."""
    return {
        "delivery_id": delivery.id,
        "agency_id": delivery.agency_id,
        "reasons": delivery.reasons,
        "document": {
            "id": document.id,
            "number": document.number,
            "date": document.date.isoformat() if document.date else None,
            "issuer": document.issuer,
            "subject": document.subject,
            "urgency": document.urgency,
            "sender": document.sender,
            "text": document.text,
        },
    }
