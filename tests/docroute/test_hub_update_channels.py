"""An update (BussinessDocType 2) that arrives from the hub as a packet reaches the receiving
deployment's agencies on their own channels, as an update through the API does
(`test_update_channels.py`): the agencies it adds get the document by webhook or in their
inbox, and the ones it removes (ReceiverList, ReceiverType 0) are asked to give it back on
theirs, a recall notice by webhook or in the inbox's history. Packets are put at the
simulated hub for the deployment's system and taken in by its poller's rounds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlmodel import select

from audit.reminders import send_pending
from docroute.hub_sim import HubState, Message, System
from docroute.service import Service
from edxml import Business, BusinessType, DocumentPacket, Organization, write_document
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import ChannelKind, Delivery, DeliveryEvent, Document
from foundation.models.clock import utcnow
from foundation.settings import Settings
from tests.conftest import Sink, running
from tests.docroute.hub_fixtures import serving_hub
from tests.docroute.test_api_edxml import HOME_AFFAIRS

SYSTEMS = {"SYS-A": System("secret-SYS-A", {HOME_AFFAIRS.organ_id or ""}),
           "SYS-B": System("secret-SYS-B", set())}
KEPT = Organization("kh.so-tai-chinh", "Sở Tài chính")
REMOVED = {"kh.so-y-te": (Organization("kh.so-y-te", "Sở Y tế"), ChannelKind.WEBHOOK),
           "kh.so-cong-thuong": (Organization("kh.so-cong-thuong", "Sở Công Thương"),
                                 ChannelKind.INBOX)}
ADDED = {"kh.so-xay-dung": (Organization("kh.so-xay-dung", "Sở Xây dựng"), ChannelKind.WEBHOOK),
         "kh.so-khcn": (Organization("kh.so-khcn", "Sở Khoa học và Công nghệ"),
                        ChannelKind.INBOX)}
DOCUMENT_ID = "000.01.00.H99,2025/03/04,9/SNV-VP"
REASON = "Bỏ bớt nơi nhận"


def _packet(kind: BusinessType, to: tuple[Organization, ...], **business: Any) -> bytes:
    """Sở Nội vụ's công văn 9/SNV-VP, its Nơi nhận lines those of `To`."""
    return write_document(DocumentPacket(
        sender=HOME_AFFAIRS, to=to, document_id=DOCUMENT_ID, number="9", notation="SNV-VP",
        date=dt.date(2025, 3, 4), subject="Về việc thử cập nhật qua trục",
        to_places=(*(f"- {o.name};" for o in to), "- Lưu: VT, VP."),
        business=Business(kind, reason=REASON if kind else None, **business),
    ))


def _at_hub(hub: HubState, hub_id: str, body: bytes) -> None:
    hub.messages[hub_id] = Message(hub_id, "edoc", body, "SYS-A", "SYS-B")


async def _rows(service: Service) -> tuple[str, dict[str, Delivery]]:
    async with service.sessions() as session:
        (document,) = (await session.exec(select(Document))).all()
        rows = (await session.exec(
            select(Delivery).where(Delivery.document_id == document.id))).all()
    return document.id, {r.agency_id: r for r in rows}


async def _events(service: Service, delivery_id: str) -> list[tuple[str, str]]:
    async with service.sessions() as session:
        events = (await session.exec(select(DeliveryEvent).where(
            DeliveryEvent.delivery_id == delivery_id).order_by(DeliveryEvent.seq))).all()
    return [(e.kind, e.value) for e in events]


async def test_an_update_packet_from_the_hub_reaches_added_and_removed_agencies(
    stack: Settings, sink: Sink, settled: Any
) -> None:
    async with serving_hub(SYSTEMS) as (url, hub):
        settings = stack.model_copy(update={
            "hub_url": url, "hub_system_id": "SYS-B", "hub_secret": "secret-SYS-B",
            "hub_poll_seconds": 0, "edxml_outbox_seconds": 0})
        async with running(settings) as service:
            assert service.hub_poller is not None
            async with transaction(service.sessions) as session:
                for agency, (_, kind) in {**REMOVED, **ADDED}.items():
                    target = f"{sink.url}/{agency}" if kind == ChannelKind.WEBHOOK else None
                    await set_channel(session, agency, kind, target)

            first = (KEPT, *(o for o, _ in REMOVED.values()))
            _at_hub(hub, "H-1", _packet(BusinessType.NEW, first))
            assert (await service.hub_poller.run_once())["imported"] == 1
            document, _ = await _rows(service)
            rows = {r.agency_id: r for r in await settled(service, document)}
            assert sorted(rows) == sorted(["kh.so-tai-chinh", *REMOVED])
            first_keys = {r["key"] for r in sink.received}
            assert first_keys == {rows["kh.so-y-te"].id}

            second = (KEPT, *(o for o, _ in ADDED.values()))
            removed = tuple((agency, 0) for agency in REMOVED)
            _at_hub(hub, "H-2", _packet(BusinessType.UPDATE, second, receivers_changed=True,
                                        content_changed=False, receivers=removed))
            assert (await service.hub_poller.run_once())["imported"] == 1
            assert hub.messages["H-2"].status == "done"

            # The added agencies receive the document on their own channels.
            rows = {r.agency_id: r for r in await settled(service, document)}
            assert set(rows) == {"kh.so-tai-chinh", *REMOVED, *ADDED}
            for agency, (_, kind) in ADDED.items():
                assert (rows[agency].state, rows[agency].channel) == ("delivered", kind), agency
            by_key = {r["key"]: r["agency"] for r in sink.received}
            assert by_key[rows["kh.so-xay-dung"].id] == "kh.so-xay-dung"

            # The removed ones are asked back on theirs: a recall notice by webhook, and the
            # inbox agency's history shows the request and its notice.
            assert await send_pending(service.sessions, service.notices, utcnow()) == (2, 0)
            (notice,) = [r for r in sink.received if sink.payloads[r["key"]].get("type")
                         == "recall"]
            assert (notice["agency"], notice["delivery_id"]) == ("kh.so-y-te",
                                                                 rows["kh.so-y-te"].id)
            assert sink.payloads[notice["key"]]["reason"] == REASON
            for agency in REMOVED:
                events = await _events(service, rows[agency].id)
                assert ("recall", "13") in events, agency
                assert [v for k, v in events if k.startswith("recall-")] == ["sent"], agency
            for agency in ("kh.so-tai-chinh", *ADDED):
                assert not [k for k, _ in await _events(service, rows[agency].id)
                            if k.startswith("recall")], agency

            # A second round brings nothing again; nothing was sent twice.
            assert (await service.hub_poller.run_once())["imported"] == 0
            assert await send_pending(service.sessions, service.notices, utcnow()) == (0, 0)
            assert len({r["key"] for r in sink.received}) == len(sink.received) == 3
