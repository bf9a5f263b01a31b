"""Which text a packet is routed by: the main attachment's, with ToPlaces when it has no Nơi
nhận, or the packet's own fields."""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import docx

from docroute.edxml_intake import named_agencies, packet_submission, packet_text
from edxml import Attachment, DocumentPacket, Organization
from router import recipients

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
SENDER = Organization("000.01.00.H99", "Sở Nội vụ tỉnh Khánh Hòa")
FILES = Path(__file__).parents[1] / "data" / "files"
TO = (Organization("000.03.00.H99", "Sở Tài chính tỉnh Khánh Hòa"),)


def _docx(*paragraphs: str) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _packet(*attachments: Attachment, places: tuple[str, ...] = ("- Sở Tài chính;",),
            priority: int = 0) -> DocumentPacket:
    return DocumentPacket(sender=SENDER, to=TO, number="9", notation="SNV-VP",
                          date=dt.date(2025, 3, 4), subject="Về việc thử", to_places=places,
                          attachments=attachments, priority=priority)


def test_the_main_attachment_with_its_own_noi_nhan_is_the_text() -> None:
    body = _docx("Số: 9/SNV-VP", "Khánh Hòa, ngày 4 tháng 3 năm 2025", "Nội dung.",
                 "Nơi nhận:", "- Sở Y tế;", "- Lưu: VT.")
    read = packet_text(_packet(Attachment("9.docx", DOCX, body)))
    assert read.source == "attachment 9.docx"
    assert recipients.read(read.text).noi_nhan == ["- Sở Y tế;", "- Lưu: VT."]


def test_an_attachment_without_noi_nhan_takes_the_packet_toplaces() -> None:
    body = _docx("Số: 9/SNV-VP", "Nội dung không có nơi nhận.")
    read = packet_text(_packet(Attachment("9.docx", DOCX, body)))
    assert read.source == "attachment 9.docx + ToPlaces"
    assert recipients.read(read.text).noi_nhan == ["- Sở Tài chính;"]


def test_an_unreadable_attachment_is_noted_and_the_fields_are_used() -> None:
    read = packet_text(_packet(Attachment("9.pdf", "application/pdf", b"%PDF-1.4 broken")))
    assert read.source == "packet fields + ToPlaces"
    assert read.notes and "9.pdf" in read.notes[0]
    assert recipients.read(read.text).noi_nhan == ["- Sở Tài chính;"]


def test_the_submission_carries_the_fields_the_packet_gives() -> None:
    attachment = Attachment("9.docx", DOCX, _docx("Nơi nhận:", "- Sở Y tế;"))
    intake = packet_submission(_packet(attachment, priority=3), recipients.shipped())
    assert intake.submission.sender == "kh.so-noi-vu"
    assert (intake.submission.number, intake.submission.date) == ("9/SNV-VP", dt.date(2025, 3, 4))
    assert intake.fields.urgency == "hoa_toc"
    assert intake.fields.original is not None and intake.fields.original.name == "9.docx"
    assert intake.fields.packet["to"][0]["agency_id"] == "kh.so-tai-chinh"


def test_a_code_written_in_lower_case_matches_its_agency() -> None:
    """A mã định danh is upper case (notes §7.2): '000.00.00.g11' is Bộ Quốc phòng's code, not
    an unknown receiver; a directory id, lower case by design, still matches as itself."""
    packet = DocumentPacket(sender=Organization("kh.so-noi-vu"),
                            to=(Organization("000.00.00.g11"), Organization("kh.so-y-te")),
                            date=dt.date(2025, 3, 4), to_places=("- Như trên;",))
    sender, to = named_agencies(packet, recipients.shipped())
    assert sender.agency_id == "kh.so-noi-vu"
    assert [(o["agency_id"], o["matched_by"]) for o in to] == [("tw.bo-quoc-phong", "code"),
                                                              ("kh.so-y-te", "id")]


def test_a_legacy_word_attachment_is_the_text() -> None:
    """A Word 97-2003 .doc attachment is read (through antiword), not passed over for the
    packet's fields: its own Nơi nhận is the list."""
    assert shutil.which("antiword"), "antiword is missing: .ci/run installs it"
    data = (FILES / "nd30_legacy.doc").read_bytes()
    read = packet_text(_packet(Attachment("30.doc", "application/msword", data)))
    assert read.source == "attachment 30.doc"
    noi_nhan = recipients.read(read.text).noi_nhan
    assert noi_nhan[0] == "Như trên;" and noi_nhan[-1] == "Lưu: VT, VP."
