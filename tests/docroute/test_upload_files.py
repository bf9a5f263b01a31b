"""Uploaded files are read as `docroute expand` reads them: a legacy .doc too, a file whose
extension lies by its content, and an empty or locked file gets a 4xx naming the file."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import httpx

from docroute.service import Service
from foundation.models import Role

SENDER = "kh.ubnd-tinh"
FILES = Path(__file__).resolve().parents[1] / "data" / "files"


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], name: str,
                  data: bytes) -> httpx.Response:
    return await client.post("/v1/documents", files={"file": (name, data)}, headers=headers)


async def test_a_legacy_doc_upload_is_read(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any,
) -> None:
    """A Word 97-2003 .doc, which the API lists as accepted, is read (with antiword), not
    decoded as UTF-8 text and refused."""
    headers = await tokens(embedded_service, Role.SENDER, SENDER)
    data = (FILES / "nd30_legacy.doc").read_bytes()
    answer = await _upload(embedded_client, headers, "cong-van.doc", data)
    assert answer.status_code == 202, answer.text


async def test_renamed_empty_and_locked_uploads(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any,
) -> None:
    """A PDF uploaded as .txt is read as the PDF it is (through the bounded pool); an empty
    .docx and a password-protected PDF are 422s that say so and name the file."""
    from pypdf import PdfReader, PdfWriter

    headers = await tokens(embedded_service, Role.SENDER, SENDER)
    pdf = (FILES / "nd30_two_columns.pdf").read_bytes()
    answer = await _upload(embedded_client, headers, "cong-van.txt", pdf)
    assert answer.status_code == 202, answer.text
    answer = await _upload(embedded_client, headers, "trong.docx", b"")
    assert (answer.status_code, answer.json()["code"]) == (422, "unreadable_file")
    assert "trong.docx: the file is empty" in answer.json()["detail"]
    writer = PdfWriter(clone_from=PdfReader(FILES / "nd30_two_columns.pdf"))
    writer.encrypt("secret", algorithm="AES-256")
    locked = io.BytesIO()
    writer.write(locked)
    answer = await _upload(embedded_client, headers, "khoa.pdf", locked.getvalue())
    assert (answer.status_code, answer.json()["code"]) == (422, "unreadable_file")
    assert "khoa.pdf: the file is password-protected" in answer.json()["detail"]
