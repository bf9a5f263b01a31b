"""Reading document and status packets in each shape the notes describe."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest

from edxml import BusinessType, DocumentPacket, PacketError, StatusPacket, read_packet
from tests.edxml.conftest import packet_bytes

ICT = dt.timezone(dt.timedelta(hours=7))


def _document(data: bytes) -> DocumentPacket:
    packet = read_packet(data)
    assert isinstance(packet, DocumentPacket)
    return packet


def test_sdk_shape_reads_every_field(sdk_shape: bytes) -> None:
    packet = _document(sdk_shape)
    assert packet.sender.organ_id == "000.00.00.H99"
    assert packet.sender.in_charge == "Ủy ban nhân dân tỉnh Khánh Hòa"
    assert [o.organ_id for o in packet.to] == ["000.01.00.H99", "000.03.00.H99"]
    assert packet.document_id == "000.00.00.H99,2025/03/04,15/UBND-VP"
    assert (packet.number, packet.notation, packet.code) == ("15", "UBND-VP", "15/UBND-VP")
    assert (packet.date, packet.due_date) == (dt.date(2025, 3, 4), dt.date(2025, 3, 20))
    assert (packet.place, packet.type_code, packet.type_name) == ("Khánh Hòa", 1, "Công văn")
    assert packet.signer.competence == "KT. CHỦ TỊCH"
    assert packet.signer.full_name == "Nguyễn Văn Thử"
    assert (packet.priority, packet.steering_type, packet.page_amount) == (1, 0, 2)
    assert packet.to_places == ("- Các sở, ban, ngành;", "- Lưu: VT, VP.")
    assert packet.business.doc_type == BusinessType.NEW
    assert packet.business.staff is not None and packet.business.staff.staff == "Văn thư"
    assert packet.traces[0].timestamp == dt.datetime(2025, 3, 4, 9, 15, tzinfo=ICT)


def test_attachments_decoded_and_the_sdk_zip_undone(sdk_shape: bytes) -> None:
    pdf, sheet = _document(sdk_shape).attachments
    assert (pdf.name, pdf.content_type) == ("15-UBND-VP.pdf", "application/pdf")
    assert pdf.data.startswith(b"%PDF-1.4") and not pdf.unzipped
    # Declared application/zip under an .xlsx name: the single entry is the file.
    assert sheet.name == "Phụ lục 1.xlsx" and sheet.unzipped
    assert sheet.content_type.endswith("spreadsheetml.sheet")
    assert sheet.data == b"bang tong hop (du lieu thu)\n" * 20


def test_unprefixed_reordered_with_empty_elements_and_day_first_dates() -> None:
    packet = _document(packet_bytes("unprefixed_reordered.edxml"))
    assert packet.sender.organ_id == "000.01.00.H99"
    assert packet.number == "05"  # a string: the leading zero stays
    assert packet.date == dt.date(2022, 7, 14)
    assert packet.due_date is None and packet.content is None and packet.appendixes == ()
    assert packet.type_code == 18
    assert packet.traces[0].timestamp == dt.datetime(2022, 7, 14, 16, 40, 5, tzinfo=ICT)
    # The bare id in Attachment/ContentId links to `cid:<id>` in the manifest.
    (attachment,) = packet.attachments
    assert (attachment.name, attachment.content_type) == ("05-SNV-CCHC.pdf", "application/pdf")


@pytest.mark.parametrize(
    "written", ["2025/03/04", "04/03/2025", "4/3/2025", "2025-03-04", "2025-03-04T00:00:00+07:00"]
)
def test_promulgation_date_in_every_form_seen(sdk_shape: bytes, written: str) -> None:
    data = sdk_shape.replace(b"2025/03/04</edXML:PromulgationDate>",
                             f"{written}</edXML:PromulgationDate>".encode())
    assert _document(data).date == dt.date(2025, 3, 4)


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("2025/02/30", "not a real date"),
        ("30/02/2025", "not a real date"),
        ("2025/13/01", "not a real date"),
        ("4 March 2025", "not a date in a known form"),
        ("2025/03/04 25:00:00", "not a real date"),
    ],
)
def test_impossible_or_unknown_dates_are_refused(sdk_shape: bytes, written: str, says: str) -> None:
    data = sdk_shape.replace(b"2025/03/04</edXML:PromulgationDate>",
                             f"{written}</edXML:PromulgationDate>".encode())
    with pytest.raises(PacketError) as error:
        read_packet(data)
    assert error.value.status == 422
    assert "PromulgationDate" in error.value.message and says in error.value.message


def test_the_document_id_is_kept_verbatim_even_with_an_impossible_date(sdk_shape: bytes) -> None:
    data = sdk_shape.replace(b"H99,2025/03/04,15/UBND-VP</edXML:DocumentId>",
                             b"H99,2014/02/30,99/XX</edXML:DocumentId>")
    assert _document(data).document_id == "000.00.00.H99,2014/02/30,99/XX"


def test_unknown_priority_is_kept_and_flagged(sdk_shape: bytes) -> None:
    data = sdk_shape.replace(b"<edXML:Priority>1<", b"<edXML:Priority>7<")
    packet = _document(data)
    assert packet.priority == 7
    assert any("Priority 7" in warning for warning in packet.warnings)


def test_status_packet() -> None:
    packet = read_packet(packet_bytes("status_03.edxml"))
    assert isinstance(packet, StatusPacket)
    assert packet.status_code == "03"
    assert packet.sender.organ_id == "000.01.00.H99"
    assert packet.response_for.document_id == "000.00.00.H99,2025/03/04,15/UBND-VP"
    assert packet.response_for.date == dt.date(2025, 3, 4)
    assert packet.timestamp == dt.datetime(2025, 3, 4, 10, 2, 11, tzinfo=ICT)
    assert packet.description == "Đã tiếp nhận, vào sổ đến số 12"
    assert packet.warnings == ()


@pytest.mark.parametrize(("written", "code"), [("1", "01"), ("01", "01"), ("6", "06"),
                                               ("13", "13"), ("15", "15"), ("16", "16")])
def test_status_codes_one_digit_or_two(written: str, code: str) -> None:
    data = packet_bytes("status_03.edxml").replace(b">03<", f">{written}<".encode())
    packet = read_packet(data)
    assert isinstance(packet, StatusPacket) and packet.status_code == code


@pytest.mark.parametrize("written", ["999", "", "ok", "17"])
def test_unknown_status_codes_are_refused(written: str) -> None:
    data = packet_bytes("status_03.edxml").replace(b">03<", f">{written}<".encode())
    with pytest.raises(PacketError, match="StatusCode") as error:
        read_packet(data)
    assert error.value.status == 422
    assert error.value.code == "unknown_status"


@pytest.mark.parametrize("written", ["07", "7", "08", "09", "10", "11", "12", "14"])
def test_codes_no_implementation_defines_are_refused_by_name(written: str) -> None:
    """07-12 and 14: inside QCVN 102's range, meaningless in every implementation the notes
    read, so refused with a message that names the code and says so (not recorded)."""
    data = packet_bytes("status_03.edxml").replace(b">03<", f">{written}<".encode())
    with pytest.raises(PacketError) as error:
        read_packet(data)
    assert error.value.status == 422 and error.value.code == "undefined_status"
    assert f"StatusCode {written!r}" in error.value.message
    assert "07-12 and 14 have no meaning" in error.value.message


def test_legacy_soap_status_read_with_a_warning() -> None:
    packet = read_packet(packet_bytes("status_01_soap_gateway.xml"))
    assert isinstance(packet, StatusPacket)
    assert (packet.status_code, packet.sender.organ_id) == ("01", "000.03.00.H99")
    assert packet.response_for.date == dt.date(2025, 3, 4)
    assert packet.timestamp == dt.datetime(2025, 3, 4, 9, 40, tzinfo=ICT)
    assert packet.warnings and "family C" in packet.warnings[0]


def test_gateway_message_wrapping_a_status() -> None:
    inner = base64.b64encode(packet_bytes("status_01_soap_gateway.xml")).decode()
    message = (
        "<message><sending-system-id>GW1</sending-system-id><receiving-system-id>GW2"
        "</receiving-system-id><document-type>6.1.0.1</document-type>"
        f"<content>{inner}</content></message>"
    ).encode()
    packet = read_packet(message)
    assert isinstance(packet, StatusPacket) and packet.status_code == "01"


def test_legacy_document_families_are_refused_by_name() -> None:
    go_vn = b'<edXMLEnvelope xmlns="http://www.go.vn/eDoc"><Attachment/></edXMLEnvelope>'
    soap_b = (
        b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns:edXML="http://www.e-doc.vn/Schema/"><SOAP-ENV:Header><edXML:MessageHeader/>'
        b"</SOAP-ENV:Header><SOAP-ENV:Body/></SOAP-ENV:Envelope>"
    )
    for data, says in ((go_vn, "pre-QCVN 102"), (soap_b, "family B")):
        with pytest.raises(PacketError, match=says) as error:
            read_packet(data)
        assert error.value.code == "unsupported_packet"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (b"<html><body>hi</body></html>", "root element is html"),
        (b'<edXML xmlns="urn:other"/>', "not an edXML packet"),
        (b"", "empty"),
        (b"<edXML", "not well-formed XML at line 1"),
        (b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>', "no MessageHeader"),
    ],
)
def test_not_a_packet(data: bytes, says: str) -> None:
    with pytest.raises(PacketError, match=says) as error:
        read_packet(data)
    assert error.value.status == 422


def test_a_packet_without_sender_or_receivers_is_refused(sdk_shape: bytes) -> None:
    first_id = b"<edXML:OrganId>000.00.00.H99</edXML:OrganId>"
    no_from = sdk_shape.replace(first_id, b"", 1)
    with pytest.raises(PacketError, match="From/OrganId is missing"):
        read_packet(no_from)
    start, end = sdk_shape.index(b"<edXML:To>"), sdk_shape.rindex(b"</edXML:To>") + 11
    with pytest.raises(PacketError, match="no To"):
        read_packet(sdk_shape[:start] + sdk_shape[end:])


def test_bad_base64_names_the_attachment(sdk_shape: bytes) -> None:
    data = sdk_shape.replace(b"JVBERi0xLjQK", b"JVBERi0x*jQK")
    with pytest.raises(PacketError, match=re.escape("'15-UBND-VP.pdf' is not valid base64")):
        read_packet(data)


def test_every_attachment_block_is_read_and_a_missing_file_is_flagged() -> None:
    """Files in a second AttachmentEncoded block are read, not dropped, and a manifest entry
    the packet does not carry is a warning naming it."""
    packet = _document(packet_bytes("attachments_in_two_blocks.edxml"))
    assert [a.name for a in packet.attachments] == [
        "15-SNV-TCBC.pdf", "Danh sách.pdf", "Phụ lục 1.pdf"]
    assert packet.attachments[2].data == b"%PDF-1.4\n% phu luc 1\n"
    missing = [w for w in packet.warnings if "Phụ lục 2.xlsx" in w]
    assert len(missing) == 1 and "does not carry" in missing[0]
    assert not [w for w in packet.warnings if "Danh sách.pdf" in w]  # carried, though empty


def test_attachments_elsewhere_than_under_the_root_are_read() -> None:
    """An AttachmentEncoded block a producer put inside the envelope is read too."""
    data = packet_bytes("attachments_in_two_blocks.edxml")
    start = data.index(b"<AttachmentEncoded>")
    end = data.rindex(b"</AttachmentEncoded>") + len(b"</AttachmentEncoded>")
    moved = data[:start] + data[end:]
    moved = moved.replace(b"</edXML:edXMLBody>", data[start:end] + b"</edXML:edXMLBody>")
    assert len(_document(moved).attachments) == 3


def test_an_office_file_is_never_unzipped_whatever_the_content_type_says() -> None:
    """A .docx is itself a zip: declared application/zip (as the SDK's manifest declares every
    file) it is delivered as the .docx it is, not refused as 'a zip of N files'."""
    packet = _document(packet_bytes("docx_manifest_says_zip.edxml"))
    (attachment,) = packet.attachments
    assert attachment.name == "15-SNV-TCBC.docx" and not attachment.unzipped
    assert attachment.content_type.endswith("wordprocessingml.document")
    assert attachment.data.startswith(b"PK\x03\x04")


@pytest.mark.parametrize(
    ("element", "written"),
    [("Type", "Công văn"), ("TypeDetail", "CV"), ("SteeringType", "không"),
     ("PromulgationAmount", "02 bản"), ("PageAmount", "3 trang"), ("Priority", "gấp")],
)
def test_a_descriptive_number_that_is_not_a_number_is_flagged_not_fatal(
    sdk_shape: bytes, element: str, written: str
) -> None:
    """An informational count or code written as words does not refuse the whole packet
    (its receivers would go unrouted): it is left out and named in a warning."""
    data = re.sub(f"<edXML:{element}>[^<]*<".encode(), f"<edXML:{element}>{written}<".encode(),
                  sdk_shape, count=1)
    packet = _document(data)
    assert [o.organ_id for o in packet.to] == ["000.01.00.H99", "000.03.00.H99"]
    assert any(element in w and repr(written) in w for w in packet.warnings), packet.warnings


@pytest.mark.parametrize(("written", "value"), [("Thường", 0), ("Khẩn", 1), ("THƯỢNG KHẨN", 2),
                                                ("Hỏa tốc", 3), ("Hoả tốc hẹn giờ", 4)])
def test_priority_written_as_its_label_is_read(sdk_shape: bytes, written: str,
                                               value: int) -> None:
    """The 2011 format wrote the độ khẩn label instead of its number (notes §7.3)."""
    data = sdk_shape.replace(b"<edXML:Priority>1<", f"<edXML:Priority>{written}<".encode())
    assert _document(data).priority == value


@pytest.mark.parametrize("declared", ["application/zip; charset=binary", "Application/ZIP",
                                      ' application/x-zip-compressed; name="Phụ lục 1.zip"'])
def test_a_zip_content_type_with_parameters_or_capitals_is_still_a_zip(
    sdk_shape: bytes, declared: str
) -> None:
    """Content types are case-insensitive and may carry parameters (RFC 2045): the SDK's
    zipped attachment declared so is unzipped all the same, and typed by its name."""
    data = sdk_shape.replace(b"<ContentType>application/zip</ContentType>",
                             f"<ContentType>{declared}</ContentType>".encode())
    sheet = _document(data).attachments[1]
    assert sheet.unzipped and sheet.data == b"bang tong hop (du lieu thu)\n" * 20
    assert sheet.content_type.endswith("spreadsheetml.sheet")


def test_a_to_with_a_malformed_organ_id_is_flagged_and_the_packet_still_read(
    sdk_shape: bytes
) -> None:
    """One receiver's OrganId written with a label ('000.03.00.H99 - Sở Tài chính') does not
    refuse the packet and leave every receiver unrouted: that To keeps what it says (to be
    matched by name or flagged) and a warning names it."""
    data = sdk_shape.replace(b"000.03.00.H99<", "000.03.00.H99 - Sở Tài chính<".encode())
    packet = _document(data)
    assert [o.organ_id for o in packet.to] == ["000.01.00.H99", "000.03.00.H99 - Sở Tài chính"]
    assert packet.to[1].name == "Sở Tài chính tỉnh Khánh Hòa"
    assert any("'000.03.00.H99 - Sở Tài chính'" in w and "To" in w for w in packet.warnings)
    with pytest.raises(PacketError, match="From/OrganId"):  # who sent it must be clear
        read_packet(sdk_shape.replace(b"000.00.00.H99</edXML:OrganId>",
                                      b"000 00 00 H99</edXML:OrganId>", 1))


def test_a_packet_without_the_qcvn_namespace_is_read_with_a_warning(sdk_shape: bytes) -> None:
    """A string-built packet that forgot xmlns (root edXML, no namespace at all) is still a
    QCVN 102 packet by its shape: read by local name, with a warning, not refused."""
    data = sdk_shape.replace(b' xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"', b"")
    data = data.replace(b' xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"', b"")
    data = data.replace(b"edXML:", b"")
    packet = _document(data)
    assert [o.organ_id for o in packet.to] == ["000.01.00.H99", "000.03.00.H99"]
    assert len(packet.attachments) == 2
    assert any("namespace" in w for w in packet.warnings)
    status = packet_bytes("status_03.edxml").replace(
        b' xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"', b"").replace(
        b' xmlns:edXML="http://www.mic.gov.vn/TBT/QCVN_102_2016"', b"").replace(b"edXML:", b"")
    read = read_packet(status)
    assert isinstance(read, StatusPacket) and any("namespace" in w for w in read.warnings)
