"""Agencies report QCVN 102 statuses; wrong codes and transitions get a 4xx and change nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from docroute.service import Service
from foundation.models import Role

SENDER = "kh.ubnd-tinh"


@pytest.fixture
async def delivered(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any, seed_text: Any
) -> tuple[str, str]:
    """(delivery id, agency id) of one delivered delivery of seed 004."""
    headers = await tokens(service, Role.SENDER, SENDER)
    answer = await client.post("/v1/documents", json={"text": seed_text("004")}, headers=headers)
    rows = await settled(service, answer.json()["id"])
    return rows[0].id, rows[0].agency_id


async def _report(
    client: httpx.AsyncClient, headers: dict[str, str], delivery_id: str, **body: Any
) -> httpx.Response:
    return await client.post(f"/v1/deliveries/{delivery_id}/status", json=body, headers=headers)


async def _history(client: httpx.AsyncClient, headers: dict[str, str], delivery_id: str) -> Any:
    return (await client.get(f"/v1/deliveries/{delivery_id}", headers=headers)).json()["history"]


async def test_unknown_status_code_is_refused_naming_the_codes(
    service: Service, client: httpx.AsyncClient, tokens: Any, delivered: tuple[str, str]
) -> None:
    """Code 09 is refused with the list of codes that exist, and no history is added."""
    delivery_id, agency = delivered
    headers = await tokens(service, Role.AGENCY, agency)
    before = await _history(client, headers, delivery_id)
    response = await _report(client, headers, delivery_id, code="09")
    assert response.status_code == 422
    assert "03 (accepted)" in response.json()["detail"]
    assert await _history(client, headers, delivery_id) == before


async def test_rejection_without_reason_is_refused(
    service: Service, client: httpx.AsyncClient, tokens: Any, delivered: tuple[str, str]
) -> None:
    """Status 02 without a reason is refused; with a reason it is recorded."""
    delivery_id, agency = delivered
    headers = await tokens(service, Role.AGENCY, agency)
    refused = await _report(client, headers, delivery_id, code="02")
    assert refused.status_code == 422
    assert "reason" in refused.json()["detail"]
    reason = "Không đúng thẩm quyền"
    accepted = await _report(client, headers, delivery_id, code="02", reason=reason)
    assert accepted.status_code == 200
    assert accepted.json()["receipt"] == "02"


async def test_status_going_backwards_is_refused(
    service: Service, client: httpx.AsyncClient, tokens: Any, delivered: tuple[str, str]
) -> None:
    """After 05 (in progress), 03 (accepted) is refused with 409 and the receipt stays 05."""
    delivery_id, agency = delivered
    headers = await tokens(service, Role.AGENCY, agency)
    assert (await _report(client, headers, delivery_id, code="03")).status_code == 200
    assert (await _report(client, headers, delivery_id, code="05")).status_code == 200
    backwards = await _report(client, headers, delivery_id, code="03")
    assert backwards.status_code == 409
    assert "backwards" in backwards.json()["detail"]
    view = (await client.get(f"/v1/deliveries/{delivery_id}", headers=headers)).json()
    assert view["receipt"] == "05"
    assert [e["value"] for e in view["history"] if e["kind"] == "receipt"] == ["03", "05"]


async def test_forward_statuses_are_appended_to_the_history(
    service: Service, client: httpx.AsyncClient, tokens: Any, delivered: tuple[str, str]
) -> None:
    """01, 03, 04, 06 in order are each recorded once, in order, in the history."""
    delivery_id, agency = delivered
    headers = await tokens(service, Role.AGENCY, agency)
    for code in ("01", "03", "04", "06"):
        assert (await _report(client, headers, delivery_id, code=code)).status_code == 200
    history = await _history(client, headers, delivery_id)
    assert [e["value"] for e in history if e["kind"] == "receipt"] == ["01", "03", "04", "06"]
    assert [e["value"] for e in history if e["kind"] == "state"] == ["pending", "delivered"]


@pytest.mark.parametrize("code", ["04", "05", "06"])
async def test_progress_before_acceptance_is_refused(
    service: Service, client: httpx.AsyncClient, tokens: Any, delivered: tuple[str, str], code: str
) -> None:
    """QCVN 102's order: 04-06 only after 03, whether nothing or only 01 came first."""
    delivery_id, agency = delivered
    headers = await tokens(service, Role.AGENCY, agency)
    early = await _report(client, headers, delivery_id, code=code)
    assert early.status_code == 409 and early.json()["code"] == "not_accepted_yet"
    assert (await _report(client, headers, delivery_id, code="01")).status_code == 200
    still = await _report(client, headers, delivery_id, code=code)
    assert still.status_code == 409 and "03" in still.json()["detail"]
    assert (await _report(client, headers, delivery_id, code="03")).status_code == 200
    assert (await _report(client, headers, delivery_id, code=code)).status_code == 200


async def test_a_rejection_after_arrival_is_not_confirmed_anywhere(
    service: Service, client: httpx.AsyncClient, tokens: Any, delivered: tuple[str, str]
) -> None:
    """01 then 02: the delivery view, the document view and the audit agree it is not
    confirmed (one definition of "confirmed")."""
    delivery_id, agency = delivered
    headers = await tokens(service, Role.AGENCY, agency)
    assert (await _report(client, headers, delivery_id, code="01")).status_code == 200
    view = (await client.get(f"/v1/deliveries/{delivery_id}", headers=headers)).json()
    assert view["confirmed"] is True and view["confirmed_at"] is not None
    rejected = await _report(client, headers, delivery_id, code="02", reason="Sai nơi nhận")
    assert rejected.status_code == 200
    view = (await client.get(f"/v1/deliveries/{delivery_id}", headers=headers)).json()
    assert (view["confirmed"], view["confirmed_at"]) == (False, None)
    auditor = await tokens(service, Role.AUDITOR)
    document = (await client.get(f"/v1/documents/{view['document_id']}", headers=auditor)).json()
    assert agency not in document["summary"]["confirmed"]
    audit = (await client.get(f"/v1/audit/documents/{view['document_id']}", headers=auditor))
    assert agency not in audit.json()["confirmed"]
