"""Uploads that would freeze or exhaust the process are refused, each naming its limit, and
are read off the event loop: a zip bomb, a PDF of too many pages, a PDF compression bomb."""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

import httpx
import pytest
from pypdf import PdfWriter
from pypdf.errors import LimitReachedError

from docroute.extraction import UploadLimits, read_upload
from docroute.service import Service
from foundation.models import Role

SENDER = "kh.ubnd-tinh"


def _zip_bomb(unpacked: int) -> bytes:
    """A .docx-shaped zip whose one part unpacks to `unpacked` bytes of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * unpacked)
    return buffer.getvalue()


def _pdf_of_pages(pages: int) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=100, height=100)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _pdf_stream_bomb(unpacked: int) -> bytes:
    """A one-page PDF whose content stream inflates to `unpacked` bytes (compressed a
    megabyte at a time, so the test itself stays small)."""
    packer, chunk = zlib.compressobj(9), b" " * 2**20
    stream = b"".join(packer.compress(chunk) for _ in range(unpacked // 2**20)) + packer.flush()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100] /Contents 4 0 R >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(stream) + stream
        + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n"
              % (len(objects) + 1, xref))
    return out.getvalue()


async def _upload(client: httpx.AsyncClient, headers: dict[str, str], name: str,
                  data: bytes) -> httpx.Response:
    return await client.post("/v1/documents", files={"file": (name, data)}, headers=headers)


async def test_bombs_and_huge_pdfs_are_refused_naming_the_limit(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any,
) -> None:
    """A 200 MB zip bomb and a PDF over the page limit each get a 413 whose message names
    the limit; a PDF compression bomb (200 MB inflated) a 4xx, never a 500; the service
    still answers afterwards."""
    headers = await tokens(embedded_service, Role.SENDER, SENDER)
    answer = await _upload(embedded_client, headers, "bomb.docx", _zip_bomb(200 * 2**20))
    assert (answer.status_code, answer.json()["code"]) == (413, "too_large_uncompressed")
    assert "50 MB uncompressed" in answer.json()["detail"]
    answer = await _upload(embedded_client, headers, "long.pdf", _pdf_of_pages(501))
    assert (answer.status_code, answer.json()["code"]) == (413, "too_many_pages")
    assert "limit is 500 pages" in answer.json()["detail"]
    answer = await _upload(embedded_client, headers, "bomb.pdf", _pdf_stream_bomb(200 * 2**20))
    assert answer.status_code in (413, 422), answer.text
    assert (await embedded_client.get("/health")).status_code == 200


async def test_an_upload_over_the_time_limit_is_a_422_naming_it(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any,
) -> None:
    """With a time limit too short for any read, the answer names the time limit, and the
    pool is replaced so that the next upload is read."""
    headers = await tokens(embedded_service, Role.SENDER, SENDER)
    limits = embedded_service.extractor.limits
    embedded_service.extractor.limits = type(limits)(seconds=0.0001)
    answer = await _upload(embedded_client, headers, "long.pdf", _pdf_of_pages(50))
    assert (answer.status_code, answer.json()["code"]) == (422, "too_slow_to_read")
    assert "upload time limit" in answer.json()["detail"]
    embedded_service.extractor.limits = limits
    text = "Số: 1/TB-UBND\nKhánh Hòa, ngày 2 tháng 3 năm 2024\n\nNơi nhận:\n- Sở Nội vụ;\n"
    answer = await _upload(embedded_client, headers, "ok.txt", text.encode())
    assert answer.status_code == 202, answer.text


def test_pypdf_limit_reached_is_a_413_naming_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """pypdf's LimitReachedError (a stream larger than it inflates) is a 413, not a 500."""
    import rules.sources

    def bomb(_data: bytes, _name: str) -> str:
        raise LimitReachedError("Limit reached while decompressing: 75000000 bytes")

    monkeypatch.setattr(rules.sources, "text_from_bytes", bomb)
    kind, code, status, message = read_upload(b"%PDF", "x.txt", UploadLimits())
    assert (kind, code, status) == ("error", "too_large_uncompressed", 413)
    assert "75000000" in message
