"""What every delivery channel does: try to hand one document to one agency."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from foundation.models import Document
from foundation.webhook_secrets import Secrets


@dataclass(frozen=True)
class Outcome:
    """The end of one round of attempts: delivered, or not with the reason; `retry` says
    the fault was transient (a host down, a 5xx, a timeout), so a later round may succeed."""

    delivered: bool
    note: str
    retry: bool = False


class Addressee(Protocol):
    """A delivery as its channel sees it: a `Delivery` row, or the worker's slimmer read of
    one (`consumers.delivery_rows`)."""

    @property
    def id(self) -> str:
        """The delivery's id: the idempotency key of every send."""

    @property
    def document_id(self) -> str:
        """The document sent."""

    @property
    def agency_id(self) -> str:
        """The agency it goes to."""

    @property
    def agency_name(self) -> str:
        """The agency's name as planned."""

    @property
    def reasons(self) -> list[dict[str, Any]]:
        """Why the agency is a recipient."""


class Target(Secrets, Protocol):
    """An agency's channel as a signing channel needs it: its target and its secrets (an
    `AgencyChannel` row, or the worker's read of one)."""

    @property
    def target(self) -> str | None:
        """The URL (or address) the channel sends to."""


class Channel(Protocol):
    """Sends a document to an agency: one round of attempts, retrying transient faults a few
    times within seconds; later rounds are the delivery worker's (a retry schedule)."""

    async def send(self, delivery: Addressee, document: Document, target: str | None) -> Outcome:
        """Deliver and say how it ended; raise only on a fault worth a redelivery."""


@runtime_checkable
class Signed(Protocol):
    """A channel that signs what it sends with the agency's own secrets (the webhook)."""

    async def send_to(
        self, delivery: Addressee, document: Document, channel: Target
    ) -> Outcome:
        """`send` to the channel's target, signed with the agency's secrets."""


@runtime_checkable
class Closable(Protocol):
    """A channel that holds connections (the webhook's HTTP session) to close at shutdown."""

    async def close(self) -> None:
        """Release the channel's connections."""


def reads_whole_document(channel: object) -> bool:
    """Whether the channel reads more of a document than its heading and text (number,
    date, issuer, subject, urgency, sender): true unless the channel's class says
    `reads_whole_document = False`, so a channel that does not say gets every column."""
    return bool(getattr(channel, "reads_whole_document", True))


def document_payload(delivery: Addressee, document: Document) -> dict[str, Any]:
    """What an agency receives: the delivery id, why it is a recipient, and the document."""
    return payload_around(delivery, document_part(document))


def payload_around(delivery: Addressee, part: Any) -> dict[str, Any]:
    """`document_payload` with the document's part given (the webhook's encoded copy)."""
    return {
        "delivery_id": delivery.id,
        "agency_id": delivery.agency_id,
        "reasons": delivery.reasons,
        "document": part,
    }


def document_part(document: Document) -> dict[str, Any]:
    """The document's part of `document_payload`: the same for each of its recipients."""
    return {
        "id": document.id,
        "number": document.number,
        "date": document.date.isoformat() if document.date else None,
        "issuer": document.issuer,
        "subject": document.subject,
        "urgency": document.urgency,
        "sender": document.sender,
        "text": document.text,
    }
