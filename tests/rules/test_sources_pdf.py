"""PDF text in reading order: the Nơi nhận column read whole before the signature column
beside it, however pdfminer groups the lines; Symbol-font bullets read as bullets."""

from __future__ import annotations

import pytest

from rules import read_document
from rules.sources import SourceError, text_from_bytes


def layout_pdf(*pages: list[tuple[float, float, str]]) -> bytes:
    """A PDF of `pages`, each (x, y, text) drawn where it says (ASCII text, Helvetica 11)."""
    def escaped(text: str) -> str:
        return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    kids = " ".join(f"{4 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    for number, placed in enumerate(pages):
        stream = "".join(f"BT /F1 11 Tf {x} {y} Td ({escaped(t)}) Tj ET\n" for x, y, t in placed)
        body = stream.encode("latin-1")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents "
                       f"{5 + 2 * number} 0 R /Resources << /Font << /F1 3 0 R >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(body)).encode() + b" >>\nstream\n" + body
                       + b"\nendstream")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)


HEADER = [
    (90, 800, "UBND TINH KHANH HOA"), (306, 800, "CONG HOA XA HOI CHU NGHIA VIET NAM"),
    (90, 775, "So: 1234/UBND-KT"), (306, 775, "Khanh Hoa, ngay 12 thang 3 nam 2024"),
    (90, 720, "Uy ban nhan dan tinh de nghi cac co quan, don vi trien khai ngay cac noi dung"),
    (90, 705, "sau day theo dung tien do da de ra trong ke hoach nam 2024./."),
]
# Each line spaced as Word spaces paragraphs (pdfminer puts each in a box of its own), the
# signature shorter than the list: its name sits beside a long item, items below it
# (pdfminer then gave: 3 items, the title, the long item, the name, the rest).
ITEMS = ["Noi nhan:", "- Nhu tren;", "- So Tu phap;", "- So Noi vu;",
         "- Dai PT-TH va Bao Khanh Hoa;", "- So Xay dung;", "- Luu: VT, KT."]
SIGNATURE = [(0, "KT. CHU TICH"), (1, "PHO CHU TICH"), (4, "Tran Hoa Nam")]


def test_items_below_the_signers_name_stay_in_the_noi_nhan_column() -> None:
    """When the Nơi nhận list runs further down than the signature beside it, the items
    beside and below the signer's name are still read as items, after the ones above."""
    placed = HEADER + [(90, 650 - 25 * i, text) for i, text in enumerate(ITEMS)]
    placed += [(306, 650 - 25 * row, text) for row, text in SIGNATURE]
    doc = read_document(text_from_bytes(layout_pdf(placed), "cong-van.pdf"))
    assert [i.removeprefix("- ") for i in doc.noi_nhan] == [t[2:] for t in ITEMS[1:]]
    assert doc.signature == ["KT. CHU TICH", "PHO CHU TICH", "Tran Hoa Nam"]
    assert doc.number == "1234/UBND-KT"


def test_a_full_width_line_after_the_block_ends_the_columns() -> None:
    """A line across the page below the signature (an appendix title) is not read into the
    Nơi nhận column: the column ends above it."""
    placed = HEADER + [(90, 650 - 25 * i, text) for i, text in enumerate(ITEMS)]
    placed += [(306, 650 - 25 * row, text) for row, text in SIGNATURE]
    placed += [(90, 420, "PHU LUC KEM THEO CONG VAN SO 1234/UBND-KT CUA UBND TINH KHANH HOA"),
               (90, 400, "- Danh muc cac nhiem vu chuyen doi so")]
    doc = read_document(text_from_bytes(layout_pdf(placed), "cong-van.pdf"))
    assert [i.removeprefix("- ") for i in doc.noi_nhan] == [t[2:] for t in ITEMS[1:]]


def test_a_body_line_just_above_the_heading_does_not_stop_the_reordering() -> None:
    """The body's last line close above the heading is not taken for a line across the
    block: the columns below the heading are still read in order."""
    last = "Noi dung cuoi cung cua van ban nay duoc trinh bay o day va keo dai./."
    placed = [*HEADER, (90, 668, last)]
    placed += [(90, 650 - 25 * i, text) for i, text in enumerate(ITEMS)]
    placed += [(306, 652 - 25 * row, text) for row, text in SIGNATURE]
    doc = read_document(text_from_bytes(layout_pdf(placed), "cong-van.pdf"))
    assert [i.removeprefix("- ") for i in doc.noi_nhan] == [t[2:] for t in ITEMS[1:]]


def scan_pdf(text_ops: str) -> bytes:
    """A one-page 'scan': an image over the whole page, and the text drawn by `text_ops`."""
    image = b"\xff\x00" * 50
    stream = f"q 595 0 0 842 0 0 cm /Im1 Do Q\n{text_ops}".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources "
        b"<< /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /XObject /Subtype /Image /Width 10 /Height 10 /ColorSpace /DeviceGray "
        b"/BitsPerComponent 8 /Length 100 >>\nstream\n" + image + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n"
            "%%EOF\n").encode()
    return bytes(out)


def test_a_scan_with_only_a_stamp_or_page_number_is_refused_as_a_scan() -> None:
    """A scanned PDF whose only text is a page number or an e-signature stamp is refused as
    a scan, naming the file, not read as a document that names nobody."""
    stamp = ("BT /F1 8 Tf 400 60 Td (Ky boi: Uy ban nhan dan tinh Khanh Hoa) Tj 0 -10 Td "
             "(Thoi gian ky: 12.03.2024 10:00:00 +07:00) Tj ET\n")
    for name, ops in [("so-trang.pdf", "BT /F1 8 Tf 290 30 Td (1) Tj ET\n"), ("ky-so.pdf", stamp)]:
        with pytest.raises(SourceError, match=rf"{name}: the PDF is a scan"):
            text_from_bytes(scan_pdf(ops), name)


def test_a_long_item_running_toward_the_signature_column_stays_an_item() -> None:
    """An item long enough to run a little past where the signature column starts, on a
    row of its own, is still an item, and the items below it are still read."""
    items = [*ITEMS[:2], "- UBND cac huyen, thi xa, thanh pho truc thuoc;", *ITEMS[2:]]
    placed = HEADER + [(90, 650 - 25 * i, text) for i, text in enumerate(items)]
    placed += [(306, 650 - 25 * row, text) for row, text in [(0, "KT. CHU TICH"),
                                                             (1, "PHO CHU TICH"),
                                                             (5, "Tran Hoa Nam")]]
    doc = read_document(text_from_bytes(layout_pdf(placed), "cong-van.pdf"))
    assert [i.removeprefix("- ") for i in doc.noi_nhan] == [t[2:] for t in items[1:]]


def test_a_block_broken_across_pages_goes_on_in_its_columns() -> None:
    """A Nơi nhận table row broken across two pages: on the second page too the items beside
    and below the signer's name are read as items, before the name."""
    first = HEADER + [(90, 650 - 25 * i, text) for i, text in enumerate(ITEMS[:4])]
    first += [(306, 650, "KT. CHU TICH"), (306, 625, "PHO CHU TICH")]
    second = [(90, 800 - 25 * i, text) for i, text in enumerate(ITEMS[4:])]
    second += [(306, 800, "Tran Hoa Nam"), (290, 30, "2")]  # beside the long item
    doc = read_document(text_from_bytes(layout_pdf(first, second), "cong-van.pdf"))
    assert [i.removeprefix("- ") for i in doc.noi_nhan] == [t[2:] for t in ITEMS[1:]]
    assert doc.signature == ["KT. CHU TICH", "PHO CHU TICH", "Tran Hoa Nam"]
