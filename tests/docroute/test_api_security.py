"""Bearer tokens and roles: nobody reads or changes what is not theirs."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from docroute.service import Service
from foundation.models import Role

SENDER = "kh.ubnd-tinh"


@pytest.fixture
async def two_deliveries(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any, seed_text: Any
) -> tuple[str, list[tuple[str, str]]]:
    """(document id, [(delivery id, agency id), ...]) for two agencies of seed 004."""
    headers = await tokens(service, Role.SENDER, SENDER)
    answer = await client.post("/v1/documents", json={"text": seed_text("004")}, headers=headers)
    rows = await settled(service, answer.json()["id"])
    return answer.json()["id"], [(row.id, row.agency_id) for row in rows[:2]]


async def test_agency_cannot_read_another_agencys_delivery(
    service: Service, client: httpx.AsyncClient, tokens: Any,
    two_deliveries: tuple[str, list[tuple[str, str]]],
) -> None:
    """Agency A asking for B's delivery gets 403, and A's inbox does not list it."""
    _, [(_, agency_a), (delivery_b, _)] = two_deliveries
    headers = await tokens(service, Role.AGENCY, agency_a)
    response = await client.get(f"/v1/deliveries/{delivery_b}", headers=headers)
    assert response.status_code == 403
    inbox = (await client.get("/v1/inbox", headers=headers)).json()["deliveries"]
    assert delivery_b not in [item["id"] for item in inbox]


async def test_agency_cannot_update_another_agencys_delivery(
    service: Service, client: httpx.AsyncClient, tokens: Any,
    two_deliveries: tuple[str, list[tuple[str, str]]],
) -> None:
    """Agency A reporting a status on B's delivery gets 403 and B's receipt stays empty."""
    _, [(_, agency_a), (delivery_b, agency_b)] = two_deliveries
    headers = await tokens(service, Role.AGENCY, agency_a)
    response = await client.post(f"/v1/deliveries/{delivery_b}/status", json={"code": "03"},
                                 headers=headers)
    assert response.status_code == 403
    owner = await tokens(service, Role.AGENCY, agency_b)
    view = (await client.get(f"/v1/deliveries/{delivery_b}", headers=owner)).json()
    assert view["receipt"] is None


async def test_auditor_reads_but_cannot_write(
    service: Service, client: httpx.AsyncClient, tokens: Any, seed_text: Any,
    two_deliveries: tuple[str, list[tuple[str, str]]],
) -> None:
    """An auditor reads documents and deliveries, and gets 403 on submit and on status."""
    document_id, [(delivery_id, _), _] = two_deliveries
    headers = await tokens(service, Role.AUDITOR)
    assert (await client.get(f"/v1/documents/{document_id}", headers=headers)).status_code == 200
    assert (await client.get(f"/v1/deliveries/{delivery_id}", headers=headers)).status_code == 200
    submit = await client.post("/v1/documents", json={"text": seed_text("004")}, headers=headers)
    assert submit.status_code == 403
    status = await client.post(f"/v1/deliveries/{delivery_id}/status", json={"code": "03"},
                               headers=headers)
    assert status.status_code == 403


@pytest.mark.parametrize("header", [None, "Bearer ", "Bearer dr_not-a-token", "Basic abc"])
async def test_missing_or_wrong_token_gets_401(
    service: Service, client: httpx.AsyncClient, header: str | None
) -> None:
    """Without a valid bearer token every endpoint but health answers 401."""
    headers = {"Authorization": header} if header else {}
    for method, url in [("GET", "/v1/inbox"), ("POST", "/v1/documents"),
                        ("GET", "/v1/documents/x"), ("POST", "/v1/deliveries/x/status")]:
        response = await client.request(method, url, headers=headers, json={"text": "x"})
        assert response.status_code == 401, (method, url)
        assert response.headers["www-authenticate"] == "Bearer"
    assert (await client.get("/health")).status_code == 200


async def test_sender_cannot_read_another_offices_document(
    service: Service, client: httpx.AsyncClient, tokens: Any,
    two_deliveries: tuple[str, list[tuple[str, str]]],
) -> None:
    """A sending office reads its own documents, and gets 403 on another office's."""
    document_id, _ = two_deliveries
    own = await tokens(service, Role.SENDER, SENDER)
    assert (await client.get(f"/v1/documents/{document_id}", headers=own)).status_code == 200
    other = await tokens(service, Role.SENDER, "kh.so-noi-vu")
    response = await client.get(f"/v1/documents/{document_id}", headers=other)
    assert response.status_code == 403
    assert "another office" in response.json()["detail"]
