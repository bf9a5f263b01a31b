"""A packet from the hub that docroute cannot read is failed at the hub with the reader's
reason and logged for the deployment's operators, and the packets after it are still taken in."""

from __future__ import annotations

from sqlmodel import select
from structlog.testing import capture_logs

from docroute.hub_sim import Message, System
from foundation.models import Document, HubMessage
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
