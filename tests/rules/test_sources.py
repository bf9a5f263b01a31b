"""Text from files: .txt, .docx, .pdf and .doc, real files included, with clear errors.

The files in tests/data/files/ are written by tests/data/files/make_files.py (reportlab,
python-docx, LibreOffice): one Nghị định 30/2020 letter with its two standard tables."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import docx
import pytest

from rules import Document, read_document
from rules.sources import SourceError, text_from_bytes, text_from_file

FILES = Path(__file__).resolve().parents[1] / "data" / "files"
ITEMS = [
    "Như trên;",
    "UBND các huyện, thị xã, thành phố;",
    "Các Bộ: TP; KH&CN;",
    "Đài PT-TH và Báo Khánh Hòa;",
    "Lưu: VT, VP.",
]


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


def assert_letter(doc: Document) -> None:
    """The fixture letter, read whole: header, both blocks, the signature apart."""
    assert (doc.issuer, doc.issuer_parent, doc.province) == (
        "SỞ NỘI VỤ",
        "UBND TỈNH KHÁNH HÒA",
        "Khánh Hòa",
    )
    assert (doc.number, str(doc.date)) == ("245/SNV-VP", "2024-03-05")
    assert doc.subject == "tuyên truyền cải cách hành chính"
    kinh_gui = [i.removeprefix("- ") for i in doc.kinh_gui]
    assert kinh_gui == ["Sở Tài chính;", "Sở Y tế;", "Sở Tư pháp."]
    assert [i.removeprefix("- ") for i in doc.noi_nhan] == ITEMS
    assert doc.signature == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "(Đã ký)", "Nguyễn Văn An"]
    assert doc.kinh_gui_unread == doc.noi_nhan_unread == []


@pytest.mark.parametrize("name", ["nd30_two_columns.pdf", "nd30_glyph_by_glyph.pdf"])
def test_pdf_two_columns_and_glyph_by_glyph(name: str) -> None:
    """A PDF with the header and Nơi nhận / signature tables as two columns, and one whose
    glyphs are placed one by one (PDF printers), read as the letter they hold."""
    assert_letter(read_document(text_from_file(FILES / name)))


def test_docx_tables_text_box_soft_breaks_and_list_bullets() -> None:
    """A .docx: header and signature tables, a text box (the HỎA TỐC stamp), Kính gửi lines
    split by soft breaks, Nơi nhận items whose dashes are Word list bullets."""
    doc = read_document(text_from_file(FILES / "nd30_tables.docx"))
    assert_letter(doc)
    assert doc.urgency == "hoa_toc"
    assert doc.noi_nhan[0] == "- Như trên;"


def test_legacy_doc_is_read_with_antiword() -> None:
    """A Word 97-2003 .doc is read through antiword (installed by .ci/run)."""
    assert shutil.which("antiword"), "antiword is missing: .ci/run installs it"
    doc = read_document(text_from_file(FILES / "nd30_legacy.doc"))
    assert_letter(doc)


def test_doc_without_antiword_or_broken_says_save_as_docx(monkeypatch: pytest.MonkeyPatch) -> None:
    """A .doc that cannot be read gets a message telling the clerk to save it as .docx."""
    with pytest.raises(SourceError, match=r"x\.doc: not a readable Word \.doc.*save it as \.docx"):
        text_from_bytes(b"not a word file", "x.doc")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(SourceError, match=r"y\.doc: legacy Word .*save it as \.docx"):
        text_from_bytes((FILES / "nd30_legacy.doc").read_bytes(), "y.doc")


def test_garbled_text_layer_is_refused() -> None:
    """A PDF whose text layer is not Vietnamese (legacy font mapping) is refused with a reason,
    not read as a document without recipients."""
    with pytest.raises(SourceError, match=r"nd30_garbled\.pdf: the text in the file is not"):
        text_from_file(FILES / "nd30_garbled.pdf")


def test_e_signed_pdf_number_and_date_from_the_signature_widget() -> None:
    """An e-signed PDF whose number and date are drawn only in its signature widget (not in
    the page's text, where pdfminer and pypdf alone do not look) still gives them."""
    doc = read_document(text_from_file(FILES / "nd30_e_signed.pdf"))
    assert_letter(doc)


def test_legacy_doc_two_column_table_read_column_by_column() -> None:
    """A .doc whose Nơi nhận items are an item per table row beside one merged signature cell
    (antiword draws it row by row: the signer's name came before the items) gives every item
    and the signature."""
    assert shutil.which("antiword"), "antiword is missing: .ci/run installs it"
    doc = read_document(text_from_file(FILES / "nd30_merged_rows.doc"))
    assert [i.removeprefix("- ") for i in doc.noi_nhan] == ITEMS
    assert doc.signature == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "(Đã ký)", "Nguyễn Văn An"]
