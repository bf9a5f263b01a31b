"""The inbox channel: the agency pulls its documents through GET /v1/inbox."""

from __future__ import annotations

from consumers.channel import Addressee, Outcome
from foundation.models import Document


class InboxChannel:
    """Delivering to an inbox is making the delivery visible there; nothing leaves the service."""

    reads_whole_document = False  # it reads nothing of the document

    async def send(self, delivery: Addressee, document: Document, target: str | None) -> Outcome:
        """Always delivered: the inbox is the service's own table."""
        del delivery, document, target
        return Outcome(True, "available in the agency's inbox")
