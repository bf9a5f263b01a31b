"""The `edxml` channel: one QCVN 102 packet per delivery, to the hub's outbox or to a URL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlmodel import select

from consumers.edxml_channel import EdxmlChannel
from consumers.webhook import WebhookChannel
from edxml import DocumentPacket, read_packet
from foundation.database import SessionFactory, transaction
from foundation.models import Delivery, Document, HubMessage
from foundation.signing import standard_signature
from rules import default_directory
from tests.conftest import always, serving

NOI_NHAN = ["- Sở Nội vụ;", "- Sở Tài chính;", "- Lưu: VT, VP."]


def _document(**values: Any) -> Document:
    lines = [{"line": i, "section": "noi_nhan", "text": t} for i, t in enumerate(NOI_NHAN, 1)]
    return Document(id="d-1", text="Số: 15/UBND-VP\n...", number="15/UBND-VP",
                    date=dt.date(2025, 3, 4), subject="V/v thử", doc_type="công văn",
                    urgency="khan", sender="kh.ubnd-tinh", expansion={"lines": lines}, **values)


def _delivery(agency: str = "kh.so-tai-chinh") -> Delivery:
    return Delivery(id=f"dl-{agency}", document_id="d-1", agency_id=agency, agency_name=agency)


@pytest.fixture
async def packet_sink() -> AsyncIterator[tuple[str, list[tuple[str | None, bytes]]]]:
    """A local agency system that takes edXML packets: its URL and what it received (the
    Idempotency-Key, None when the signature is wrong, and the body)."""
    received: list[tuple[str | None, bytes]] = []
    app = FastAPI()

    @app.post("/edxml")
    async def take(request: Request) -> JSONResponse:
        body = await request.body()
        # Signed as a webhook is (the key is kept only when the signature holds).
        signed = request.headers.get("webhook-signature") == standard_signature(
            "secret", request.headers.get("webhook-id", ""),
            request.headers.get("webhook-timestamp", ""), body)
        received.append((request.headers.get("idempotency-key") if signed else None, body))
        return JSONResponse({"ok": True})

    async with serving(app) as port:
        yield f"http://127.0.0.1:{port}/edxml", received


async def test_a_packet_per_agency_posted_to_its_system(
    sessions: SessionFactory, packet_sink: tuple[str, list[tuple[str | None, bytes]]]
) -> None:
    url, received = packet_sink
    poster = WebhookChannel("secret", allow_private=True)
    channel = EdxmlChannel(sessions, always(default_directory()), poster, system_id="000.00.99.H99")
    original = b"PK\x03\x04 a docx"
    document = _document(original=original, original_name="15-UBND-VP.docx",
                         original_type="application/vnd.openxmlformats-officedocument."
                                       "wordprocessingml.document")
    outcome = await channel.send(_delivery(), document, url)
    await poster.close()
    assert outcome.delivered, outcome.note
    ((key, body),) = received
    assert key == "dl-kh.so-tai-chinh"
    packet = read_packet(body)
    assert isinstance(packet, DocumentPacket)
    assert [(o.organ_id, o.name) for o in packet.to] == [
        ("kh.so-tai-chinh", "Sở Tài chính tỉnh Khánh Hòa")]
    assert packet.sender.organ_id == "kh.ubnd-tinh"
    assert packet.document_id == "kh.ubnd-tinh,2025/03/04,15/UBND-VP"
    assert (packet.number, packet.notation, packet.priority) == ("15", "UBND-VP", 1)
    assert packet.to_places == tuple(NOI_NHAN)
    assert packet.traces[0].organ_id == "000.00.99.H99"
    (attachment,) = packet.attachments
    assert (attachment.name, attachment.data) == ("15-UBND-VP.docx", original)
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\r\n<edXML xmlns=')
    assert b"<edXML:MessageHeader>" in body  # the SDK's prefixed shape


async def test_the_hub_target_queues_one_packet_per_delivery(sessions: SessionFactory) -> None:
    channel = EdxmlChannel(sessions, always(default_directory()), WebhookChannel("secret"))
    document = _document()
    async with transaction(sessions) as session:
        session.add(Document(**document.model_dump(exclude={"expansion"}),
                             expansion=document.expansion))
    for _ in range(2):  # a resend after a crash is not a second packet
        outcome = await channel.send(_delivery(), document, "hub")
        assert outcome.delivered and "hub" in outcome.note
    async with sessions() as session:
        (row,) = (await session.exec(select(HubMessage))).all()
    assert (row.id, row.direction, row.kind, row.state) == ("dl-kh.so-tai-chinh", "out",
                                                            "edoc", "pending")
    packet = read_packet(row.body)
    assert isinstance(packet, DocumentPacket)
    (attachment,) = packet.attachments  # submitted as text: the text goes as a .txt
    assert attachment.name == "15-UBND-VP.txt" and attachment.data.startswith(b"S\xe1\xbb\x91:")


async def test_no_target_is_a_failure_that_says_so(sessions: SessionFactory) -> None:
    channel = EdxmlChannel(sessions, always(default_directory()), WebhookChannel("secret"))
    outcome = await channel.send(_delivery(), _document(), None)
    assert not outcome.delivered and "no target" in outcome.note
