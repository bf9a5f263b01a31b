"""A real local SMTP server's handler for the tests (aiosmtpd): it keeps every message it
accepts and can answer a scripted code to chosen addresses instead."""

from __future__ import annotations

import email
from email.message import Message
from email.policy import default
from typing import Any


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts, and answers a scripted
    code to the addresses in `answers` instead."""

    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.answers: dict[str, str] = {}

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        """Accept the address unless a code is scripted for it (aiosmtpd's hook name)."""
        if address in self.answers:
            return self.answers[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message (aiosmtpd's hook name)."""
        self.messages.append(email.message_from_bytes(envelope.content, policy=default))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        """The messages sent to `address`."""
        return [m for m in self.messages if m["To"] == address]
