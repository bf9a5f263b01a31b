"""The parts that read or match agencies outside the router use the data in force at the time
of the request or the poll (an activated snapshot, else the files), not the files the service
started with: POST /v1/documents' sender check, the audit's agency-kind filter and the hub
poller's import each see a unit that only the activated snapshot has."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, select, update

from docroute.hub_sim import Message, System
from docroute.service import Service
from docroute.snapshot_store import activate, store
from edxml import DocumentPacket, Organization, read_packet, write_document
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import ChannelKind, Delivery, Document, Role
from foundation.models.clock import utcnow
from foundation.settings import Settings
from tests.conftest import in_process_client, running, token, wait_settled
from tests.docroute.edxml_receiver import serving_system
from tests.docroute.hub_fixtures import serving_hub
from tests.docroute.test_api_edxml import HOME_AFFAIRS
from tests.docroute.test_data_in_force import (
    ADDED,
    import_and_activate,
    national_with_unit,
    submit,
)
from tests.docroute.test_service_cli import _docroute

# A letter the made-up unit sends (its own Nơi nhận names a department the files have).
FROM_UNIT = """UBND TỈNH KHÁNH HÒA
TRUNG TÂM THỬ NGHIỆM
Số: 5/TTTN-HC
Khánh Hòa, ngày 10 tháng 3 năm 2026
V/v thử nghiệm người gửi

Kính gửi: Sở Nội vụ.

Đề nghị Sở Nội vụ phối hợp.

Nơi nhận:
- Như trên;
- Lưu: VT.
"""


async def test_a_sender_only_the_activated_snapshot_has_is_accepted(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """Before the activation the unit is an unknown sender (422), in a dry run and a real
    submission alike; after it, both accept it, with no restart."""
    admin = await tokens(service, Role.ADMIN)
    unit = await tokens(service, Role.SENDER, ADDED)
    for query in ("?dry_run=true", ""):
        refused = await client.post(f"/v1/documents{query}", json={"text": FROM_UNIT},
                                    headers=unit)
        assert refused.status_code == 422 and "unknown_sender" in refused.text, refused.text
    await import_and_activate(client, admin, national_with_unit())
    preview = await client.post("/v1/documents?dry_run=true", json={"text": FROM_UNIT},
                                headers=unit)
    assert preview.status_code == 200, preview.text
    accepted = await client.post("/v1/documents", json={"text": FROM_UNIT}, headers=unit)
    assert accepted.status_code == 202, accepted.text
    async with service.sessions() as session:
        document = await session.get(Document, accepted.json()["id"])
    assert document is not None and document.sender == ADDED
    # The edXML id names the sender as the data in force does (this unit has no code: its id).
    assert document.edxml_id == f"{ADDED},2026/03/10,5/TTTN-HC"


async def test_a_sender_refused_by_the_recent_read_is_checked_again_before_the_422(
    service: Service, client: httpx.AsyncClient, tokens: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A submission reuses the process's read of the activations in force of the last second
    (`routing_recent`); a snapshot activated meanwhile by another process (here: straight in
    the database, as `docroute directory activate` does) is read before a sender is refused."""
    # The recent read kept for the whole test, so that it is the one the submission reuses.
    monkeypatch.setattr(service.recent_in_force, "seconds", 3600.0)
    unit = await tokens(service, Role.SENDER, ADDED)
    refused = await client.post("/v1/documents", json={"text": FROM_UNIT}, headers=unit)
    assert refused.status_code == 422 and "unknown_sender" in refused.text
    snapshot = national_with_unit()
    async with transaction(service.sessions) as session:
        await store(session, snapshot, "another process", None)
        await activate(session, snapshot.id, "another process", None)
    kept = await service.routing_recent()  # the read before the activation, still kept
    assert kept.snapshots["directory"] == service.routing.snapshots["directory"]
    accepted = await client.post("/v1/documents", json={"text": FROM_UNIT}, headers=unit)
    assert accepted.status_code == 202, accepted.text
    async with service.sessions() as session:
        document = await session.get(Document, accepted.json()["id"])
    assert document is not None and document.sender == ADDED


