"""Hostile or oversized packets: refused with a 4xx naming the problem, never parsed blindly."""

from __future__ import annotations

import base64
import io
import random
import re
import zipfile

import pytest

from edxml import Limits, PacketError, read_packet
from tests.edxml.conftest import packet_bytes

BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&d;</Subject></edXML>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Subject>&secret;</Subject></edXML>"""

PARAMETER_XXE = b"""<?xml version="1.0"?>
<!DOCTYPE edXML [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/edxml.dtd">
<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>"""


@pytest.mark.parametrize("data", [BOMB, XXE, PARAMETER_XXE, EXTERNAL_DTD],
                         ids=["entity-bomb", "xxe", "parameter-entity", "external-dtd"])
def test_dtds_and_entities_are_refused(data: bytes) -> None:
    with pytest.raises(PacketError) as error:
        read_packet(data)
    assert (error.value.status, error.value.code) == (422, "unsafe_xml")
    assert "DTD" in error.value.message


def test_a_packet_over_the_size_limit_is_a_413(sdk_shape: bytes) -> None:
    with pytest.raises(PacketError) as error:
        read_packet(sdk_shape, Limits(packet_bytes=len(sdk_shape) - 1))
    assert error.value.status == 413 and "packet_bytes" in error.value.message


def test_an_attachment_over_its_limit_is_a_413(sdk_shape: bytes) -> None:
    with pytest.raises(PacketError) as error:
        read_packet(sdk_shape, Limits(attachment_bytes=40))
    assert error.value.status == 413
    assert "'15-UBND-VP.pdf'" in error.value.message and "attachment_bytes" in error.value.message


def _zipped_packet(sdk_shape: bytes, payload: bytes, entries: int = 1) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for n in range(entries):
            archive.writestr(f"entry-{n}.xlsx", payload)
    encoded = base64.b64encode(buffer.getvalue())
    start = sdk_shape.index(b"UEsDB")
    end = sdk_shape.index(b"<", start)
    return sdk_shape[:start] + encoded + sdk_shape[end:]


def test_a_zip_bomb_stops_at_the_unzipped_limit(sdk_shape: bytes) -> None:
    # 5 MB of zeros deflate to a few KB: small packet, large content.
    data = _zipped_packet(sdk_shape, b"\0" * (5 * 1024 * 1024))
    assert len(data) < 40_000
    with pytest.raises(PacketError) as error:
        read_packet(data, Limits(unzipped_bytes=1024 * 1024))
    assert error.value.status == 413 and "unzipped_bytes" in error.value.message
    assert read_packet(data).attachments[1].data == b"\0" * (5 * 1024 * 1024)


def test_a_zipped_attachment_must_hold_one_file(sdk_shape: bytes) -> None:
    with pytest.raises(PacketError, match="zip of 2 files"):
        read_packet(_zipped_packet(sdk_shape, b"x", entries=2))


def test_a_broken_zip_is_named(sdk_shape: bytes) -> None:
    broken = base64.b64encode(b"PK\x03\x04 not really a zip")
    start = sdk_shape.index(b"UEsDB")
    data = sdk_shape[:start] + broken + sdk_shape[sdk_shape.index(b"<", start):]
    with pytest.raises(PacketError, match=re.escape("'Phụ lục 1.xlsx' is a broken zip")):
        read_packet(data)


def _zipped_attachments(count: int, payload: bytes) -> bytes:
    """A packet carrying `count` SDK-style zipped attachments, each unzipping to `payload`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("3f2a.xlsx", payload)
    encoded = base64.b64encode(buffer.getvalue()).decode()
    files = "".join(
        f"<Attachment><ContentId>cid:{n}</ContentId><AttachmentName>Phụ lục {n}.xlsx"
        "</AttachmentName><ContentType>application/zip</ContentType>"
        f"<ContentTransferEncoded>{encoded}</ContentTransferEncoded></Attachment>"
        for n in range(count)
    )
    return packet_bytes("unprefixed_reordered.edxml").replace(
        b"</AttachmentEncoded>", f"{files}</AttachmentEncoded>".encode())


def test_many_zip_bombs_stop_at_the_packets_unzipped_total() -> None:
    """Each zipped attachment under its own limit still counts toward one total per packet,
    so a small packet of many bombs is a 413, not gigabytes in memory."""
    data = _zipped_attachments(8, b"\0" * (1024 * 1024))
    assert len(data) < 40_000
    limits = Limits(unzipped_bytes=2 * 1024 * 1024, unzipped_total_bytes=5 * 1024 * 1024)
    with pytest.raises(PacketError) as error:
        read_packet(data, limits)
    assert error.value.status == 413 and "unzipped_total_bytes" in error.value.message
    assert len(read_packet(_zipped_attachments(4, b"\0" * (1024 * 1024)), limits).attachments) == 5


def test_many_attachments_link_in_linear_time() -> None:
    """Linking files to manifest references is a lookup, not a scan per file: 20,000 tiny
    attachments (a 7 MB packet) read in a second or two, not the ten a scan per file took."""
    import time

    files = "".join(
        f"<Attachment><ContentId>{n}</ContentId><AttachmentName>{n}.pdf</AttachmentName>"
        "<ContentTransferEncoded>JVBERg==</ContentTransferEncoded></Attachment>"
        for n in range(20_000)
    )
    references = "".join(
        f"<Reference><ContentId>cid:{n}</ContentId><ContentType>application/pdf</ContentType>"
        f"<AttachmentName>{n}.pdf</AttachmentName></Reference>" for n in range(20_000)
    )
    data = packet_bytes("unprefixed_reordered.edxml")
    data = re.sub(rb"<edXMLManifest[^>]*>.*</edXMLManifest>",
                  f"<edXMLManifest>{references}</edXMLManifest>".encode(), data)
    data = re.sub(rb"<AttachmentEncoded>.*</AttachmentEncoded>",
                  f"<AttachmentEncoded>{files}</AttachmentEncoded>".encode(), data)
    started = time.perf_counter()
    packet = read_packet(data)
    assert len(packet.attachments) == 20_000 and packet.warnings == ()
    assert time.perf_counter() - started < 5  # ~1.4 s here; the quadratic scan took ~10 s


def test_a_declared_single_byte_encoding_over_utf8_bytes_is_refused_by_name(
    sdk_shape: bytes
) -> None:
    """A packet declaring ISO-8859-1 (or windows-1252) whose bytes are UTF-8 would be read as
    mojibake ('Sá»Ÿ Tài chÃ­nh'): names match nothing and the Nơi nhận routes nowhere, so it is
    refused naming the mismatch; a packet really in windows-1258 is read as declared."""
    for declared in ("ISO-8859-1", "windows-1252"):
        data = sdk_shape.replace(b'encoding="UTF-8"', f'encoding="{declared}"'.encode())
        with pytest.raises(PacketError) as error:
            read_packet(data)
        assert error.value.code == "wrong_encoding" and declared in error.value.message
    ascii_only = b'<?xml version="1.0" encoding="ISO-8859-1"?><edXML xmlns="urn:x"/>'
    with pytest.raises(PacketError, match="not an edXML packet"):  # plain ASCII is fine
        read_packet(ascii_only)
    # windows-1258 writes ở as ơ plus a combining hook: read as declared, then NFC.
    sender = "S\u01a1\u0309 T\u00e0i ch\u00ednh".encode("cp1258")
    real = (b'<?xml version="1.0" encoding="windows-1258"?>'
            b'<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><MessageHeader>'
            b"<From><OrganId>000.01.00.H99</OrganId><OrganName>" + sender +
            b"</OrganName></From><To><OrganId>000.03.00.H99</OrganId></To></MessageHeader>"
            b"</edXML>")
    packet = read_packet(real)
    assert packet.sender.name == "Sở Tài chính"


def _zip_bytes(method: int) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        archive.writestr("3f2a.xlsx", bytes(range(256)) * 8 + b"bang tong hop " * 200)
    return buffer.getvalue()


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                    zipfile.ZIP_LZMA])
def test_a_damaged_zipped_attachment_is_a_422_never_a_crash(sdk_shape: bytes,
                                                             method: int) -> None:
    """Whatever bytes of an SDK-zipped attachment are damaged (a decompressor's own error,
    a truncated stream, a bad offset), the answer is the reader's 422 naming the attachment."""
    rng = random.Random(method)
    original = _zip_bytes(method)
    start = sdk_shape.index(b"UEsDB")
    end = sdk_shape.index(b"<", start)
    for _ in range(300):
        damaged = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        data = sdk_shape[:start] + base64.b64encode(bytes(damaged)) + sdk_shape[end:]
        try:
            read_packet(data)
        except PacketError as error:
            assert error.status in (413, 422) and "Phụ lục 1.xlsx" in error.message


