"""The auditor's API: roles, filters, CSV, and errors a clerk can act on."""

from __future__ import annotations

from typing import Any

import httpx

from docroute.service import Service
from foundation.models import DeliveryState, Role
from tests.audit.conftest import add_delivery, add_document


async def test_missed_report_is_for_auditors_only(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any
) -> None:
    """An agency or a sender token gets 403; no token 401; an auditor gets the rows."""
    doc = await add_document(embedded_service.sessions)
    await add_delivery(embedded_service.sessions, doc, "kh.so-y-te", state=DeliveryState.FAILED)
    agency = await tokens(embedded_service, Role.AGENCY, "kh.so-y-te")
    auditor = await tokens(embedded_service, Role.AUDITOR)
    assert (await embedded_client.get("/v1/audit/missed")).status_code == 401
    assert (await embedded_client.get("/v1/audit/missed", headers=agency)).status_code == 403
    rows = (await embedded_client.get("/v1/audit/missed", headers=auditor)).json()
    assert [(r["agency_id"], r["finding"]) for r in rows] == [("kh.so-y-te", "not_delivered")]


async def test_missed_report_as_csv_and_by_kind(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any
) -> None:
    """`format=csv` answers a CSV file; `kind=dvsn` keeps public service units only."""
    doc = await add_document(embedded_service.sessions)
    await add_delivery(embedded_service.sessions, doc, "kh.so-y-te")
    await add_delivery(embedded_service.sessions, doc, "kh.ban-qlda-phat-trien-tinh")
    auditor = await tokens(embedded_service, Role.AUDITOR)
    answer = await embedded_client.get("/v1/audit/missed?format=csv&kind=dvsn", headers=auditor)
    assert answer.headers["content-type"].startswith("text/csv")
    lines = answer.text.strip().splitlines()
    assert lines[0].startswith("finding,") and len(lines) == 2
    assert "kh.ban-qlda-phat-trien-tinh" in lines[1]


async def test_bad_filters_get_clear_messages(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any
) -> None:
    """An unknown state or kind gets 422 naming the allowed values."""
    auditor = await tokens(embedded_service, Role.AUDITOR)
    bad_state = await embedded_client.get("/v1/audit/missed?state=lost", headers=auditor)
    bad_kind = await embedded_client.get("/v1/audit/missed?kind=bank", headers=auditor)
    assert bad_state.status_code == 422 and "not_delivered" in bad_state.text
    assert bad_kind.status_code == 422 and "dvsn" in bad_kind.text


async def test_replay_with_bad_rules_is_refused(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any
) -> None:
    """A replay whose rules do not parse gets 422 naming the problem; an auditor cannot
    backfill."""
    auditor = await tokens(embedded_service, Role.AUDITOR)
    bad = await embedded_client.post(
        "/v1/audit/replays", headers=auditor, json={"rules_yaml": "rules: [", "since": "2024-01-01"}
    )
    assert bad.status_code == 422 and "not valid YAML" in bad.text
    refused = await embedded_client.post(
        "/v1/audit/replays",
        headers=auditor,
        json={
            "rules_yaml": "ruleset: {id: x, version: '1'}",
            "since": "2024-01-01",
            "backfill": True,
        },
    )
    assert refused.status_code == 403


async def test_verify_reports_an_intact_history(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any
) -> None:
    """The history check answers intact when nothing was touched."""
    doc = await add_document(embedded_service.sessions)
    await add_delivery(embedded_service.sessions, doc, "kh.so-y-te")
    auditor = await tokens(embedded_service, Role.AUDITOR)
    answer = (await embedded_client.get("/v1/audit/verify", headers=auditor)).json()
    assert answer["intact"] is True and answer["deliveries_checked"] == 1


async def test_sender_asks_why_only_about_its_own_documents(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any
) -> None:
    """A sending office gets why-not for its own document and 403 for another office's."""
    own = await add_document(embedded_service.sessions, sender="kh.ubnd-tinh")
    other = await add_document(embedded_service.sessions, sender="kh.so-noi-vu")
    sender = await tokens(embedded_service, Role.SENDER, "kh.ubnd-tinh")
    path = "/v1/documents/{}/recipients/kh.ban-qlda-phat-trien-tinh/why-not"
    mine = await embedded_client.get(path.format(own.id), headers=sender)
    theirs = await embedded_client.get(path.format(other.id), headers=sender)
    assert mine.status_code == 200 and mine.json()["received"] is True
    assert theirs.status_code == 403