async def test_the_audit_kind_filter_counts_a_unit_the_activated_snapshot_added(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    """The letter routed after the activation reaches the unit (a ĐVSN); the scorecard and the
    missed report filtered on `kind=dvsn` keep it, since the unit is a ĐVSN in force."""
    admin = await tokens(service, Role.ADMIN)
    auditor = await tokens(service, Role.AUDITOR)
    await import_and_activate(client, admin, national_with_unit("dvsn"))
    document = await submit(service, client, tokens, 21)
    assert ADDED in {d.agency_id for d in await settled(service, document)}
    everyone = (await client.get("/v1/audit/scorecard", headers=auditor)).json()
    assert ADDED in {row["agency_id"] for row in everyone}
    units = (await client.get("/v1/audit/scorecard?kind=dvsn", headers=auditor)).json()
    assert ADDED in {row["agency_id"] for row in units}
    departments = (await client.get("/v1/audit/scorecard?kind=so", headers=auditor)).json()
    assert ADDED not in {row["agency_id"] for row in departments}
    missed = await client.get("/v1/audit/missed?kind=dvsn&state=unconfirmed", headers=auditor)
    assert missed.status_code == 200, missed.text


SYSTEMS = {"SYS-A": System("secret-SYS-A", {HOME_AFFAIRS.organ_id or ""}),
           "SYS-B": System("secret-SYS-B", {ADDED})}


def _packet_to_unit(number: str) -> bytes:
    """Sở Nội vụ's công văn for the made-up unit, named in `To` by its directory id."""
    unit = Organization(ADDED, "Trung tâm Thử nghiệm Định tuyến tỉnh Khánh Hòa")
    return write_document(DocumentPacket(
        sender=HOME_AFFAIRS, to=(unit,), document_id=f"000.01.00.H99,2025/03/04,{number}/SNV",
        number=number, notation="SNV", date=dt.date(2025, 3, 4), place="Khánh Hòa",
        subject="Về việc thử trục với dữ liệu mới",
        to_places=(f"- {unit.name};", "- Lưu: VT."),
    ))


async def test_the_hub_poller_matches_to_with_the_data_in_force_of_each_round(
    stack: Settings,
) -> None:
    """A packet whose `To` names the unit is imported by the service's own poller: before the
    activation its `To` is unmatched (nobody receives it); in the next round after it, the
    unit is matched and receives the document."""
    async with serving_hub(SYSTEMS) as (url, hub):
        settings = stack.model_copy(update={
            "hub_url": url, "hub_system_id": "SYS-B", "hub_secret": "secret-SYS-B",
            "hub_poll_seconds": 0, "edxml_outbox_seconds": 0})
        async with running(settings) as service, in_process_client(service) as client:
            assert service.hub_poller is not None
            received: list[set[str]] = []
            for number in ("31", "32"):
                if number == "32":
                    await import_and_activate(client, await token(service, Role.ADMIN),
                                              national_with_unit())
                hub.messages[f"H-{number}"] = Message(f"H-{number}", "edoc",
                                                      _packet_to_unit(number), "SYS-A", "SYS-B")
                assert (await service.hub_poller.run_once())["imported"] == 1
                async with service.sessions() as session:
                    query = select(Document).where(Document.number == f"{number}/SNV")
                    (document,) = (await session.exec(query)).all()
                received.append({d.agency_id for d in await wait_settled(service, document.id)})
                assert document.packet is not None
                matched = [o["agency_id"] for o in document.packet["to"]]
                assert matched == ([None] if number == "31" else [ADDED])
            assert received == [set(), {ADDED}]


async def test_the_clis_kind_filter_and_replace_read_the_data_in_force(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any,
    tmp_path: Path,
) -> None:
    """`docroute audit missed --kind` counts a unit only the activated snapshot has, and
    `docroute documents replace` accepts that unit as the sender of the replacing document,
    as the API does (the CLI read the service's files before)."""
    admin = await tokens(service, Role.ADMIN)
    await import_and_activate(client, admin, national_with_unit("dvsn"))
    document = await submit(service, client, tokens, 23)
    assert ADDED in {d.agency_id for d in await settled(service, document)}
    async with transaction(service.sessions) as session:  # its receipt overdue: a finding
        await session.exec(update(Delivery).where(col(Delivery.agency_id) == ADDED)
                           .values(due_at=utcnow() - dt.timedelta(days=2)))
    code, out, err = await _docroute(service.settings, "audit", "missed", "--kind", "dvsn",
                                     "--state", "unconfirmed")
    assert code == 0, err
    assert ADDED in {row["agency_id"] for row in json.loads(out)}, out

    unit = await tokens(service, Role.SENDER, ADDED)
    sent = await client.post("/v1/documents", json={"text": FROM_UNIT}, headers=unit)
    assert sent.status_code == 202, sent.text
    replacing = tmp_path / "replacing.txt"
    replacing.write_text(FROM_UNIT.replace("5/TTTN-HC", "6/TTTN-HC"), encoding="utf-8")
    code, out, err = await _docroute(service.settings, "documents", "replace",
                                     sent.json()["id"], str(replacing))
    assert code == 0, err
    assert json.loads(out)["replaces"] == sent.json()["id"]


async def test_the_cli_replay_takes_the_directory_in_force_by_default(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any,
) -> None:
    """`docroute audit replay --rules` without `--directory` replays with the directory in
    force: the same rules over a letter routed to a unit only the activated snapshot has
    change nothing (with the service's files, the unit would read as removed)."""
    admin = await tokens(service, Role.ADMIN)
    await import_and_activate(client, admin, national_with_unit("dvsn"))
    document = await submit(service, client, tokens, 24)
    assert ADDED in {d.agency_id for d in await settled(service, document)}
    rules_file = Path(__file__).resolve().parents[2] / "rules" / "data" / "default_rules.yaml"
    code, out, err = await _docroute(service.settings, "audit", "replay", "--since",
                                     "2026-01-01", "--rules", str(rules_file))
    assert code == 0, err
    replayed = json.loads(out)
    assert replayed["documents_checked"] >= 1
    assert replayed["documents_changed"] == 0, replayed["changes"]


async def test_the_edxml_channel_names_a_unit_the_activated_snapshot_added(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any,
) -> None:
    """The packet POSTed to the unit's own edXML system names it as the directory in force
    has it (its name, under UBND tỉnh), not by a bare id as for an agency the service's
    files lack."""
    admin = await tokens(service, Role.ADMIN)
    await import_and_activate(client, admin, national_with_unit("dvsn"))
    async with serving_system() as system:
        async with transaction(service.sessions) as session:
            await set_channel(session, ADDED, ChannelKind.EDXML, system.url)
        document = await submit(service, client, tokens, 25)
        states = {d.agency_id: d.state for d in await settled(service, document)}
        assert states[ADDED] == "delivered", states
    [packet] = system.documents()
    [unit] = [o for o in packet.to if o.organ_id == ADDED]
    assert unit.name == "Trung tâm Thử nghiệm Định tuyến tỉnh Khánh Hòa"
    assert unit.in_charge == "Ủy ban nhân dân tỉnh Khánh Hòa"


async def test_the_clis_account_check_and_packet_preview_read_the_data_in_force(
    service: Service, client: httpx.AsyncClient, tokens: Any,
) -> None:
    """`docroute users add --agency` accepts a unit only the activated snapshot has (as the
    admin page's people form does), and `docroute edxml write` shows the packet the edXML
    channel sends it, naming it as the directory in force has it."""
    admin = await tokens(service, Role.ADMIN)
    await import_and_activate(client, admin, national_with_unit("dvsn"))
    code, out, err = await _docroute(service.settings, "users", "add", "thu-nghiem", "--name",
                                     "Cán bộ thử nghiệm", "--role", "agency", "--agency", ADDED,
                                     "--password-stdin", stdin=b"mat-khau-thu-nghiem-dai\n")
    assert code == 0, err
    assert ADDED in out
    document = await submit(service, client, tokens, 26)
    code, out, err = await _docroute(service.settings, "edxml", "write", document, ADDED)
    assert code == 0, err
    [unit] = [o for o in read_packet(out.encode()).to if o.organ_id == ADDED]
    assert unit.name == "Trung tâm Thử nghiệm Định tuyến tỉnh Khánh Hòa"
