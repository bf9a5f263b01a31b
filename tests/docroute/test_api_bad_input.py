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
