"""The story of seed 000, end to end: a province reads "Sở, ban, ngành" without its public
service units; Ban QLDA Phát triển tỉnh misses those documents; the auditor sees why; turning
the policy on and replaying lists exactly those documents; backfill delivers them once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlmodel import col, select

from docroute.service import Service
from foundation.models import Delivery, Role
from foundation.settings import Settings
from rules.defaults import DEFAULT_RULES

QLDA = "kh.ban-qlda-phat-trien-tinh"
SBN = (
    "Số: {n}/TB-UBND\nKhánh Hòa, ngày {d} tháng 5 năm 2024\nTHÔNG BÁO\nVề việc {n}\n\n"
    "Nội dung.\n\nNơi nhận:\n- Các sở, ban, ngành (VBĐT);\n- Lưu: VT.\n"
)
NAMED = (
    "Số: 90/TB-UBND\nKhánh Hòa, ngày 20 tháng 5 năm 2024\nTHÔNG BÁO\nVề việc khác\n\n"
    "Nội dung.\n\nNơi nhận:\n- Sở Nội vụ;\n- Lưu: VT.\n"
)


def strict_rules(tmp_path: Path) -> Path:
    """The province's rule set: ĐVSN are not part of 'sở, ban, ngành' (a new version)."""
    data = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))
    data["ruleset"]["version"] = "kh-2024.1"
    data["policy"]["dvsn_in_so_ban_nganh"] = False
    path = tmp_path / "kh_rules.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


async def test_seed_000_story(
    stack: Settings,
    tmp_path: Path,
    run_service: Any,
    api_client: Any,
    tokens: Any,
    settled: Any,
) -> None:
    """Missed under the strict policy, explained, replayed, backfilled once."""
    settings = stack.model_copy(update={"rules_path": strict_rules(tmp_path)})
    async with run_service(settings) as service:
        service: Service  # type: ignore[no-redef]
        client: httpx.AsyncClient = api_client(service)
        sender = await tokens(service, Role.SENDER, "kh.ubnd-tinh")
        sbn_ids = []
        for n, d in ((11, 2), (12, 9)):
            answer = await client.post(
                "/v1/documents", json={"text": SBN.format(n=n, d=d)}, headers=sender
            )
            assert answer.status_code == 202, answer.text
            sbn_ids.append(answer.json()["id"])
        named = await client.post("/v1/documents", json={"text": NAMED}, headers=sender)
        for document_id in [*sbn_ids, named.json()["id"]]:
            rows = await settled(service, document_id)
            assert QLDA not in {row.agency_id for row in rows}

        auditor = await tokens(service, Role.AUDITOR)
        why_not = await client.get(
            f"/v1/documents/{sbn_ids[0]}/recipients/{QLDA}/why-not", headers=auditor
        )
        assert why_not.status_code == 200, why_not.text
        assert "dvsn_in_so_ban_nganh" in why_not.json()["summary"]

        admin = await tokens(service, Role.ADMIN)
        body = {"rules_yaml": DEFAULT_RULES.read_text(encoding="utf-8"), "since": "2024-01-01"}
        dry = (await client.post("/v1/audit/replays", json=body, headers=auditor)).json()
        assert sorted(c["document_id"] for c in dry["changes"]) == sorted(sbn_ids)
        for change in dry["changes"]:
            assert QLDA in {a["id"] for a in change["added"]} and change["removed"] == []

        filled = (
            await client.post("/v1/audit/replays", json={**body, "backfill": True}, headers=admin)
        ).json()
        assert filled["backfilled"] == sum(len(c["added"]) for c in dry["changes"])
        for document_id in sbn_ids:
            rows = await settled(service, document_id)
            qlda = [row for row in rows if row.agency_id == QLDA]
            assert len(qlda) == 1 and qlda[0].backfill_of == filled["replay_id"]

        again = (
            await client.post("/v1/audit/replays", json={**body, "backfill": True}, headers=admin)
        ).json()
        assert (again["documents_changed"], again["backfilled"]) == (0, 0)
        async with service.sessions() as session:
            count = len(
                (await session.exec(select(Delivery).where(col(Delivery.agency_id) == QLDA))).all()
            )
        assert count == 2
        why = await client.get(f"/v1/documents/{sbn_ids[0]}/recipients/{QLDA}/why", headers=auditor)
        assert why.status_code == 200 and why.json()["delivery"] is not None
        # The backfill shows as such: received, through which replay, under which rules.
        answer = why.json()
        assert answer["received"] is True
        assert answer["backfill"]["replay_id"] == filled["replay_id"]
        shipped = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))["ruleset"]["version"]
        assert answer["backfill"]["rules_version"] == shipped
        assert filled["replay_id"] in answer["summary"]
        why_not = await client.get(
            f"/v1/documents/{sbn_ids[0]}/recipients/{QLDA}/why-not", headers=auditor
        )
        assert why_not.json()["received"] is True and why_not.json()["backfill"] is not None
        view = (await client.get(f"/v1/audit/documents/{sbn_ids[0]}", headers=auditor)).json()
        added = next(c["added"] for c in dry["changes"] if c["document_id"] == sbn_ids[0])
        replay_id = filled["replay_id"]
        ids = sorted(x["id"] for x in added)
        assert view["backfilled"] == [{"agency_id": a, "replay_id": replay_id} for a in ids]
        assert QLDA not in view["dispatched_not_expected"]
        await client.aclose()
