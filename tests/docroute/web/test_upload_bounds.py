"""The sending page reads an uploaded file as the API does: in the bounded pool, so that a
zip bomb is a 413 naming the limit (not read whole inside the web process), and a .doc is read."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from docroute.service import Service
from foundation.models import Role
from tests.docroute.web.in_process import csrf_of, signed_in

FILES = Path(__file__).resolve().parents[2] / "data" / "files"


def _zip_bomb(unpacked: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"\0" * unpacked)
    return buffer.getvalue()


async def test_the_sending_page_reads_uploads_within_the_limits(
    embedded_service: Service,
) -> None:
    """A .docx that unpacks to 200 MB is a 413 page naming the limit; a legacy .doc is read
    into the preview."""
    async with signed_in(embedded_service, "gui-tep", Role.SENDER, "kh.ubnd-tinh") as sender:
        token = csrf_of((await sender.get("/gui")).text)
        answer = await sender.post(
            "/gui/xem-truoc", data={"csrf": token},
            files={"file": ("bom.docx", _zip_bomb(200 * 2**20), "application/octet-stream")})
        assert answer.status_code == 413, answer.text[:300]
        assert "50 MB uncompressed" in answer.text
        answer = await sender.post(
            "/gui/xem-truoc", data={"csrf": token},
            files={"file": ("cu.doc", (FILES / "nd30_legacy.doc").read_bytes(),
                            "application/msword")})
        assert answer.status_code == 200, answer.text[:300]
        assert "Sở Tư pháp" in answer.text
