"""Text from files: .txt, .docx (python-docx) and .pdf (pypdf), with clear errors."""

from __future__ import annotations

import io

import docx
import pytest

from rules import read_document
from rules.sources import SourceError, text_from_bytes


def make_docx() -> bytes:
    """A .docx laid out like a template: header table, body, Nơi nhận / signature table."""
    document = docx.Document()
    header = document.add_table(rows=1, cols=2)
    header.cell(0, 0).text = "UBND TỈNH KHÁNH HÒA\nSỞ NỘI VỤ\nSố: 15/KH-SNV"
    header.cell(0, 1).text = "Khánh Hòa, ngày 3 tháng 4 năm 2024"
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Tuyên truyền cải cách hành chính")
    document.add_paragraph("Nội dung kế hoạch.")
    footer = document.add_table(rows=1, cols=2)
    footer.cell(0, 0).text = "Nơi nhận:\n- Sở Tư pháp;\n- Lưu: VT."
    footer.cell(0, 1).text = "GIÁM ĐỐC"
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def make_pdf(text: str) -> bytes:
    """A one-page PDF whose text layer is `text` (ASCII, one line per row)."""
    rows = " ".join(f"({line}) Tj 0 -14 Td" for line in text.split("\n"))
    stream = f"BT /F1 11 Tf 40 800 Td {rows} ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return bytes(out)


def test_docx_keeps_document_order_of_tables() -> None:
    """A .docx's header table, body and Nơi nhận table read in order, as the reader needs."""
    doc = read_document(text_from_bytes(make_docx(), "kh.docx"))
    assert doc.number == "15/KH-SNV"
    assert doc.issuer == "SỞ NỘI VỤ"
    assert doc.noi_nhan == ["- Sở Tư pháp;", "- Lưu: VT."]


def test_pdf_text_layer_is_read() -> None:
    """A PDF's text layer is read; a block without diacritics still gives its items."""
    pdf = make_pdf("So: 7/BC-SNV\nNoi nhan:\n- So Tu phap;\n- Luu: VT.")
    doc = read_document(text_from_bytes(pdf, "scan.pdf"))
    assert doc.noi_nhan == ["- So Tu phap;", "- Luu: VT."]


def test_unsupported_and_broken_files_are_refused() -> None:
    """An unknown suffix, a broken .docx and a PDF without text get messages naming the file."""
    with pytest.raises(SourceError, match=r"a\.odt: unsupported file type"):
        text_from_bytes(b"x", "a.odt")
    with pytest.raises(SourceError, match=r"b\.docx: not a readable \.docx"):
        text_from_bytes(b"not a zip", "b.docx")
    with pytest.raises(SourceError, match=r"c\.pdf: the PDF has no text layer"):
        text_from_bytes(make_pdf(""), "c.pdf")


def test_utf8_with_bom_and_bad_bytes() -> None:
    """UTF-8 with a BOM decodes; a bad byte is reported with its line."""
    assert text_from_bytes("\ufeffNơi nhận".encode(), "a.txt") == "Nơi nhận"
    with pytest.raises(SourceError, match=r"a\.txt:3: byte 5 \(column 2\)"):
        text_from_bytes(b"a\nb\nc\xffd\n", "a.txt")
