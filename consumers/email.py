"""The e-mail channel: the document by SMTP, with a signed link the agency clicks to confirm."""

from __future__ import annotations

import asyncio
import smtplib
import time
from email.message import EmailMessage

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from consumers.channel import Outcome
from foundation.models import Delivery, Document
from foundation.signing import confirm_signature


class EmailChannel:
    """Sends one mail per delivery; its Message-ID is the delivery id, for the same reason as
    a webhook's Idempotency-Key."""

    def __init__(
        self, host: str, port: int, sender: str, public_url: str, secret: str,
        *, attempts: int = 3, backoff_seconds: float = 0.5, link_days: float = 30.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.public_url = public_url.rstrip("/")
        self.secret = secret
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.link_days = link_days

    def confirm_link(self, delivery: Delivery) -> str:
        """The link to the page that records status 01 (arrived) for this delivery: opening
        it shows a button (mail scanners follow links; only a person presses it), and it
        expires after `link_days`."""
        expires = int(time.time() + self.link_days * 86400)
        signature = confirm_signature(self.secret, delivery.id, expires)
        return (f"{self.public_url}/v1/deliveries/{delivery.id}/confirm"
                f"?expires={expires}&sig={signature}")

    def compose(self, delivery: Delivery, document: Document, address: str) -> EmailMessage:
        """The mail: subject from the document, its text, and the confirm link."""
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, address
        mail["Subject"] = f"Văn bản {document.number or document.id}: {document.subject or ''}"
        mail["Message-ID"] = f"<{delivery.id}@docroute>"
        mail.set_content(
            f"{delivery.agency_name} nhận văn bản này.\n"
            f"Xác nhận đã nhận (confirm receipt): {self.confirm_link(delivery)}\n\n"
            f"{document.text}"
        )
        return mail

    async def send(self, delivery: Delivery, document: Document, target: str | None) -> Outcome:
        """Hand the mail to the SMTP server; a refused address fails at once, an unreachable
        server is retried and then reported as transient."""
        if not target:
            return Outcome(False, "the agency's e-mail channel has no address")
        mail = self.compose(delivery, document, target)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=self.backoff_seconds, max=30),
                retry=retry_if_exception_type((OSError, smtplib.SMTPServerDisconnected)),
                reraise=True,
            ):
                with attempt:
                    await asyncio.to_thread(self._deliver, mail)
        except smtplib.SMTPRecipientsRefused as error:
            # A 4xx for the address (a full mailbox, greylisting) may pass later; 5xx is final.
            later = all(400 <= code < 500 for code, _ in error.recipients.values())
            note = f"the mail server refused {target}: {error.recipients}"
            return Outcome(False, note, retry=later)
        except smtplib.SMTPResponseException as error:
            # 4xx is the mail server's "try again later"; 5xx is final.
            note = f"the mail server answered {error.smtp_code}: {error.smtp_error!r}"
            return Outcome(False, note, retry=400 <= error.smtp_code < 500)
        except (smtplib.SMTPException, OSError) as error:
            note = f"e-mail failed {self.attempts} attempts: {error!r}"
            return Outcome(False, note, retry=True)
        return Outcome(True, f"mailed to {target}")

    def _deliver(self, mail: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=30) as smtp:
            smtp.send_message(mail)
