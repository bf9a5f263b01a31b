"""Bad input gets a 4xx with a message a clerk can act on, and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from docroute.service import Service
from foundation.models import Document, OutboxMessage, Role

SENDER = "kh.ubnd-tinh"


async def _count_documents(service: Service) -> tuple[int, int]:
    async with service.sessions() as session:
        documents = (await session.exec(select(func.count()).select_from(Document))).one()
        outbox = (await session.exec(select(func.count()).select_from(OutboxMessage))).one()
    return documents, outbox


async def _refused(
    service: Service, response: httpx.Response, status: int, words: str
) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert words in body["detail"]
    assert await _count_documents(service) == (0, 0)


async def test_empty_text_is_refused_with_422(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """A document with only whitespace is refused and nothing is stored."""
    headers = await tokens(service, Role.SENDER, SENDER)
    response = await client.post("/v1/documents", json={"text": "  \n "}, headers=headers)
    await _refused(service, response, 422, "no text")


async def test_text_without_recipient_block_is_refused_with_422(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """A text with neither Nơi nhận nor Kính gửi is refused: nobody could receive it."""
    headers = await tokens(service, Role.SENDER, SENDER)
    body = {"text": "THÔNG BÁO\n\nMột nội dung không có khối nơi nhận.\n"}
    response = await client.post("/v1/documents", json=body, headers=headers)
    await _refused(service, response, 422, "Nơi nhận")


async def test_upload_over_the_limit_is_refused_with_413(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """A 30 MB upload is refused before it is read, with the limit in the message."""
    headers = await tokens(service, Role.SENDER, SENDER)
    files = {"file": ("big.txt", b"a" * (30 * 1024 * 1024), "text/plain")}
    response = await client.post("/v1/documents", files=files, headers=headers)
    await _refused(service, response, 413, "10 MB")


async def test_upload_of_invalid_utf8_is_refused_with_422(
    service: Service, client: httpx.AsyncClient, tokens: Any, seed_text: Any
) -> None:
    """A .txt upload that is not UTF-8 is refused with a message to re-save it as UTF-8."""
    headers = await tokens(service, Role.SENDER, SENDER)
    data = seed_text("004").encode("utf-16")
    files = {"file": ("cv.txt", data, "text/plain")}
    response = await client.post("/v1/documents", files=files, headers=headers)
    await _refused(service, response, 422, "UTF-8")


async def test_json_body_of_invalid_utf8_is_refused_with_422(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """A JSON body with bytes that are not UTF-8 is refused, never a 500."""
    headers = {**await tokens(service, Role.SENDER, SENDER), "content-type": "application/json"}
    response = await client.post("/v1/documents", content=b'{"text": "\xff\xfe"}', headers=headers)
    await _refused(service, response, 422, "UTF-8")


async def test_unsupported_file_type_is_refused_with_415(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """An upload that is not .txt, .docx or .pdf is refused naming the accepted types."""
    headers = await tokens(service, Role.SENDER, SENDER)
    files = {"file": ("scan.png", b"\x89PNG", "image/png")}
    response = await client.post("/v1/documents", files=files, headers=headers)
    await _refused(service, response, 415, ".docx")


@pytest.mark.parametrize("body", [{"txt": "x"}, {"text": 5}, [1, 2]])
async def test_malformed_json_is_refused_with_422(
    service: Service, client: httpx.AsyncClient, tokens: Any, body: Any
) -> None:
    """A JSON body without a text string is refused naming the field."""
    headers = await tokens(service, Role.SENDER, SENDER)
    response = await client.post("/v1/documents", json=body, headers=headers)
    await _refused(service, response, 422, "text")


async def test_numbers_past_what_the_database_stores_are_a_422_on_every_stack(
    service: Service, client: httpx.AsyncClient, tokens: Any
) -> None:
    """Found by the fuzz (tests/docroute/test_api_fuzz.py): an offset of the missed report or
    a token id past 64 bits was a 500 on SQLite ("Python int too large to convert to SQLite
    INTEGER"); now both stacks refuse it before the database, naming the parameter."""
    admin = await tokens(service, Role.ADMIN)
    huge = 286863705080398809661440
    for method, url in (("GET", f"/v1/audit/missed?offset={huge}"),
                        ("POST", f"/v1/admin/tokens/{huge}/revoke"),
                        ("POST", f"/v1/admin/tokens/{2**31}/revoke")):
        response = await client.request(method, url, headers=admin)
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "invalid_request"
        assert "less than or equal to 2147483647" in response.json()["detail"]
    still = await client.get("/v1/audit/missed?offset=2147483647", headers=admin)
    assert still.status_code == 200 and still.json() == []
