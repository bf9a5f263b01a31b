"""Statuses go to a sender whose own system takes edXML at a URL: every status change docroute
records is queued once in the edXML outbox and POSTed there, signed and retried, and the
packets read back with docroute's own reader say what was recorded."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from consumers.edxml_outbound import PacketPoster
from consumers.webhook import WebhookChannel
from edxml import StatusPacket
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import ChannelKind, HubMessage, Role
from foundation.settings import Settings
from tests.conftest import SECRET, in_process_client, running
from tests.docroute.edxml_receiver import serving_system
from tests.docroute.test_api_edxml import FINANCE, XML, packet
from tests.docroute.test_edxml_status import DOCUMENT_ID, status

ISSUER = "kh.so-noi-vu"


def _quiet(settings: Settings) -> Settings:
    # The test runs the outbox's passes itself.
    return settings.model_copy(update={"edxml_outbox_seconds": 0})


async def test_each_status_change_reaches_the_senders_system_once(
    stack: Settings, tokens: Any, settled: Any
) -> None:
    async with serving_system() as system, running(_quiet(stack)) as service, \
            in_process_client(service) as client:
        async with transaction(service.sessions) as session:
            await set_channel(session, ISSUER, ChannelKind.EDXML, system.url)
        sent = await client.post("/v1/edxml", content=packet((FINANCE,), ("- Sở Tài chính;",)),
                                 headers={**await tokens(service, Role.SENDER, ISSUER), **XML})
        assert sent.status_code == 202, sent.text
        (row,) = await settled(service, sent.json()["id"])
        finance = await tokens(service, Role.AGENCY, "kh.so-tai-chinh")
        # 01 through the API, 03 as a status packet (twice: the repeat is one report).
        arrived = await client.post(f"/v1/deliveries/{row.id}/status", json={"code": "01"},
                                    headers=finance)
        assert arrived.status_code == 200, arrived.text
        for _ in range(2):
            accepted = await client.post("/v1/edxml/status", content=status("03", 5),
                                         headers={**finance, **XML})
            assert accepted.status_code == 200, accepted.text

        hook = WebhookChannel(SECRET, attempts=1, allow_private=True)

        poster = PacketPoster(service.sessions, hook, (0,))
        system.fail_next = 1  # the system is busy once: that packet waits for the next round
        try:
            assert await poster.run_once() == {"sent": 1, "retrying": 1, "failed": 0}
            assert await poster.run_once() == {"sent": 1, "retrying": 0, "failed": 0}
            assert await poster.run_once() == {"sent": 0, "retrying": 0, "failed": 0}
        finally:
            await poster.poster.close()

        statuses = system.statuses()
        assert sorted(p.status_code for p in statuses) == ["01", "03"]
        for taken in statuses:
            assert isinstance(taken, StatusPacket)
            assert taken.response_for.document_id == DOCUMENT_ID
            assert taken.response_for.organ_id == "000.01.00.H99"  # the sender's own id
            assert taken.sender.organ_id == FINANCE.organ_id  # as the sender's packet named it
        assert {r.kind for r in system.received} == {"status"}
        assert system.bad_signatures == 0
        assert len(system.attempts) == 3 and len(set(system.attempts)) == 2  # a retry, same key
        async with service.sessions() as session:
            rows = (await session.exec(select(HubMessage))).all()
        # Each row names the sender, whose channel secrets sign its POSTs (none of its own
        # here: the deployment's, which the fake system checks).
        assert [(r.target, r.state, r.agency_id) for r in rows] == [
            (system.url, "done", ISSUER)] * 2


async def test_a_refusing_system_fails_the_packet_and_a_silent_sender_gets_none(
    stack: Settings, tokens: Any, settled: Any
) -> None:
    async with serving_system() as system, running(_quiet(stack)) as service, \
            in_process_client(service) as client:
        async with transaction(service.sessions) as session:
            await set_channel(session, ISSUER, ChannelKind.EDXML, system.url.replace(
                "/edxml", "/no-such-path"))
        sent = await client.post("/v1/edxml", content=packet((FINANCE,), ("- Sở Tài chính;",)),
                                 headers={**await tokens(service, Role.SENDER, ISSUER), **XML})
        (row,) = await settled(service, sent.json()["id"])
        finance = await tokens(service, Role.AGENCY, "kh.so-tai-chinh")
        await client.post(f"/v1/deliveries/{row.id}/status", json={"code": "01"},
                          headers=finance)
        # A sender on the inbox channel (not edXML-connected) hears nothing by packet.
        text = ("Số: 52/UBND-VP\nKhánh Hòa, ngày 4 tháng 3 năm 2025\nCÔNG VĂN\nV/v thử\n\n"
                "Nội dung.\n\nNơi nhận:\n- Sở Tài chính;\n- Lưu: VT.\n")
        other = await client.post("/v1/documents", json={"text": text},
                                  headers=await tokens(service, Role.SENDER, "kh.ubnd-tinh"))
        (row2,) = await settled(service, other.json()["id"])
        await client.post(f"/v1/deliveries/{row2.id}/status", json={"code": "01"},
                          headers=finance)
        hook = WebhookChannel(SECRET, attempts=1, allow_private=True)
        poster = PacketPoster(service.sessions, hook, (0,))
        try:
            assert await poster.run_once() == {"sent": 0, "retrying": 0, "failed": 1}
            assert await poster.run_once() == {"sent": 0, "retrying": 0, "failed": 0}
        finally:
            await poster.poster.close()
        async with service.sessions() as session:
            (queued,) = (await session.exec(select(HubMessage))).all()
        assert queued.document_id == sent.json()["id"] and queued.state == "failed"
        assert queued.error is not None and "HTTP 404" in queued.error
        assert system.received == []
