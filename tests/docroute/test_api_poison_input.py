"""Input that used to be accepted and then never routed, or a 500 on PostgreSQL only: each
gets the same 4xx on both stacks, naming what to fix, and nothing is stored."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from docroute.checks import MAX_BLOCK_ITEMS, MAX_BLOCK_LINES, MAX_LINE_CHARS
from docroute.service import Service
from foundation.database import transaction
from foundation.models import Document, OutboxMessage, Role
from foundation.outbox import add_message
from router.recipients import UnroutableError

SENDER = "kh.ubnd-tinh"
HEAD = "Số: 12/TB-UBND\nKhánh Hòa, ngày 2 tháng 3 năm 2024\nTHÔNG BÁO\nVề việc thử\n\nNội dung.\n\n"


def _document(noi_nhan: str, head: str = HEAD) -> str:
    return f"{head}Nơi nhận:\n{noi_nhan}- Lưu: VT.\n"


async def _stored(service: Service) -> int:
    async with service.sessions() as session:
        return int((await session.exec(select(func.count()).select_from(Document))).one())


POISON = {
    "year 0000": (
        _document("- Sở Nội vụ;\n", HEAD.replace("năm 2024", "năm 0000")), "invalid_date",
        "line 2",
    ),
    "31 February": (
        _document("- Sở Nội vụ;\n", HEAD.replace("ngày 2 tháng 3", "ngày 31 tháng 2")),
        "invalid_date", "line 2",
    ),
    "a line of a million characters": (
        _document("- " + "Sở " * 400_000 + ";\n"), "recipient_line_too_long",
        f"limit is {MAX_LINE_CHARS} characters",
    ),
    "too many lines": (
        _document("".join(f"- Sở Nội vụ {n};\n" for n in range(MAX_BLOCK_LINES + 5))),
        "recipient_block_too_long", f"limit is {MAX_BLOCK_LINES} lines",
    ),
    "too many items": (
        _document("".join("- " + ", ".join(["Sở Nội vụ"] * 100) + ";\n" for _ in range(20))),
        "too_many_recipients", f"limit is {MAX_BLOCK_ITEMS} items",
    ),
    "a NUL in the text": (
        _document("- Sở Nội\x00 vụ;\n"), "nul_character", "Line 9",
    ),
    "a Số of 150 characters": (
        _document("- Sở Nội vụ;\n", HEAD.replace("12/TB-UBND", "12/TB-" + "X" * 150)),
        "too_long", "limit is 100",
    ),
}


@pytest.mark.parametrize("case", list(POISON))
async def test_poison_document_gets_the_same_422_on_both_stacks(
    case: str, service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """Each poison input is refused at submission with a 422 whose message names the line
    or the cap, on SQLite and on PostgreSQL alike, and nothing is stored."""
    text, code, words = POISON[case]
    headers = await tokens(service, Role.SENDER, SENDER)
    for dry_run in ("false", "true"):
        answer = await client.post(f"/v1/documents?dry_run={dry_run}", json={"text": text},
                                   headers=headers)
        assert (answer.status_code, answer.json()["code"]) == (422, code), answer.text[:300]
        assert words in answer.json()["detail"]
    assert await _stored(service) == 0


async def test_nul_in_number_field_or_query_is_the_same_422_on_both_stacks(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """A NUL in the `number` field, or in a query parameter, is a 422 on both stacks (it was
    a 500 on PostgreSQL only)."""
    headers = await tokens(service, Role.SENDER, SENDER)
    body = {"text": _document("- Sở Nội vụ;\n"), "number": "1/\x00TB"}
    answer = await client.post("/v1/documents", json=body, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (422, "nul_character")
    auditor = await tokens(service, Role.AUDITOR)
    missed = await client.get("/v1/audit/missed?agency=%00", headers=auditor)
    assert (missed.status_code, missed.json()["code"]) == (422, "nul_character")
    assert await _stored(service) == 0


async def test_jsonx_is_not_taken_for_json(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """`Content-Type: application/jsonx` is refused with 415; `application/json;
    charset=utf-8` is accepted."""
    headers = await tokens(service, Role.SENDER, SENDER)
    body = '{"text": "' + _document("- Sở Nội vụ;\\n").replace("\n", "\\n") + '"}'
    for media, status in (("application/jsonx", 415), ("application/json; charset=utf-8", 202)):
        answer = await client.post("/v1/documents", content=body.encode(),
                                   headers={**headers, "Content-Type": media})
        assert answer.status_code == status, answer.text


async def test_a_document_the_engine_cannot_route_keeps_the_reason(
    service: Service, monkeypatch: pytest.MonkeyPatch, eventually: Any,
) -> None:
    """A document stored before the checks existed, on which the rules engine fails: the
    router records why on the document (for auditors) and leaves it unrouted, instead of
    only dead-lettering it."""

    def failing(*_args: Any, **_kwargs: Any) -> Any:
        raise UnroutableError("the rules engine could not route this document: ValueError: "
                              "year 0 is out of range")

    monkeypatch.setattr(type(service.routing), "expand", failing)
    document_id = str(uuid.uuid4())
    async with transaction(service.sessions) as session:
        session.add(Document(id=document_id, text=_document("- Sở Nội vụ;\n")))
        add_message(session, "documents", {"document_id": document_id})
    service.relay.nudge()

    async def recorded() -> bool:
        async with service.sessions() as session:
            row = await session.get(Document, document_id)
            return row is not None and row.routing_attempts >= 1

    await eventually(recorded, "the routing failure to be recorded")
    async with service.sessions() as session:
        row = await session.get(Document, document_id)
        outbox = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    assert row is not None and row.routed_at is None
    assert "year 0 is out of range" in (row.routing_error or "")
    assert outbox == 1  # only the routing message: no delivery was planned
