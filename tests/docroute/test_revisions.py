"""Recall, update and replace a sent document, from the API and from packets, with each
recipient's answer tracked."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx

from docroute.service import Service
from edxml import Business, BusinessType, DocumentPacket, Replacement, write_document
from foundation.models import Role
from tests.docroute.test_api_edxml import FINANCE, HEALTH, HOME_AFFAIRS, XML

SENDER = "kh.ubnd-tinh"
TEXT = ("Số: 41/UBND-VP\nKhánh Hòa, ngày 4 tháng 3 năm 2025\nCÔNG VĂN\nVề việc thử\n\n"
        "Nội dung {n}.\n\nNơi nhận:\n{lines}- Lưu: VT.\n")


def text(*lines: str, n: int = 1) -> str:
    """The test công văn addressed to these Nơi nhận lines."""
    return TEXT.format(n=n, lines="".join(f"- {line};\n" for line in lines))


async def _sent(service: Service, client: httpx.AsyncClient, headers: dict[str, str],
                settled: Any, body: str) -> str:
    response = await client.post("/v1/documents", json={"text": body}, headers=headers)
    assert response.status_code == 202, response.text
    await settled(service, response.json()["id"])
    return str(response.json()["id"])


async def _view(service: Service, client: httpx.AsyncClient, tokens: Any,
                document: str) -> dict[str, Any]:
    auditor = await tokens(service, Role.AUDITOR)
    view: dict[str, Any] = (await client.get(f"/v1/documents/{document}", headers=auditor)).json()
    return view


async def test_a_recall_asks_each_recipient_and_tracks_its_answer(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    headers = await tokens(service, Role.SENDER, SENDER)
    document = await _sent(service, client, headers, settled, text("Sở Nội vụ", "Sở Tài chính"))
    view = await _view(service, client, tokens, document)
    ids = {d["agency_id"]: d["id"] for d in view["deliveries"]}
    finance = await tokens(service, Role.AGENCY, "kh.so-tai-chinh")
    early = await client.post(f"/v1/deliveries/{ids['kh.so-tai-chinh']}/status",
                              json={"code": "15"}, headers=finance)
    assert early.status_code == 409 and early.json()["code"] == "nothing_asked"
    asked = await client.post(f"/v1/documents/{document}/recall",
                              json={"reason": "Sai số liệu"}, headers=headers)
    assert asked.status_code == 200, asked.text
    assert sorted(asked.json()["asked"]) == ["kh.so-noi-vu", "kh.so-tai-chinh"]
    home = await tokens(service, Role.AGENCY, "kh.so-noi-vu")
    for agency, token, code in (("kh.so-tai-chinh", finance, "15"), ("kh.so-noi-vu", home, "16")):
        answer = await client.post(f"/v1/deliveries/{ids[agency]}/status",
                                   json={"code": code}, headers=token)
        assert answer.status_code == 200 and answer.json()["recall"] == code
    view = await _view(service, client, tokens, document)
    assert view["recalled_at"] is not None
    assert view["summary"]["recall"] == {"kh.so-noi-vu": "16", "kh.so-tai-chinh": "15"}


async def test_an_update_delivers_to_added_agencies_and_asks_removed_ones_back(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    headers = await tokens(service, Role.SENDER, SENDER)
    document = await _sent(service, client, headers, settled, text("Sở Nội vụ", "Sở Tài chính"))
    answer = await client.post(f"/v1/documents/{document}/update",
                               json={"text": text("Sở Nội vụ", "Sở Y tế", n=2)}, headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.json()["added"] == ["kh.so-y-te"]
    assert answer.json()["asked_back"] == ["kh.so-tai-chinh"]
    assert answer.json()["updated"] == ["kh.so-noi-vu"]
    rows = await settled(service, document)
    assert sorted(r.agency_id for r in rows) == ["kh.so-noi-vu", "kh.so-tai-chinh", "kh.so-y-te"]
    view = await _view(service, client, tokens, document)
    assert view["summary"]["recall"] == {"kh.so-tai-chinh": "13"}
    assert "kh.so-y-te" not in view["summary"]["failed"]


async def test_a_replacement_is_linked_to_the_document_it_replaces(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    headers = await tokens(service, Role.SENDER, SENDER)
    old = await _sent(service, client, headers, settled, text("Sở Nội vụ"))
    new_text = text("Sở Nội vụ").replace("41/UBND-VP", "42/UBND-VP")
    answer = await client.post(f"/v1/documents/{old}/replace", json={"text": new_text},
                               headers=headers)
    assert answer.status_code == 202, answer.text
    new = answer.json()["id"]
    await settled(service, new)
    assert (await _view(service, client, tokens, new))["replaces"] == old
    other = await tokens(service, Role.SENDER, "kh.so-y-te")
    refused = await client.post(f"/v1/documents/{old}/recall", json={"reason": "x"},
                                headers=other)
    assert refused.status_code == 403


def _packet(kind: BusinessType, number: str, to: tuple[Any, ...], places: tuple[str, ...],
            **business: Any) -> bytes:
    return write_document(DocumentPacket(
        sender=HOME_AFFAIRS, to=to, document_id=f"000.01.00.H99,2025/03/04,{number}/SNV-VP",
        number=number, notation="SNV-VP", date=dt.date(2025, 3, 4), subject="Về việc thử",
        to_places=places, business=Business(kind, reason=f"loại {int(kind)}", **business),
    ))


async def test_recall_update_and_replace_packets(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    headers = {**await tokens(service, Role.SENDER, "kh.so-noi-vu"), **XML}
    new = await client.post("/v1/edxml", headers=headers, content=_packet(
        BusinessType.NEW, "7", (FINANCE,), ("- Sở Tài chính;",)))
    assert new.status_code == 202, new.text
    document = new.json()["id"]
    await settled(service, document)
    update = await client.post("/v1/edxml", headers=headers, content=_packet(
        BusinessType.UPDATE, "7", (FINANCE, HEALTH), ("- Sở Tài chính;", "- Sở Y tế;"),
        content_changed=False, receivers_changed=True, receivers=(("000.12.00.H99", 1),)))
    assert update.status_code == 200, update.text
    assert update.json()["action"] == "update" and update.json()["added"] == ["kh.so-y-te"]
    rows = await settled(service, document)
    assert sorted(r.agency_id for r in rows) == ["kh.so-tai-chinh", "kh.so-y-te"]
    recall = await client.post("/v1/edxml", headers=headers, content=_packet(
        BusinessType.RECALL, "7", (FINANCE, HEALTH), ()))
    assert recall.json()["action"] == "recall"
    view = await _view(service, client, tokens, document)
    assert view["summary"]["recall"] == {"kh.so-tai-chinh": "13", "kh.so-y-te": "13"}
    replace = await client.post("/v1/edxml", headers=headers, content=_packet(
        BusinessType.REPLACE, "8", (FINANCE,), ("- Sở Tài chính;",),
        replaces=(Replacement("000.01.00.H99,2025/03/04,7/SNV-VP", ("000.03.00.H99",)),)))
    assert replace.status_code == 202, replace.text
    assert replace.json()["action"] == "replace"
    await settled(service, replace.json()["id"])
    assert (await _view(service, client, tokens, replace.json()["id"]))["replaces"] == document
    unknown = await client.post("/v1/edxml", headers=headers, content=_packet(
        BusinessType.RECALL, "99", (FINANCE,), ()))
    assert unknown.status_code == 404 and "DocumentId" in unknown.json()["detail"]
