"""The `edxml` channel: the document goes to the agency's system as a QCVN 102 packet.

The channel's target says where: `hub` puts the packet in the hub adapter's outbox (one row per
delivery, keyed by the delivery id, so a resend after a crash is not a second packet); an
http(s) URL receives the packet in a POST (`application/xml`, `Idempotency-Key` = delivery id,
signed as the agency's webhooks are: with its channel's own secret, else the deployment's, and
the previous one too while a rotation overlaps), as an agency's document-management system
that takes edXML directly does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from consumers.channel import Addressee, Outcome, Target
from consumers.edxml_outbound import packet_request
from consumers.edxml_packets import for_delivery
from consumers.webhook import TRANSIENT, AddressRefusedError, WebhookChannel, describe
from edxml import write_document
from foundation.database import SessionFactory
from foundation.hub_outbox import queue_outbound
from foundation.models import Document
from foundation.webhook_secrets import signing_keys
from rules import Directory

HUB = "hub"


# The directory in force when a packet is built (an admin's activated snapshot, else the
# service's files): the service's own, briefly kept, read of it.
DirectoryNow = Callable[[], Awaitable[Directory]]


class EdxmlChannel:
    """Builds one packet per delivery and hands it to the hub's outbox or to a URL."""

    def __init__(self, sessions: SessionFactory, directory: DirectoryNow,
                 poster: WebhookChannel, system_id: str | None = None) -> None:
        self.sessions = sessions
        # Asked per packet: the sender's and the recipient's mã định danh come from it, so an
        # agency an activated snapshot added is named by its code, not by its directory id.
        self.directory = directory
        self.poster = poster  # its HTTP session and timeouts; the body is the packet
        self.system_id = system_id

    async def send(self, delivery: Addressee, document: Document, target: str | None) -> Outcome:
        """`send_signed` with the deployment's secret."""
        return await self.send_signed(delivery, document, target, ())

    async def send_to(self, delivery: Addressee, document: Document, channel: Target
                      ) -> Outcome:
        """`send_signed` to the channel's target with the agency's secrets (as its webhooks
        are signed): the delivery worker calls this, the channel being `Signed`."""
        keys = signing_keys(channel, self.poster.secret)
        return await self.send_signed(delivery, document, channel.target, keys)

    async def send_signed(self, delivery: Addressee, document: Document, target: str | None,
                          keys: Sequence[str]) -> Outcome:
        """Queue the packet for the hub, or POST it signed with `keys` (none: the
        deployment's secret); transient faults of a POST are retried."""
        directory = await self.directory()
        body = write_document(for_delivery(document, delivery, directory, self.system_id))
        if not target:
            return Outcome(False, "the agency's edxml channel has no target (hub or a URL)")
        if target == HUB:
            async with self.sessions() as session, session.begin():
                await queue_outbound(session, delivery.id, "edoc", body, document.id)
            return Outcome(True, "edXML packet queued for the hub")
        headers = packet_request(list(keys) or self.poster.secret, delivery.id, "edoc", body)
        try:
            status, detail = await self.poster.post_once(target, body, headers)
        except AddressRefusedError as error:
            return Outcome(False, f"edXML packet not sent: {error}")
        except TRANSIENT as error:
            return Outcome(False, f"edXML POST failed: {describe(error)}", retry=True)
        if status >= 300:
            return Outcome(False, f"edXML POST refused with HTTP {status}: {detail}")
        return Outcome(True, f"edXML packet accepted with HTTP {status}")

    async def close(self) -> None:
        """The poster's HTTP session is the service's webhook channel's: closed with it."""
