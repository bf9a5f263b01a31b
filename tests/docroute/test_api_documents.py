"""Submitting documents: 202 with an id, dry runs, uploads, and resubmissions that return the
first document instead of dispatching twice."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import docx
import httpx
from sqlmodel import func, select

from docroute.api.app import create_app
from docroute.service import Service
from foundation.broker.rabbit import RabbitBroker
from foundation.migrate import migrate
from foundation.models import Delivery, Document, Role

PROVINCE = "kh.ubnd-tinh"
BOARD = "kh.ban-qlda-phat-trien-tinh"  # the sender of seed 000 (911/BC-BQL)


async def _documents(service: Service) -> int:
    async with service.sessions() as session:
        return (await session.exec(select(func.count()).select_from(Document))).one()


async def test_dry_run_lists_unresolved_lines_first_and_stores_nothing(
    service: Service, client: httpx.AsyncClient, tokens: Any, seed_text: Any
) -> None:
    """?dry_run=true returns who would receive the document and why, unresolved lines first,
    and writes nothing."""
    headers = await tokens(service, Role.SENDER, PROVINCE)
    response = await client.post("/v1/documents?dry_run=true", json={"text": seed_text("004")},
                                 headers=headers)
    assert response.status_code == 200
    view = response.json()
    assert view["recipients"] and all(r["reasons"] for r in view["recipients"])
    outcomes = [line["outcome"] for line in view["lines"]]
    first_resolved = next((i for i, o in enumerate(outcomes) if o != "unresolved"), len(outcomes))
    assert "unresolved" not in outcomes[first_resolved:]
    assert await _documents(service) == 0


async def test_same_issuer_number_and_date_returns_the_first_document(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any, seed_text: Any
) -> None:
    """Resubmitting 911/BC-BQL of 22/7/2022 answers 200 with the first id; one dispatch only."""
    headers = await tokens(service, Role.SENDER, BOARD)
    first = await client.post("/v1/documents", json={"text": seed_text("000")}, headers=headers)
    again = await client.post("/v1/documents", json={"text": seed_text("000") + "\n"},
                              headers=headers)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {**first.json(), "duplicate": True}
    rows = await settled(service, first.json()["id"])
    assert [row.agency_id for row in rows] == ["kh.so-noi-vu"]
    assert await _documents(service) == 1


async def test_same_idempotency_key_returns_the_first_document(
    service: Service, client: httpx.AsyncClient, tokens: Any, seed_text: Any
) -> None:
    """Two submissions of an undated document under one Idempotency-Key make one document."""
    headers = {**await tokens(service, Role.SENDER, PROVINCE), "Idempotency-Key": "req-42"}
    first = await client.post("/v1/documents", json={"text": seed_text("004")}, headers=headers)
    again = await client.post("/v1/documents", json={"text": seed_text("004")}, headers=headers)
    assert again.json()["id"] == first.json()["id"]
    assert await _documents(service) == 1


async def test_concurrent_submissions_of_one_document_dispatch_once(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any, seed_text: Any
) -> None:
    """Eight simultaneous submissions of 911/BC-BQL give one id and one delivery per agency."""
    headers = await tokens(service, Role.SENDER, BOARD)
    answers = await asyncio.gather(*(
        client.post("/v1/documents", json={"text": seed_text("000")}, headers=headers)
        for _ in range(8)
    ))
    assert {a.status_code for a in answers} <= {200, 202}
    assert sorted(a.status_code for a in answers).count(202) == 1
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1
    await settled(service, ids.pop())
    async with service.sessions() as session:
        deliveries = (await session.exec(select(func.count()).select_from(Delivery))).one()
    assert (await _documents(service), deliveries) == (1, 1)


async def test_docx_upload_is_read_and_accepted(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any, seed_text: Any
) -> None:
    """A .docx upload has its text extracted and is routed like the same text sent as JSON."""
    document = docx.Document()
    for line in seed_text("000").splitlines():
        document.add_paragraph(line)
    data = io.BytesIO()
    document.save(data)
    headers = await tokens(service, Role.SENDER, BOARD)
    files = {"file": ("911.docx", data.getvalue(), "application/octet-stream")}
    answer = await client.post("/v1/documents", files=files, headers=headers)
    assert answer.status_code == 202, answer.text
    assert answer.json()["number"] == "911/BC-BQL"
    rows = await settled(service, answer.json()["id"])
    assert [row.agency_id for row in rows] == ["kh.so-noi-vu"]


async def test_sender_token_cannot_send_in_another_offices_name(
    service: Service, client: httpx.AsyncClient, tokens: Any, seed_text: Any
) -> None:
    """A sender token of one office naming another office as sender gets 403."""
    headers = await tokens(service, Role.SENDER, BOARD)
    body = {"text": seed_text("004"), "sender": PROVINCE}
    response = await client.post("/v1/documents", json=body, headers=headers)
    assert response.status_code == 403
    assert BOARD in response.json()["detail"]


async def test_health_and_ready_answer(service: Service, client: httpx.AsyncClient) -> None:
    """/health is ok and /ready reports the database and the broker reachable."""
    assert (await client.get("/health")).json() == {"status": "ok"}
    ready = await client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "database": "ok", "broker": "ok"}


async def test_ready_answers_503_naming_an_unreachable_broker(embedded: Any) -> None:
    """With no broker to talk to, /ready says 503 and names the broker; /health stays ok."""
    service = Service(embedded, broker=RabbitBroker("amqp://guest:guest@127.0.0.1:1/", "x", 1))
    await migrate(service.engine)
    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://docroute") as client:
        ready = await client.get("/ready")
        health = await client.get("/health")
    await service.stop()
    assert ready.status_code == 503
    assert ready.json() == {"status": "not ready", "database": "ok", "broker": "unreachable"}
    assert health.status_code == 200


UNDATED = (
    "UBND TỈNH KHÁNH HÒA\nTHÔNG BÁO\nVề việc họp\n\nCuộc họp đã diễn ra ngày 14/10/2025.\n\n"
    "Nơi nhận:\n- Sở Nội vụ;\n- Lưu: VT.\n"
)


async def test_a_document_without_number_or_date_is_warned_about_everywhere(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any
) -> None:
    """No number and no date line: the dry run, the 202 and the document view each say it
    cannot be recognised if sent again, and which date was taken from the text."""
    headers = await tokens(service, Role.SENDER, PROVINCE)
    dry = await client.post("/v1/documents?dry_run=true", json={"text": UNDATED}, headers=headers)
    accepted = await client.post("/v1/documents", json={"text": UNDATED}, headers=headers)
    assert accepted.status_code == 202, accepted.text
    await settled(service, accepted.json()["id"])
    view = (await client.get(accepted.json()["url"], headers=headers)).json()
    for warnings in (dry.json()["warnings"], accepted.json()["warnings"], view["warnings"]):
        assert len(warnings) == 2, warnings
        assert "no number" in warnings[0]
        assert all("cannot be recognised if it is sent again" in w for w in warnings)
        assert "date taken from the text: 14/10/2025" in warnings[1]
    numbered = "Số: 5/TB-UBND\nKhánh Hòa, ngày 2 tháng 3 năm 2026\n" + UNDATED
    clean = await client.post("/v1/documents", json={"text": numbered}, headers=headers)
    assert clean.status_code == 202 and clean.json()["warnings"] == []


async def test_a_block_read_only_as_unread_lines_goes_to_the_clerk_not_refused(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """A Nơi nhận block whose only line the reader set aside as unread is not "no block": the
    preview shows that line as a question for the clerk."""
    text = ("UBND TỈNH KHÁNH HÒA\nSố: 12/UBND-VP\nKhánh Hòa, ngày 05 tháng 3 năm 2026\n\n"
            "Nội dung văn bản.\n\nNơi nhận:\nUBND TỈNH\nKT. CHỦ TỊCH\n")
    headers = await tokens(service, Role.SENDER, PROVINCE)
    response = await client.post("/v1/documents?dry_run=true", json={"text": text},
                                 headers=headers)
    assert response.status_code == 200, response.text
    unresolved = [line for line in response.json()["lines"] if line["outcome"] == "unresolved"]
    assert [line["text"] for line in unresolved] == ["UBND TỈNH"]
