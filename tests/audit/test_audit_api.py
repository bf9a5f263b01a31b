"""The auditor's API: roles, filters, CSV, and errors a clerk can act on."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx

from docroute.service import Service
from foundation.models import DeliveryState, Role
from rules.defaults import DEFAULT_RULES
from tests.audit.conftest import add_delivery, add_document

BA_TO = Path(__file__).resolve().parents[1] / "data" / "ba_to"


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
    assert answer.content.startswith("\ufeff".encode())
    lines = answer.text.removeprefix("\ufeff").strip().splitlines()
    assert lines[0].startswith("finding,") and len(lines) == 2
    assert "kh.ban-qlda-phat-trien-tinh" in lines[1]


async def test_unknown_format_is_400_and_an_empty_csv_has_its_header(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any
) -> None:
    """`format=xml` is a 400 naming json and csv; an empty report in CSV is its header row."""
    auditor = await tokens(embedded_service, Role.AUDITOR)
    for path in ("/v1/audit/missed", "/v1/audit/scorecard"):
        bad = await embedded_client.get(f"{path}?format=xml", headers=auditor)
        assert bad.status_code == 400 and "csv" in bad.json()["detail"]
        empty = await embedded_client.get(f"{path}?format=csv", headers=auditor)
        assert empty.status_code == 200
        assert empty.text.removeprefix("\ufeff").splitlines()[0].startswith(
            ("finding,", "agency_id,")
        )


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
    deep = "ruleset: {id: x, version: '1'}\nrules: " + "[" * 50_000 + "]" * 50_000
    nested = await embedded_client.post(
        "/v1/audit/replays", headers=auditor, json={"rules_yaml": deep, "since": "2024-01-01"}
    )
    assert nested.status_code == 422 and "nested deeper than 50 levels" in nested.text
    phrase = ("ruleset: {id: x, version: '1'}\nrules:\n- id: a\n  match: ['"
              + "[sở] " * 40 + "x']\n  select: {kinds: [so]}\n")
    slow = await embedded_client.post(
        "/v1/audit/replays", headers=auditor, json={"rules_yaml": phrase, "since": "2024-01-01"}
    )
    assert slow.status_code == 422 and "40 bracketed groups (at most 10)" in slow.text
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


async def test_replay_uses_the_configured_directory(
    embedded: Any, run_service: Any, api_client: Any, tokens: Any
) -> None:
    """A service routing with the Ba Tơ directory replays with it: the communes it adds are
    Quảng Ngãi's, not the shipped Khánh Hòa ones."""
    settings = embedded.model_copy(update={"directory_path": BA_TO})
    async with run_service(settings) as service:
        document = await add_document(
            service.sessions,
            sender="qn.ubnd-huyen-535",
            date=dt.date(2024, 3, 2),
            text="Nơi nhận:\n- UBND các xã, thị trấn;\n- Lưu: VT.\n",
        )
        client: httpx.AsyncClient = api_client(service)
        auditor = await tokens(service, Role.AUDITOR)
        body = {"rules_yaml": DEFAULT_RULES.read_text(encoding="utf-8"), "since": "2024-01-01"}
        answer = await client.post("/v1/audit/replays", json=body, headers=auditor)
        await client.aclose()
    assert answer.status_code == 200, answer.text
    (change,) = answer.json()["changes"]
    added = {a["id"] for a in change["added"]}
    assert change["document_id"] == document.id and answer.json()["directory"] == "ba_to"
    assert added and all(a.startswith("qn.ubnd-xa") for a in added)


async def test_why_not_for_an_unknown_agency_is_404(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any
) -> None:
    """An agency id the directory does not have is a 404 naming it, not a 200 'not chosen'."""
    doc = await add_document(embedded_service.sessions)
    auditor = await tokens(embedded_service, Role.AUDITOR)
    for ask in ("why", "why-not"):
        answer = await embedded_client.get(
            f"/v1/documents/{doc.id}/recipients/kh.nowhere/{ask}", headers=auditor
        )
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "unknown_agency" and "kh.nowhere" in answer.text
    known = await embedded_client.get(
        f"/v1/documents/{doc.id}/recipients/kh.ubnd-huyen-568/why-not", headers=auditor
    )
    assert known.status_code == 200 and known.json()["received"] is False
    # The directory entry is named by its file, not by where the server keeps it.
    origin = known.json()["agency"]["origin"]
    assert origin.endswith(".yaml") and "/" not in origin, origin
    assert str(Path(__file__).resolve().parents[2]) not in known.text
