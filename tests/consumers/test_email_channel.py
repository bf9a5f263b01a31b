"""The e-mail channel against a real local SMTP server (aiosmtpd), and its confirm link."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

from consumers.email import EmailChannel
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import ChannelKind, Delivery, Document, Role
from tests.conftest import free_port, trickling_server
from tests.mailbox import Mailbox

BOARD = "kh.ban-qlda-phat-trien-tinh"
DOCUMENT = Document(id="doc-1", text="Nơi nhận:\n- Sở Nội vụ;", sender=BOARD, number="1/TB")
DELIVERY = Delivery(id="dlv-1", document_id="doc-1", agency_id="kh.so-noi-vu",
                    agency_name="Sở Nội vụ")


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
        link = next(word for word in body.split() if "/confirm?expires=" in word)
        path, query = urlsplit(link).path, urlsplit(link).query
        expires = query.split("&")[0]
        for forged in (f"?{expires}&sig=0000", f"?{expires}&sig=%E1%BB%85",
                       f"?expires=9999999999&{query.split('&')[1]}"):
            assert (await client.post(path + forged)).status_code == 403, forged
        opened = await client.get(f"{path}?{query}")  # what a mail scanner does
        assert opened.status_code == 200 and "<form method=\"post\"" in opened.text
        auditor = await tokens(service, Role.AUDITOR)
        view = (await client.get(answer.json()["url"], headers=auditor)).json()
        assert view["deliveries"][0]["receipt"] is None  # opening it confirmed nothing
        pressed = await client.post(f"{path}?{query}")
        assert pressed.status_code == 200
        auditor = await tokens(service, Role.AUDITOR)
        view = (await client.get(answer.json()["url"], headers=auditor)).json()
        assert view["summary"]["confirmed"] == ["kh.so-noi-vu"]
        assert view["deliveries"][0]["receipt"] == "01"


@pytest.mark.parametrize(
    ("answer", "retry"),
    [("451 4.2.2 mailbox full, try later", True), ("550 5.1.1 no such user", False)],
)
async def test_a_refused_address_is_final_on_5xx_and_worth_a_later_round_on_4xx(
    mailbox: tuple[Mailbox, int], answer: str, retry: bool,
) -> None:
    """The mail server refusing the address fails the round with its answer; a 4xx (try
    later) says a later round may pass, a 5xx does not. Nothing is delivered either way."""
    handler, port = mailbox
    handler.answers["vanthu@snv.example"] = answer
    channel = EmailChannel("127.0.0.1", port, "docroute@test", "http://docroute", "secret",
                           attempts=2, backoff_seconds=0.01)
    outcome = await channel.send(DELIVERY, DOCUMENT, "vanthu@snv.example")
    assert not outcome.delivered
    assert outcome.retry is retry
    assert answer.split()[0] in outcome.note
    assert handler.messages == []


async def test_an_unreachable_mail_server_is_worth_a_later_round() -> None:
    """No server listening: the round's attempts fail and the outcome says to retry later."""
    port = free_port()
    channel = EmailChannel("127.0.0.1", port, "docroute@test", "http://docroute", "secret",
                           attempts=2, backoff_seconds=0.01)
    outcome = await channel.send(DELIVERY, DOCUMENT, "vanthu@snv.example")
    assert (outcome.delivered, outcome.retry) == (False, True)
    assert outcome.note.startswith("e-mail failed 2 attempts: SMTPConnectError")


async def test_a_mail_server_that_trickles_its_greeting_is_worth_a_later_round() -> None:
    """A server that greets a byte at a time is cut at the attempt's deadline (the mail is not
    waited for on a thread): the round fails as transient."""
    async with trickling_server(b"220") as port:
        channel = EmailChannel("127.0.0.1", port, "docroute@test", "http://docroute", "secret",
                               attempts=2, backoff_seconds=0.01, timeout=0.2)
        outcome = await channel.send(DELIVERY, DOCUMENT, "vanthu@snv.example")
    assert (outcome.delivered, outcome.retry) == (False, True)
    assert outcome.note.startswith("e-mail failed 2 attempts: ")
