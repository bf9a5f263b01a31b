"""Reminder, escalation and recall notices, sent through the receiving agency's own channel.

A notice carries its own idempotency key (`reminder:<delivery id>`), so an agency that got it
once keeps one copy even when a crash makes docroute send it again. An inbox agency needs no
push: the notice is in its delivery's history, which its inbox shows.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import aiosmtplib

from consumers.webhook import TRANSIENT, AddressRefusedError, WebhookChannel, describe
from foundation.models import AgencyChannel, ChannelKind, Delivery, Document
from foundation.models.clock import iso
from foundation.settings import Settings
from foundation.signing import signed_json
from foundation.webhook_secrets import signing_keys

# The kind of a recall notice starts so; the rest is the position of the request (13) in the
# delivery's history, so each request is its own notice with its own idempotency key.
RECALL_PREFIX = "recall-"

@dataclass(frozen=True)
class Notice:
    """One reminder or escalation about one delivery, for one agency."""

    kind: str  # "reminder" | "escalation" | "manual-N" | "recall-N" (N: a history position)
    delivery: Delivery
    document: Document
    to_agency: str
    reason: str | None = None  # a recall's reason

    @property
    def is_recall(self) -> bool:
        """A request to give the document back (13), not a reminder."""
        return self.kind.startswith(RECALL_PREFIX)

    @property
    def key(self) -> str:
        """The idempotency key of this notice."""
        return f"{self.kind}:{self.delivery.id}"

    def payload(self) -> dict[str, Any]:
        """What the agency receives."""
        if self.is_recall:
            return {
                "type": "recall", "code": "13", "reason": self.reason,
                "delivery_id": self.delivery.id, "agency_id": self.delivery.agency_id,
                "answer": f"POST /v1/deliveries/{self.delivery.id}/status with code 15 "
                          "(agreed: the document is given back) or 16 (refused)",
                "document": {"id": self.document.id, "number": self.document.number,
                             "subject": self.document.subject},
            }
        return {
            "type": self.kind,
            "delivery_id": self.delivery.id,
            "agency_id": self.delivery.agency_id,
            "to_agency": self.to_agency,
            "due_at": iso(self.delivery.due_at),
            "document": {
                "id": self.document.id,
                "number": self.document.number,
                "subject": self.document.subject,
                "urgency": self.document.urgency,
            },
        }

    def subject(self) -> str:
        """The mail subject, in the clerk's language."""
        number = self.document.number or self.document.id
        if self.is_recall:
            return f"[Thu hồi] Đề nghị trả lại văn bản {number}"
        if self.kind == "escalation":
            return f"[Quá hạn] {self.delivery.agency_name} chưa xác nhận văn bản {number}"
        return f"[Nhắc] Xác nhận đã nhận văn bản {number}"


class NoticeSender:
    """Sends notices by webhook or e-mail; raises on a failure worth retrying later."""

    def __init__(
        self, webhook: WebhookChannel, secret: str, smtp_host: str, smtp_port: int, mail_from: str
    ) -> None:
        # The deliveries' webhook client posts the notices too: one HTTP stack to look after.
        self.webhook = webhook
        self.secret = secret
        self.smtp = (smtp_host, smtp_port)
        self.mail_from = mail_from

    @classmethod
    def from_settings(cls, settings: Settings, secret: str) -> NoticeSender:
        """The service's sender: one attempt per pass (a notice that fails stays pending and
        is tried again at the next pass), on its own webhook client; `close` releases it."""
        webhook = WebhookChannel(
            secret, attempts=1, timeout=settings.webhook_timeout,
            concurrency=settings.webhook_concurrency,
            allow_private=settings.allow_private_webhooks,
        )
        return cls(webhook, secret, settings.smtp_host, settings.smtp_port,
                   settings.mail_from)

    async def close(self) -> None:
        """Close the webhook client's connections."""
        await self.webhook.close()

    async def send(self, notice: Notice, channel: AgencyChannel) -> str:
        """Send `notice` through `channel`; the note to record in the history."""
        if channel.kind == ChannelKind.WEBHOOK and channel.target:
            return await self._post(notice, channel.target, signing_keys(channel, self.secret))
        if channel.kind == ChannelKind.EMAIL and channel.target:
            await self._mail(notice, channel.target)
            return f"{notice.kind} mailed to {channel.target}"
        return f"{notice.kind} shown in the inbox of {notice.to_agency}"

    async def _post(self, notice: Notice, url: str, keys: list[str]) -> str:
        body, headers = signed_json(keys, notice.payload(), notice.key)
        try:
            status, _ = await self.webhook.post_once(url, body, headers)
        except AddressRefusedError as error:
            raise NoticeError(f"{url} not posted: {error}") from error
        except TRANSIENT as error:
            raise NoticeError(f"{url} did not take it: {describe(error)}") from error
        if status >= 300:  # a refusal, or a redirect that a signed POST does not follow
            raise NoticeError(f"{url} answered {status}")
        return f"{notice.kind} posted to {url} ({status})"

    async def _mail(self, notice: Notice, address: str) -> None:
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.mail_from, address, notice.subject()
        mail["Message-ID"] = f"<{notice.kind}.{notice.delivery.id}@docroute>"
        mail.set_content(json.dumps(notice.payload(), ensure_ascii=False, indent=2))
        host, port = self.smtp
        timeout = self.webhook.timeout
        try:
            # Async SMTP with a socket timeout and a deadline for the whole exchange: a silent
            # mail server costs this notice one attempt, not the reminder loop.
            async with asyncio.timeout(2 * timeout):
                await aiosmtplib.send(mail, hostname=host, port=port, timeout=timeout,
                                      start_tls=False)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            problem = f"{type(error).__name__}: {error}"
            raise NoticeError(f"mail to {address} failed: {problem}") from error


class NoticeError(Exception):
    """A notice could not be sent this time; it stays pending and is tried again."""
