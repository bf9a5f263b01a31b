"""The e-mail channel against a real local SMTP server (aiosmtpd), and its confirm link."""

from __future__ import annotations

import email
import socket
from collections.abc import Iterator
from email.message import Message
from typing import Any
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller

from router.channels import set_channel
from router.database import transaction
from router.models import ChannelKind, Role

BOARD = "kh.ban-qlda-phat-trien-tinh"


class Mailbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message (aiosmtpd's hook name)."""
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A running SMTP server on a free port, and what it received."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


async def test_agency_on_email_gets_a_mail_whose_link_confirms_receipt(
    stack: Any, mailbox: tuple[Mailbox, int], run_service: Any, api_client: Any, tokens: Any,
    settled: Any, seed_text: Any,
) -> None:
    """The pipeline mails the document with a signed link; opening it records status 01."""
    handler, port = mailbox
    settings = stack.model_copy(update={"smtp_port": port, "public_url": "http://docroute"})
    async with run_service(settings) as service, api_client(service) as client:
        async with transaction(service.sessions) as session:
            await set_channel(session, "kh.so-noi-vu", ChannelKind.EMAIL, "vanthu@snv.example")
        headers = await tokens(service, Role.SENDER, BOARD)
        answer = await client.post("/v1/documents", json={"text": seed_text("000")},
                                   headers=headers)
        [row] = await settled(service, answer.json()["id"])
        assert (row.state, row.channel) == ("delivered", "email")
        [mail] = handler.messages
        assert mail["To"] == "vanthu@snv.example"
        assert mail["Message-ID"] == f"<{row.id}@docroute>"
        payload = mail.get_payload(decode=True)
        assert isinstance(payload, bytes)
        body = payload.decode()
        link = next(word for word in body.split() if "/confirm?sig=" in word)
        forged = await client.get(urlsplit(link).path + "?sig=0000")
        assert forged.status_code == 403
        opened = await client.get(urlsplit(link).path + "?" + urlsplit(link).query)
        assert opened.status_code == 200
        auditor = await tokens(service, Role.AUDITOR)
        view = (await client.get(answer.json()["url"], headers=auditor)).json()
        assert view["summary"]["confirmed"] == ["kh.so-noi-vu"]
        assert view["deliveries"][0]["receipt"] == "01"
