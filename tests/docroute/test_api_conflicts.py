"""A changed resubmission is a 409 that tells the clerk what to do, never a silent duplicate."""

from __future__ import annotations

from typing import Any

import httpx

from docroute.service import Service
from foundation.models import Role

TEXT = ("Số: 31/UBND-VP\nKhánh Hòa, ngày 4 tháng 3 năm 2025\nCÔNG VĂN\nVề việc thử\n\n"
        "Nội dung.\n\nNơi nhận:\n- Sở Nội vụ;\n{extra}- Lưu: VT.\n")


async def test_same_number_and_date_with_another_recipient_is_a_409(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    headers = await tokens(service, Role.SENDER, "kh.ubnd-tinh")
    first = await client.post("/v1/documents", json={"text": TEXT.format(extra="")},
                              headers=headers)
    assert first.status_code == 202
    same = await client.post("/v1/documents", json={"text": TEXT.format(extra="") + "\n\n"},
                             headers=headers)
    assert same.status_code == 200 and same.json()["duplicate"] is True
    changed = await client.post("/v1/documents",
                                json={"text": TEXT.format(extra="- Sở Tài chính;\n")},
                                headers=headers)
    assert changed.status_code == 409
    body = changed.json()
    assert body["code"] == "changed_resubmission"
    assert first.json()["id"] in body["detail"] and "update" in body["detail"]


async def test_an_idempotency_key_reused_with_another_body_is_a_409(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    headers = {**await tokens(service, Role.SENDER, "kh.ubnd-tinh"), "Idempotency-Key": "k-1"}
    untitled = "Kính gửi: Sở Nội vụ\n\nNội dung {n}.\n"
    first = await client.post("/v1/documents", json={"text": untitled.format(n=1)},
                              headers=headers)
    again = await client.post("/v1/documents", json={"text": untitled.format(n=1)},
                              headers=headers)
    other = await client.post("/v1/documents", json={"text": untitled.format(n=2)},
                              headers=headers)
    assert (first.status_code, again.status_code, other.status_code) == (202, 200, 409)
    assert again.json()["id"] == first.json()["id"]
    assert other.json()["code"] == "idempotency_key_reused"
    assert "k-1" in other.json()["detail"]


async def test_two_offices_may_issue_the_same_number_on_the_same_day(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """'01/QĐ-UBND' of 4 March is issued by every commune that makes a decision that day: the
    second commune's document is its own, not a 'changed resubmission' of the first's (the
    number's 'UBND' does not say which UBND)."""
    text = ("Số: 01/QĐ-UBND\nKhánh Hòa, ngày 4 tháng 3 năm 2025\nQUYẾT ĐỊNH\nVề việc thử\n\n"
            "Nội dung {n}.\n\nNơi nhận:\n- Sở Nội vụ;\n- Lưu: VT.\n")
    ids = []
    for n, commune in enumerate(("kh.ubnd-xa-22342", "kh.ubnd-xa-22345")):
        headers = await tokens(service, Role.SENDER, commune)
        response = await client.post("/v1/documents", json={"text": text.format(n=n)},
                                     headers=headers)
        assert response.status_code == 202, response.text
        ids.append(response.json()["id"])
    assert ids[0] != ids[1]