def test_a_password_protected_zip_is_named_as_such(sdk_shape: bytes) -> None:
    """An encrypted entry cannot be read without its password: a 422 saying so."""
    damaged = bytearray(_zip_bytes(zipfile.ZIP_DEFLATED))
    damaged[6] |= 1  # the local header's "encrypted" flag
    central = damaged.index(b"PK\x01\x02")
    damaged[central + 8] |= 1  # and the central directory's
    start = sdk_shape.index(b"UEsDB")
    data = (sdk_shape[:start] + base64.b64encode(bytes(damaged))
            + sdk_shape[sdk_shape.index(b"<", start):])
    with pytest.raises(PacketError, match="password") as error:
        read_packet(data)
    assert error.value.status == 422


@pytest.mark.parametrize("declared", ["UFT-8", "x-mac-vietnamese", "UTF-32"])
def test_an_encoding_the_parser_cannot_read_is_a_422(declared: str) -> None:
    """A misspelt or unsupported declaration (encoding="UFT-8", a multi-byte encoding expat
    lacks) is named, not a crash."""
    data = (f'<?xml version="1.0" encoding="{declared}"?>'
            '<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"/>').encode()
    with pytest.raises(PacketError, match=declared) as error:
        read_packet(data)
    assert error.value.status == 422 and error.value.code == "unknown_encoding"


def test_non_ascii_text_in_base64_content_is_a_422(sdk_shape: bytes) -> None:
    """A letter outside base64's alphabet, ASCII or not, is 'not valid base64', not a crash:
    in an attachment and in a gateway <message>'s content."""
    data = sdk_shape.replace(b"JVBERi0xLjQK", "JVBERi0xLjQKé".encode())
    with pytest.raises(PacketError, match=re.escape("'15-UBND-VP.pdf' is not valid base64")):
        read_packet(data)
    with pytest.raises(PacketError, match="not base64"):
        read_packet("<message><content>PGVkWE1MLz4=Đ</content></message>".encode())
