"""The e-mail channel: the document by SMTP, with a signed link the agency clicks to confirm.

It talks SMTP with aiosmtplib on the worker's event loop, not `smtplib` in a thread pool: a
pool of a few threads, each blocked up to its socket timeout by a silent mail server, made a
worker's held messages wait their turn far past RabbitMQ's consumer timeout. Each attempt has
a socket timeout and a total deadline, and at most `concurrency` mails are in flight, as for
webhooks, so `Settings.worst_case_hold_seconds` bounds this channel too.
"""

from __future__ import annotations

import asyncio
import time
from email.message import EmailMessage

import aiosmtplib
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from consumers.channel import Addressee, Outcome
from foundation.models import Document
from foundation.signing import confirm_signature

# Worth another attempt within the round: no connection, a dropped one, a timeout.
TRANSIENT = (OSError, TimeoutError, aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPConnectError)


class EmailChannel:
    """Sends one mail per delivery; its Message-ID is the delivery id, for the same reason as
    a webhook's Idempotency-Key."""

    reads_whole_document = False  # its number, subject and text

    def __init__(
        self, host: str, port: int, sender: str, public_url: str, secret: str,
        *, attempts: int = 3, backoff_seconds: float = 0.5, link_days: float = 30.0,
        timeout: float = 10.0, concurrency: int = 16,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.public_url = public_url.rstrip("/")
        self.secret = secret
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.link_days = link_days
        self.timeout = timeout
        # A whole attempt (connect, greeting, envelope, data) ends by then, however slowly a
        # server answers: the same rule as the webhook channel's.
        self.deadline = 2 * timeout
        self.concurrency = concurrency
        self._slots: asyncio.Semaphore | None = None

    def confirm_link(self, delivery: Addressee) -> str:
        """The link to the page that records status 01 (arrived) for this delivery: opening
        it shows a button (mail scanners follow links; only a person presses it), and it
        expires after `link_days`."""
        expires = int(time.time() + self.link_days * 86400)
        signature = confirm_signature(self.secret, delivery.id, expires)
        return (f"{self.public_url}/v1/deliveries/{delivery.id}/confirm"
                f"?expires={expires}&sig={signature}")

    def compose(self, delivery: Addressee, document: Document, address: str) -> EmailMessage:
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

    async def send(self, delivery: Addressee, document: Document, target: str | None) -> Outcome:
        """Hand the mail to the SMTP server; a refused address fails at once (a 4xx is worth
        a later round), an unreachable or silent server is retried and then reported as
        transient."""
        if not target:
            return Outcome(False, "the agency's e-mail channel has no address")
        mail = self.compose(delivery, document, target)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.attempts),
                wait=wait_exponential(multiplier=self.backoff_seconds, max=30),
                retry=retry_if_exception_type(TRANSIENT),
                reraise=True,
            ):
                with attempt:
                    await self._deliver(mail)
        except aiosmtplib.SMTPRecipientsRefused as error:
            # A 4xx for the address (a full mailbox, greylisting) may pass later; 5xx is final.
            later = all(400 <= refused.code < 500 for refused in error.recipients)
            answers = "; ".join(f"{r.code} {r.message}" for r in error.recipients)
            return Outcome(False, f"the mail server refused {target}: {answers}", retry=later)
        except aiosmtplib.SMTPResponseException as error:
            # 4xx is the mail server's "try again later"; 5xx is final.
            note = f"the mail server answered {error.code}: {error.message!r}"
            return Outcome(False, note, retry=400 <= error.code < 500)
        except (*TRANSIENT, aiosmtplib.SMTPException) as error:
            note = f"e-mail failed {self.attempts} attempts: {type(error).__name__}: {error}"
            return Outcome(False, note, retry=True)
        return Outcome(True, f"mailed to {target}")

    async def _deliver(self, mail: EmailMessage) -> None:
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.concurrency)
        async with self._slots, asyncio.timeout(self.deadline):
            await aiosmtplib.send(mail, hostname=self.host, port=self.port, timeout=self.timeout,
                                  start_tls=False)
