"""An update reaches agencies on every channel: the agencies it adds get the document on their
own channel (inbox, webhook, e-mail, an edXML system's URL) and the ones it removes are asked
to give it back on theirs (a recall notice by webhook, e-mail or inbox; a status 13 packet to
an edXML system), each answering 15 or 16."""

from __future__ import annotations

import json
from email.message import EmailMessage
from typing import Any

from sqlmodel import col, select

from audit.reminders import send_pending
from consumers.edxml_outbound import PacketPoster
from consumers.webhook import WebhookChannel
from edxml import DocumentPacket, StatusPacket
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import ChannelKind, HubMessage, Role
from foundation.models.clock import utcnow
from foundation.settings import Settings
from tests.conftest import SECRET, Sink, in_process_client, running
from tests.docroute.edxml_receiver import serving_system
from tests.docroute.test_revisions import SENDER, text
from tests.mailbox import Mailbox

KEPT = "Sở Nội vụ"
REMOVED = {"kh.so-tai-chinh": ("Sở Tài chính", ChannelKind.WEBHOOK),
           "kh.so-y-te": ("Sở Y tế", ChannelKind.EDXML),
           "kh.so-tu-phap": ("Sở Tư pháp", ChannelKind.EMAIL),
           "kh.so-cong-thuong": ("Sở Công Thương", ChannelKind.INBOX)}
ADDED = {"kh.so-xay-dung": ("Sở Xây dựng", ChannelKind.WEBHOOK),
         "kh.so-gddt": ("Sở Giáo dục và Đào tạo", ChannelKind.EDXML),
         "kh.so-nnmt": ("Sở Nông nghiệp và Môi trường", ChannelKind.EMAIL),
         "kh.so-khcn": ("Sở Khoa học và Công nghệ", ChannelKind.INBOX)}
REASON = "removed from the recipients by an update"


def _address(agency: str) -> str:
    return f"vanthu@{agency}.example"


async def _set_channels(service: Any, sink: Sink, system_url: str) -> None:
    async with transaction(service.sessions) as session:
        for agency, (_, kind) in {**REMOVED, **ADDED}.items():
            target = {ChannelKind.WEBHOOK: f"{sink.url}/{agency}", ChannelKind.EDXML: system_url,
                      ChannelKind.EMAIL: _address(agency), ChannelKind.INBOX: None}[kind]
            await set_channel(session, agency, kind, target)


async def test_an_update_reaches_added_and_removed_agencies_on_their_channels(
    stack: Settings, sink: Sink, mailbox: tuple[Mailbox, int], tokens: Any, settled: Any
) -> None:
    mails, port = mailbox
    settings = stack.model_copy(update={"smtp_port": port, "public_url": "http://docroute",
                                        "edxml_outbox_seconds": 0})
    async with serving_system() as system, running(settings) as service, \
            in_process_client(service) as client:
        await _set_channels(service, sink, system.url)
        headers = await tokens(service, Role.SENDER, SENDER)
        first = text(KEPT, *(name for name, _ in REMOVED.values()))
        sent = await client.post("/v1/documents", json={"text": first}, headers=headers)
        document = sent.json()["id"]
        assert len(await settled(service, document)) == 5

        second = text(KEPT, *(name for name, _ in ADDED.values()), n=2)
        update = await client.post(f"/v1/documents/{document}/update", json={"text": second},
                                   headers=headers)
        assert update.status_code == 200, update.text
        assert sorted(update.json()["added"]) == sorted(ADDED)
        assert sorted(update.json()["asked_back"]) == sorted(REMOVED)

        # The added agencies receive the document, each on its own channel.
        rows = {r.agency_id: r for r in await settled(service, document)}
        for agency, (_, kind) in ADDED.items():
            assert (rows[agency].state, rows[agency].channel) == ("delivered", kind), agency
        assert [r["agency"] for r in sink.received if r["key"] == rows["kh.so-xay-dung"].id] == [
            "kh.so-xay-dung"]
        (packet,) = [p for p in system.documents() if p.to[0].organ_id == "kh.so-gddt"]
        assert isinstance(packet, DocumentPacket) and packet.number == "41"
        (mail,) = mails.to(_address("kh.so-nnmt"))
        assert rows["kh.so-nnmt"].id in mail["Message-ID"]

        # The removed ones are asked to give it back, each on its own channel.
        assert await send_pending(service.sessions, service.notices, utcnow()) == (3, 0)
        hook = WebhookChannel(SECRET, attempts=1, allow_private=True)
        poster = PacketPoster(service.sessions, hook, (0,))
        try:
            assert (await poster.run_once())["sent"] == 1
        finally:
            await poster.poster.close()
        (notice,) = [r for r in sink.received if sink.payloads[r["key"]].get("type") == "recall"]
        assert notice["agency"] == "kh.so-tai-chinh"
        assert sink.payloads[notice["key"]]["reason"] == REASON
        assert notice["delivery_id"] == rows["kh.so-tai-chinh"].id
        assert notice["key"].startswith("recall-") and notice["key"].endswith(notice[
            "delivery_id"])
        (asked,) = system.statuses()
        assert isinstance(asked, StatusPacket) and asked.status_code == "13"
        assert (asked.response_for.organ_id, asked.description) == ("kh.so-y-te", REASON)
        async with service.sessions() as session:  # queued naming whose secrets sign it
            (queued,) = (await session.exec(select(HubMessage).where(
                col(HubMessage.target).is_not(None)))).all()
        assert queued.agency_id == "kh.so-y-te"
        (recall_mail,) = [m for m in mails.to(_address("kh.so-tu-phap"))
                          if m["Subject"].startswith("[Thu hồi]")]
        assert isinstance(recall_mail, EmailMessage)
        assert json.loads(recall_mail.get_content())["reason"] == REASON
        assert not [m for m in mails.to(_address("kh.so-nnmt")) if "[Thu hồi]" in m["Subject"]]

        # Each answers on the API; the inbox agency too, and its history shows it was asked.
        auditor = await tokens(service, Role.AUDITOR)
        view = (await client.get(f"/v1/documents/{document}", headers=auditor)).json()
        assert view["summary"]["recall"] == dict.fromkeys(REMOVED, "13")
        history = {d["agency_id"]: d["history"] for d in view["deliveries"]}
        for agency in ("kh.so-tai-chinh", "kh.so-tu-phap", "kh.so-cong-thuong"):
            assert [e["value"] for e in history[agency] if e["kind"].startswith("recall-")] == [
                "sent"], agency
        for agency, code in (("kh.so-tai-chinh", "15"), ("kh.so-cong-thuong", "16")):
            said = await client.post(f"/v1/deliveries/{rows[agency].id}/status",
                                     json={"code": code},
                                     headers=await tokens(service, Role.AGENCY, agency))
            assert said.status_code == 200 and said.json()["recall"] == code
        # Nothing went twice.
        assert await send_pending(service.sessions, service.notices, utcnow()) == (0, 0)
        assert len({r["key"] for r in sink.received}) == len(sink.received) == 3
