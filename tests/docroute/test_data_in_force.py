"""The data in force: an admin activates an imported directory snapshot and the router expands
new documents with it, recording its id on the expansion (issue 13)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlmodel import select

from docroute.service import Service
from docroute.snapshot_store import activate, store
from foundation.database import SessionFactory, transaction
from foundation.models import Document, Role, SnapshotActivation
from foundation.settings import Settings
from router import data_in_force
from router.data_in_force import claim_and_read
from rules.defaults import DATA, DEFAULT_RULES
from rules.snapshots import Snapshot, of_folder
from tests.docroute.test_service_cli import _docroute

PROVINCE = "kh.ubnd-tinh"
ADDED = "kh.test-trung-tam-thu-nghiem"
# A made-up public service unit under UBND tỉnh: part of "sở, ban, ngành" by the default policy.
UNIT = """agencies:
  - id: kh.test-trung-tam-thu-nghiem
    name: Trung tâm Thử nghiệm Định tuyến tỉnh Khánh Hòa
    kind: {kind}
    level: tinh
    parent: kh.ubnd-tinh
    area: kh.ubnd-tinh
    source: "test data: a made-up unit"
    confirmed: false
"""
LETTER = """ỦY BAN NHÂN DÂN
TỈNH KHÁNH HÒA
Số: {number}/UBND-VP
Khánh Hòa, ngày 10 tháng 3 năm 2026
V/v thử nghiệm định tuyến

Kính gửi: Các sở, ban, ngành thuộc tỉnh.

Thực hiện chỉ đạo của Chủ tịch UBND tỉnh, đề nghị các cơ quan, đơn vị báo cáo kết quả thực
hiện về Văn phòng UBND tỉnh trước ngày 20/3/2026 để tổng hợp.

Nơi nhận:
- Như trên;
- Lưu: VT.
"""


def national_with_unit(kind: str = "dvsn") -> Snapshot:
    """The shipped national data with the made-up unit added to Khánh Hòa's folder."""
    files = dict(of_folder("directory", DATA).files)
    files["khanh_hoa/99_test_unit.yaml"] = UNIT.format(kind=kind)
    return Snapshot("directory", files)


async def submit(service: Service, client: httpx.AsyncClient, tokens: Any, number: int) -> str:
    """Submit the letter from UBND tỉnh; its document id."""
    headers = await tokens(service, Role.SENDER, PROVINCE)
    answer = await client.post("/v1/documents", json={"text": LETTER.format(number=number)},
                               headers=headers)
    assert answer.status_code == 202, answer.text
    return str(answer.json()["id"])


async def import_and_activate(
    client: httpx.AsyncClient, admin: dict[str, str], snapshot: Snapshot
) -> None:
    """POST the snapshot, then make it the one in force."""
    stored = await client.post("/v1/admin/snapshots", json=snapshot.to_json(), headers=admin)
    assert stored.status_code in (200, 201), stored.text
    active = await client.post(f"/v1/admin/snapshots/{snapshot.id}/activate",
                               json={"note": "test"}, headers=admin)
    assert active.status_code == 200, active.text


