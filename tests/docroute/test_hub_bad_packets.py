"""A packet from the hub that docroute cannot read is failed at the hub with the reader's
reason and logged for the deployment's operators, and the packets after it are still taken in:
whatever one packet does (the hub will not give it, the database refuses one of its values,
intake fails in a way nobody foresaw), the round goes on with the others."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select
from structlog.testing import capture_logs

from docroute.edxml_intake import packet_submission
from docroute.hub import HubError, HubPoller, LgspHub
from docroute.hub_sim import Message, System
from foundation.models import Document, HubMessage, HubState
from foundation.settings import Settings
from tests.conftest import running
from tests.docroute.hub_fixtures import serving_hub
from tests.docroute.test_api_edxml import FINANCE, HOME_AFFAIRS, packet

SYSTEMS = {"SYS-A": System("secret-SYS-A", {HOME_AFFAIRS.organ_id or ""}),
           "SYS-B": System("secret-SYS-B", set())}


async def test_an_unreadable_packet_is_failed_logged_and_does_not_block_the_next(
    stack: Settings,
) -> None:
    """The hub hears `fail`, the operators a `hub_import_failed` warning naming the hub id
    and the reason, the row keeps the reason; the readable packet behind it is imported."""
    async with serving_hub(SYSTEMS) as (url, hub):
        settings = stack.model_copy(update={
            "hub_url": url, "hub_system_id": "SYS-B", "hub_secret": "secret-SYS-B",
            "hub_poll_seconds": 0, "edxml_outbox_seconds": 0})
        async with running(settings) as service:
            assert service.hub_poller is not None
            bad = packet((FINANCE,), ("- Sở Tài chính;",)).replace(b"&amp;", b"&").replace(
                b"</edXML:Subject>", b" A & B</edXML:Subject>")
            hub.messages["H-1"] = Message("H-1", "edoc", bad, "SYS-A", "SYS-B")
            good = packet((FINANCE,), ("- Sở Tài chính;",), "23")
            hub.messages["H-2"] = Message("H-2", "edoc", good, "SYS-A", "SYS-B")
            with capture_logs() as logged:
                assert (await service.hub_poller.run_once())["imported"] == 1
            assert (hub.messages["H-1"].status, hub.messages["H-2"].status) == ("fail", "done")
            (failed,) = [e for e in logged if e["event"] == "hub_import_failed"]
            assert failed["hub_id"] == "H-1" and "not well-formed" in failed["error"]
            async with service.sessions() as session:
                row = (await session.exec(select(HubMessage).where(
                    HubMessage.hub_id == "H-1"))).one()
                assert row.error and "not well-formed" in row.error
                numbers = [d.number for d in (await session.exec(select(Document))).all()]
            assert numbers == ["23/SNV-CCHC"]


class HubWithBrokenPackets(LgspHub):
    """The deployment's hub client; the hub will not give the packets named in `broken`
    (its getEdoc answers no packet), as a hub holding a damaged message does."""

    def __init__(self, url: str, broken: set[str]) -> None:
        super().__init__(url, "SYS-B", "secret-SYS-B")
        self.broken = broken

    async def fetch(self, hub_id: str) -> bytes:
        if hub_id in self.broken:
            raise HubError(f"getEdoc {hub_id}: no base64 packet in data.edxml", transient=False)
        return await super().fetch(hub_id)


def _quiet(stack: Settings, url: str) -> Settings:
    return stack.model_copy(update={
        "hub_url": url, "hub_system_id": "SYS-B", "hub_secret": "secret-SYS-B",
        "hub_poll_seconds": 0, "edxml_outbox_seconds": 0})


async def _numbers(service: Any) -> list[str | None]:
    async with service.sessions() as session:
        return sorted(d.number for d in (await session.exec(select(Document))).all())


async def _row(service: Any, hub_id: str) -> HubMessage:
    async with service.sessions() as session:
        found: HubMessage = (await session.exec(select(HubMessage).where(
            HubMessage.hub_id == hub_id))).one()
    return found


async def test_a_packet_the_hub_will_not_give_is_kept_as_failed_and_the_next_is_taken(
    stack: Settings,
) -> None:
    """getEdoc failing for one packet used to end the round before any import, every round."""
    async with serving_hub(SYSTEMS) as (url, hub), running(_quiet(stack, url)) as service:
        for hub_id, number in (("H-1", "31"), ("H-2", "32")):
            body = packet((FINANCE,), ("- Sở Tài chính;",), number)
            hub.messages[hub_id] = Message(hub_id, "edoc", body, "SYS-A", "SYS-B")
        poller = HubPoller(service.sessions, HubWithBrokenPackets(url, {"H-1"}),
                           service.routing_now)
        counts = await poller.run_once()
        assert (counts["fetched"], counts["imported"]) == (1, 1)
        assert await _numbers(service) == ["32/SNV-CCHC"]
        row = await _row(service, "H-1")
        assert row.state == HubState.FAILED and row.error
        assert "did not give its bytes" in row.error
        assert (hub.messages["H-1"].status, hub.messages["H-2"].status) == ("fail", "done")


async def test_an_unforeseen_failure_of_one_import_fails_that_packet_only(
    stack: Settings, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Whatever a packet makes intake raise, the packet is failed with a reason naming what
    to tell the operators, and the packets behind it are taken in."""
    def submission(packet_: Any, routing: Any) -> Any:
        if packet_.number == "34":
            raise RuntimeError("a case intake never foresaw")
        return packet_submission(packet_, routing)

    monkeypatch.setattr("docroute.hub.packet_submission", submission)
    async with serving_hub(SYSTEMS) as (url, hub), running(_quiet(stack, url)) as service:
        assert service.hub_poller is not None
        for hub_id, number in (("H-1", "34"), ("H-2", "35")):
            body = packet((FINANCE,), ("- Sở Tài chính;",), number)
            hub.messages[hub_id] = Message(hub_id, "edoc", body, "SYS-A", "SYS-B")
        assert (await service.hub_poller.run_once())["imported"] == 1
        assert await _numbers(service) == ["35/SNV-CCHC"]
        row = await _row(service, "H-1")
        assert row.state == HubState.FAILED and row.error and "RuntimeError" in row.error
        assert (hub.messages["H-1"].status, hub.messages["H-2"].status) == ("fail", "done")
