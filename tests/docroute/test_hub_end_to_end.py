"""End to end through the hub simulator: docroute A sends a Khánh Hòa document to agencies
that docroute B serves; B routes it to them, they report 01 and 03, B reports back, A shows it;
A then recalls it, and each agency's answer (15 / 16) comes back the same way.

Rounds of the hub adapters are run by the test (`run_once`), not by a timer.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx

from docroute.hub_sim import System
from docroute.service import Service
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import ChannelKind, Role
from foundation.settings import Settings
from tests.conftest import fast_settings, in_process_client, running
from tests.docroute.hub_fixtures import serving_hub

ISSUER = "kh.ubnd-tinh"
RECEIVERS = ["kh.so-noi-vu", "kh.so-tai-chinh"]
TEXT = """ỦY BAN NHÂN DÂN
TỈNH KHÁNH HÒA
Số: 15/UBND-VP
Khánh Hòa, ngày 4 tháng 3 năm 2025
CÔNG VĂN
V/v báo cáo cải cách hành chính quý I năm 2025

Đề nghị các cơ quan báo cáo trước ngày 20/3/2025.

Nơi nhận:
- Sở Nội vụ;
- Sở Tài chính;
- Lưu: VT, VP.
"""


@contextlib.asynccontextmanager
async def deployment(settings: Settings) -> AsyncIterator[tuple[Service, httpx.AsyncClient]]:
    """A started docroute and an API client on it."""
    async with running(settings) as service, in_process_client(service) as client:
        yield service, client


def _hub(settings: Settings, url: str, system: str) -> Settings:
    return settings.model_copy(update={"hub_url": url, "hub_system_id": system,
                                       "hub_secret": f"secret-{system}", "hub_poll_seconds": 0})


async def test_a_document_and_its_statuses_go_through_the_hub(
    stack: Settings, tmp_path: Path, tokens: Any, settled: Any
) -> None:
    systems = {"SYS-A": System("secret-SYS-A", {ISSUER}),
               "SYS-B": System("secret-SYS-B", set(RECEIVERS))}
    b_settings = fast_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/b.sqlite3")
    async with serving_hub(systems) as (url, hub), \
            deployment(_hub(stack, url, "SYS-A")) as (a, a_client), \
            deployment(_hub(b_settings, url, "SYS-B")) as (b, b_client):
        assert a.hub_poller is not None and b.hub_poller is not None
        async with transaction(a.sessions) as session:
            for agency in RECEIVERS:  # A reaches these agencies through the hub
                await set_channel(session, agency, ChannelKind.EDXML, "hub")
        sent = await a_client.post("/v1/documents", json={"text": TEXT},
                                   headers=await tokens(a, Role.SENDER, ISSUER))
        assert sent.status_code == 202, sent.text
        document_a = sent.json()["id"]
        rows = await settled(a, document_a)
        assert sorted(r.agency_id for r in rows) == RECEIVERS
        assert all(r.channel == "edxml" for r in rows)

        assert (await a.hub_poller.run_once())["sent"] == 2  # one packet per agency
        assert len(hub.messages) == 2
        assert (await b.hub_poller.run_once())["imported"] == 2
        assert all(m.status == "done" for m in hub.messages.values())

        document_b = await _only_document(b)
        rows_b = await settled(b, document_b)
        assert sorted(r.agency_id for r in rows_b) == RECEIVERS  # routed on to its agencies
        rows_b.sort(key=lambda r: r.agency_id)
        for row in rows_b:
            agency = await tokens(b, Role.AGENCY, row.agency_id)
            for code in ("01", "03"):
                answer = await b_client.post(f"/v1/deliveries/{row.id}/status",
                                             json={"code": code}, headers=agency)
                assert answer.status_code == 200, answer.text

        assert (await b.hub_poller.run_once())["sent"] == 4  # two statuses per agency
        assert (await a.hub_poller.run_once())["imported"] == 4
        assert (await a.hub_poller.run_once()) == {"sent": 0, "fetched": 0, "imported": 0}

        view = (await a_client.get(f"/v1/documents/{document_a}",
                                   headers=await tokens(a, Role.AUDITOR))).json()
        assert view["summary"]["confirmed"] == RECEIVERS
        for delivery in view["deliveries"]:
            assert delivery["receipt"] == "03"
            receipts = [e["value"] for e in delivery["history"] if e["kind"] == "receipt"]
            assert receipts == ["01", "03"]

        # A recalls it: B's agencies are asked (13) through the hub, and their answers come back.
        recall = await a_client.post(f"/v1/documents/{document_a}/recall",
                                     json={"reason": "Sai số liệu"},
                                     headers=await tokens(a, Role.SENDER, ISSUER))
        assert recall.status_code == 200, recall.text
        assert (await a.hub_poller.run_once())["sent"] == 2
        assert (await b.hub_poller.run_once())["imported"] == 2
        for row, answer in zip(rows_b, ("15", "16"), strict=True):
            agency = await tokens(b, Role.AGENCY, row.agency_id)
            said = await b_client.post(f"/v1/deliveries/{row.id}/status",
                                       json={"code": answer}, headers=agency)
            assert said.status_code == 200 and said.json()["recall"] == answer, said.text
        assert (await b.hub_poller.run_once())["sent"] == 2
        assert (await a.hub_poller.run_once())["imported"] == 2
        view = (await a_client.get(f"/v1/documents/{document_a}",
                                   headers=await tokens(a, Role.AUDITOR))).json()
        answers = dict(zip(sorted(r.agency_id for r in rows_b), ("15", "16"), strict=True))
        assert view["summary"]["recall"] == answers


async def _only_document(service: Service) -> str:
    from sqlmodel import select

    from foundation.models import Document

    async with service.sessions() as session:
        (document,) = (await session.exec(select(Document))).all()
    assert document.packet is not None and document.packet["via"] == "hub"
    return document.id