async def test_an_activated_snapshot_routes_new_documents(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    """Before activation the shipped data routes (no made-up unit); after it, the unit added in
    the imported snapshot is delivered and the expansion names the snapshot; the activation
    is kept with who did it."""
    admin = await tokens(service, Role.ADMIN)
    before = await submit(service, client, tokens, 15)
    assert ADDED not in {d.agency_id for d in await settled(service, before)}
    snapshot = national_with_unit()
    await import_and_activate(client, admin, snapshot)
    after = await submit(service, client, tokens, 16)
    delivered = {d.agency_id for d in await settled(service, after)}
    assert ADDED in delivered and "kh.so-noi-vu" in delivered
    async with service.sessions() as session:
        old, new = await session.get(Document, before), await session.get(Document, after)
        rows = (await session.exec(select(SnapshotActivation))).all()
    assert old is not None and new is not None
    assert old.expansion["snapshots"]["directory"] == service.routing.snapshots["directory"]
    assert new.expansion["snapshots"] == {
        "directory": snapshot.id, "rules": service.routing.snapshots["rules"]
    }
    assert [(r.snapshot_id, r.kind, r.activated_by.endswith("(admin)")) for r in rows] == [
        (snapshot.id, "directory", True)
    ]
    active = (await client.get("/v1/admin/snapshots/active", headers=admin)).json()
    assert active["directory"]["id"] == snapshot.id and active["rules"] is None
    # A replay of the rule set uses the directory in force: the earlier letter lacks the unit.
    body = {"rules_yaml": DEFAULT_RULES.read_text(encoding="utf-8"), "since": "2026-01-01"}
    replayed = (await client.post("/v1/audit/replays", json=body, headers=admin)).json()
    assert [c["document_id"] for c in replayed["changes"]] == [before]
    assert [a["id"] for a in replayed["changes"][0]["added"]] == [ADDED]


async def test_the_service_keeps_its_own_data_and_activation_needs_a_stored_admin_call(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """The shipped files are stored as snapshots when the service starts (so a document routed
    with them stays explainable); activating an unknown id is a 404, an auditor gets a 403."""
    admin = await tokens(service, Role.ADMIN)
    auditor = await tokens(service, Role.AUDITOR)
    listed = (await client.get("/v1/admin/snapshots", headers=admin)).json()
    assert {row["id"] for row in listed} == set(service.routing.snapshots.values())
    assert not any(row["in_force"] for row in listed)
    unknown = await client.post("/v1/admin/snapshots/nope/activate", headers=admin)
    assert unknown.status_code == 404 and "import it first" in unknown.text
    own = service.routing.snapshots["directory"]
    refused = await client.post(f"/v1/admin/snapshots/{own}/activate", headers=auditor)
    assert refused.status_code == 403


async def test_why_not_answers_with_the_routed_snapshot_unless_today_is_asked(
    service: Service, stack: Settings, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    """Routed under A (the unit a ĐVSN, so in "sở, ban, ngành"), then B is activated (the unit
    a ngành dọc: out of the category). The why-not of the old document answers from A by
    default and from B when asked, on the API and the CLI."""
    admin = await tokens(service, Role.ADMIN)
    auditor = await tokens(service, Role.AUDITOR)
    a, b = national_with_unit("dvsn"), national_with_unit("nganh_doc")
    await import_and_activate(client, admin, a)
    document = await submit(service, client, tokens, 17)
    assert ADDED in {d.agency_id for d in await settled(service, document)}
    await import_and_activate(client, admin, b)
    url = f"/v1/documents/{document}/recipients/{ADDED}/why-not"
    routed = (await client.get(url, headers=auditor)).json()
    today = (await client.get(f"{url}?snapshot=current", headers=auditor)).json()
    assert routed["snapshots"]["answered_with"] == "routed"
    assert routed["snapshots"]["directory"] == a.id and routed["received"] is True
    assert any(r["rule"] == "so_ban_nganh" for r in routed["reasons"])
    assert today["snapshots"]["directory"] == b.id and today["received"] is False
    assert today["delivery"] is not None  # it was delivered under A, and still says so
    bad = await client.get(f"{url}?snapshot=yesterday", headers=auditor)
    assert bad.status_code == 422 and "'routed' or 'current'" in bad.text
    code, out, err = await _docroute(stack, "audit", "why", document, ADDED)
    assert code == 0, err
    assert json.loads(out)["snapshots"]["directory"] == a.id and json.loads(out)["received"]
    code, out, err = await _docroute(stack, "audit", "why", document, ADDED, "--current")
    assert code == 0, err
    assert json.loads(out)["snapshots"]["directory"] == b.id
    assert json.loads(out)["received"] is False


async def test_each_document_is_routed_with_the_activation_in_force_and_loaded_pairs_are_kept(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A, then B, then A again: each document is routed with the snapshot in force when it is
    routed (the router reads the activation in its routing transaction); going back to A is
    answered by the pair kept loaded (`RoutingData.ready`), without loading it again."""
    loads: list[str | None] = []
    load = data_in_force.load

    def counted(directory: Snapshot | None, ruleset: Snapshot | None, base: Any) -> Any:
        loads.append(directory.id if directory else None)
        return load(directory, ruleset, base)

    monkeypatch.setattr(data_in_force, "load", counted)
    admin = await tokens(service, Role.ADMIN)
    a, b = national_with_unit("dvsn"), national_with_unit("nganh_doc")
    assert service.data.ready({}) is service.data.base
    routed = []
    for number, snapshot in ((18, a), (19, b), (20, a)):
        await import_and_activate(client, admin, snapshot)
        document = await submit(service, client, tokens, number)
        delivered = {d.agency_id for d in await settled(service, document)}
        async with service.sessions() as session:
            row = await session.get(Document, document)
        assert row is not None and row.expansion is not None
        routed.append((row.expansion["snapshots"]["directory"], ADDED in delivered))
        assert service.data.ready({"directory": snapshot.id}) is not None
    assert routed == [(a.id, True), (b.id, False), (a.id, True)]
    assert loads == [a.id, b.id]
    assert service.data.ready({"directory": "not-loaded"}) is None


async def test_claim_and_read_claims_once_and_reads_the_latest_activation_of_each_kind(
    sessions: SessionFactory,
) -> None:
    """The router's one-statement claim and read (PostgreSQL; two statements on SQLite): a
    message is claimed once, and the activations read are the latest of each kind."""
    first = Snapshot("directory", {"a.yaml": "agencies: []\n"})
    second = Snapshot("directory", {"b.yaml": "agencies: []\n"})
    rules = Snapshot("rules", {"rules.yaml": "rules: []\n"})
    async with transaction(sessions) as session:
        assert await claim_and_read(session, "test", "m-1") == (True, {})
    async with transaction(sessions) as session:
        for snapshot in (first, rules, second):
            await store(session, snapshot, "test", None)
            await activate(session, snapshot.id, "test", None)
    async with transaction(sessions) as session:
        assert await claim_and_read(session, "test", "m-1") == (
            False, {"directory": second.id, "rules": rules.id}
        )
        assert (await claim_and_read(session, "test", "m-2"))[0] is True
