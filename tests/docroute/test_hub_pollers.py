"""Two service processes polling the same hub for one database: one round at a time (the other
skips its turn), so nothing fetched is imported twice, nothing is sent or acknowledged twice,
and nothing is lost. The second "process" is a poller on an engine of its own (its own
connections, so its own PostgreSQL session for the advisory lock)."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from docroute.hub import HubPoller, LgspHub
from docroute.hub_sim import HubState, Message, System
from foundation.database import create_engine, session_factory, transaction
from foundation.hub_outbox import queue_outbound
from foundation.models import Document, HubMessage
from foundation.settings import Settings
from tests.conftest import running
from tests.docroute.hub_fixtures import serving_hub
from tests.docroute.test_api_edxml import FINANCE, packet
from tests.docroute.test_edxml_status import status

SYSTEMS = {"SYS-A": System("secret-SYS-A", {"000.01.00.H99"}),  # Sở Nội vụ's system
           "SYS-B": System("secret-SYS-B", {FINANCE.organ_id or ""})}  # the deployment


class GatedHub(LgspHub):
    """The hub client of the first process: its first listing waits until the test lets it
    go, so the test knows that process is inside its round."""

    def __init__(self, url: str) -> None:
        super().__init__(url, "SYS-B", "secret-SYS-B")
        self.inside = asyncio.Event()
        self.go_on = asyncio.Event()

    async def received(self, kind: str) -> list[str]:
        self.inside.set()
        await self.go_on.wait()
        return await super().received(kind)


def _documents_for_b(hub: HubState, numbers: range) -> None:
    """Document packets of Sở Nội vụ waiting at the hub for the deployment's system."""
    for number in numbers:
        doc_id = f"SEED-{number}"
        body = packet((FINANCE,), ("- Sở Tài chính;",), number=str(number))
        hub.messages[doc_id] = Message(doc_id, "edoc", body, "SYS-A", "SYS-B")


async def _count(sessions: Any, query: Any) -> int:
    async with sessions() as session:
        return int((await session.exec(query)).one())


async def test_two_pollers_take_turns_and_nothing_is_done_twice(stack: Settings) -> None:
    settings = stack.model_copy(update={"hub_poll_seconds": 0, "edxml_outbox_seconds": 0})
    async with serving_hub(SYSTEMS) as (url, hub), running(settings) as service:
        second_engine = create_engine(settings.database_url)
        gated = GatedHub(url)
        first = HubPoller(service.sessions, gated, service.routing_now, service.relay.nudge)
        second = HubPoller(session_factory(second_engine), LgspHub(url, "SYS-B", "secret-SYS-B"),
                           service.routing_now, service.relay.nudge)
        try:
            _documents_for_b(hub, range(30, 35))
            async with transaction(service.sessions) as session:
                for minute in range(3):  # statuses for Sở Nội vụ's system, waiting to go
                    await queue_outbound(session, f"status-{minute}", "status",
                                         status("03", minute))

            # The first process is inside its round: the second skips its turn.
            round_one = asyncio.create_task(first.run_once())
            await gated.inside.wait()
            assert await second.run_once() == {"sent": 0, "fetched": 0, "imported": 0,
                                               "skipped": 1}
            gated.go_on.set()
            assert await round_one == {"sent": 3, "fetched": 5, "imported": 5}

            # Both at once, again and again, with new packets: every packet imported once.
            _documents_for_b(hub, range(35, 40))
            results = []
            for _ in range(3):
                results += await asyncio.gather(first.run_once(), second.run_once())
            assert sum(r["imported"] for r in results) == 5
            assert sum(r["fetched"] for r in results) == 5
            assert sum(r["sent"] for r in results) == 0
        finally:
            await gated.close()
            await second.hub.close()  # type: ignore[attr-defined]
            await second_engine.dispose()

        calls = Counter(hub.calls)
        assert calls and max(calls.values()) == 1, "a call repeated: " + str(
            [c for c, n in calls.items() if n > 1])
        assert sorted(k for c, s, k in hub.calls if c == "sendEdoc") == [
            "status-0", "status-1", "status-2"]
        assert sum(c == "getEdoc" for c, _, _ in hub.calls) == 10
        assert all(m.status == "done" for m in hub.messages.values() if m.receiver == "SYS-B")
        inbound = select(func.count()).select_from(HubMessage).where(
            HubMessage.direction == "in", HubMessage.state == "done")
        assert await _count(service.sessions, inbound) == 10
        documents = select(func.count()).select_from(Document)
        assert await _count(service.sessions, documents) == 10
