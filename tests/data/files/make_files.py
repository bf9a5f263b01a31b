"""Writes the real-file fixtures of the reader's tests (run it again after changing it).

Run: .venv/bin/python tests/data/files/make_files.py
Needs python-docx, and `pip install reportlab pypdf` (not project dependencies), the DejaVu
fonts (Debian `fonts-dejavu-core`) and, for the .doc, LibreOffice (`soffice --headless`). The
files are committed, so the tests need none of these.

Every file holds one Nghị định 30/2020 letter laid out as offices do: header table (issuer |
motto, Số | place and date), Kính gửi, body, and the Nơi nhận | signature table.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

HEADER_LEFT = [
    "UBND TỈNH KHÁNH HÒA",
    "SỞ NỘI VỤ",
    "Số: 245/SNV-VP",
    "V/v tuyên truyền cải cách hành chính",
]
HEADER_RIGHT = [
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "Độc lập - Tự do - Hạnh phúc",
    "Khánh Hòa, ngày 5 tháng 3 năm 2024",
]
KINH_GUI = ["Kính gửi:", "- Sở Tài chính;", "- Sở Y tế;", "- Sở Tư pháp."]
BODY = [
    "Thực hiện Kế hoạch số 11/KH-UBND ngày 22/01/2024 của UBND tỉnh về tuyên truyền",
    "cải cách hành chính năm 2024, Sở Nội vụ đề nghị các cơ quan, đơn vị báo cáo kết",
    "quả thực hiện trước ngày 30/3/2024./.",
]
NOI_NHAN = [
    "Nơi nhận:",
    "- Như trên;",
    "- UBND các huyện, thị xã, thành phố;",
    "- Các Bộ: TP; KH&CN;",
    "- Đài PT-TH và Báo Khánh Hòa;",
    "- Lưu: VT, VP.",
]
SIGNATURE = ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "", "(Đã ký)", "", "Nguyễn Văn An"]
# Legacy TCVN3 fonts shown through a broken mapping: what a garbled text layer looks like.
_ACCENTED = "ăâêôơưđáàảãạấầẩẫậắằẳẵặéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
GARBLE = {ord(ch): chr(0xA1 + i) for i, ch in enumerate(_ACCENTED)} | {
    ord(ch.upper()): chr(0xA1 + i) for i, ch in enumerate(_ACCENTED)
}


def pdf(path: Path, per_glyph: bool = False, garble: bool = False, signed: bool = False) -> None:
    """The letter as a PDF with the two tables drawn as columns (as Word exports them); if
    `signed`, its number and date are drawn only in a signature widget (e-signed files)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(TTFont("DejaVu", str(FONT)))
    page = canvas.Canvas(str(path), pagesize=(595, 842))
    page.setFont("DejaVu", 10)

    def put(x: float, y: float, text: str) -> None:
        text = text.translate(GARBLE) if garble else text
        if not per_glyph:
            page.drawString(x, y, text)
            return
        # PDF printers place every glyph on its own, accented ones a hair off the line.
        for ch in text:
            lift = 0.6 if ch.lower() != ch.lower().encode("ascii", "ignore").decode() else 0
            page.drawString(x, y + lift, ch)
            x += pdfmetrics.stringWidth(ch, "DejaVu", 10)

    y = 800.0
    for left, right in zip(HEADER_LEFT, [*HEADER_RIGHT, ""], strict=True):
        if not (signed and (left.startswith("Số") or right.startswith("Khánh Hòa,"))):
            put(40, y, left)
            put(300, y, right)
        y -= 14
    y -= 14
    for line in [*KINH_GUI, "", *BODY]:
        put(60, y, line)
        y -= 14
    y -= 20
    for left, right in zip(NOI_NHAN, SIGNATURE, strict=True):
        put(40, y, left)
        put(330, y, right)
        y -= 14
    page.save()
    if signed:
        _sign(path, [HEADER_LEFT[2], HEADER_RIGHT[2]])


def _sign(path: Path, lines: list[str]) -> None:
    """Put `lines` into the appearance of a signature widget on the first page, as e-signing
    software stamps the number and date: in no page's own content."""
    import io

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import (
        ArrayObject,
        DecodedStreamObject,
        DictionaryObject,
        FloatObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )
    from reportlab.pdfgen import canvas

    stamp = io.BytesIO()
    page = canvas.Canvas(stamp, pagesize=(595, 842))
    page.setFont("DejaVu", 10)
    for i, line in enumerate(lines):
        page.drawString(2, 30 - 14 * i, line)
    page.save()
    writer = PdfWriter()
    writer.append(PdfReader(str(path)))
    writer.append(PdfReader(stamp))
    drawn = writer.pages[1]
    form = DecodedStreamObject()
    form.set_data(drawn.get_contents().get_data())  # type: ignore[union-attr]
    form.update(
        {
            NameObject("/Type"): NameObject("/XObject"),
            NameObject("/Subtype"): NameObject("/Form"),
            NameObject("/BBox"): ArrayObject([FloatObject(v) for v in (0, 0, 300, 44)]),
            NameObject("/Resources"): drawn["/Resources"],
        }
    )
    widget = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Widget"),
            NameObject("/FT"): NameObject("/Sig"),
            NameObject("/T"): TextStringObject("Signature1"),
            NameObject("/F"): NumberObject(4),
            NameObject("/Rect"): ArrayObject([FloatObject(v) for v in (300, 740, 600, 784)]),
            NameObject("/AP"): DictionaryObject({NameObject("/N"): writer._add_object(form)}),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(widget)])
    writer.remove_page(1)
    writer.write(str(path))


def docx(path: Path) -> None:
    """The letter as a .docx: header and Nơi nhận/signature tables, a text box holding the
    urgency stamp, soft line breaks in the Kính gửi paragraph, and Word list bullets."""
    import docx as python_docx
    from docx.oxml import parse_xml

    document = python_docx.Document()
    header = document.add_table(rows=1, cols=2)
    header.cell(0, 0).text = "\n".join(HEADER_LEFT)
    header.cell(0, 1).text = "\n".join(HEADER_RIGHT)
    box = document.add_paragraph()
    box._p.append(parse_xml(_TEXT_BOX.format(text="HỎA TỐC")))
    kinh_gui = document.add_paragraph()
    for i, line in enumerate(KINH_GUI):
        run = kinh_gui.add_run(line)
        if i < len(KINH_GUI) - 1:
            run.add_break()  # Shift+Enter: one paragraph, several lines
    document.add_paragraph(" ".join(BODY))
    footer = document.add_table(rows=1, cols=2)
    left = footer.cell(0, 0)
    left.text = NOI_NHAN[0]
    for item in NOI_NHAN[1:]:
        # Word's own bullets: the dash is list numbering, not text.
        left.add_paragraph(item.removeprefix("- "), style="List Bullet")
    footer.cell(0, 1).text = "\n".join(SIGNATURE)
    document.save(str(path))


_TEXT_BOX = (
    '<w:r xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" '
    'xmlns:v="urn:schemas-microsoft-com:vml"><w:pict><v:shape style="width:80pt;height:20pt">'
    "<v:textbox><w:txbxContent><w:p><w:r><w:t>{text}</w:t></w:r></w:p></w:txbxContent>"
    "</v:textbox></v:shape></w:pict></w:r>"
)


def doc(source: Path, path: Path) -> None:
    """The .docx converted to Word 97 .doc by LibreOffice."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice (soffice) is needed to write the .doc fixture")
    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [soffice, "--headless", "--convert-to", "doc", "--outdir", out, str(source)],
            check=True,
            capture_output=True,
        )
        shutil.copy(Path(out) / f"{source.stem}.doc", path)


def docx_merged_rows(path: Path) -> None:
    """The letter with its Nơi nhận table laid out an item per row, the signature in one cell
    merged down beside them all (a layout some offices' templates use)."""
    import docx as python_docx

    document = python_docx.Document()
    header = document.add_table(rows=1, cols=2)
    header.cell(0, 0).text = "\n".join(HEADER_LEFT)
    header.cell(0, 1).text = "\n".join(HEADER_RIGHT)
    document.add_paragraph("\n".join(KINH_GUI))
    document.add_paragraph(" ".join(BODY))
    footer = document.add_table(rows=len(NOI_NHAN), cols=2)
    for row, line in enumerate(NOI_NHAN):
        footer.cell(row, 0).text = line
    footer.cell(0, 1).merge(footer.cell(len(NOI_NHAN) - 1, 1)).text = "\n".join(SIGNATURE)
    document.save(str(path))


def main() -> None:
    """Write every fixture beside this script."""
    pdf(HERE / "nd30_two_columns.pdf")
    pdf(HERE / "nd30_glyph_by_glyph.pdf", per_glyph=True)
    pdf(HERE / "nd30_garbled.pdf", garble=True)
    pdf(HERE / "nd30_e_signed.pdf", signed=True)
    docx(HERE / "nd30_tables.docx")
    doc(HERE / "nd30_tables.docx", HERE / "nd30_legacy.doc")
    with tempfile.TemporaryDirectory() as out:
        docx_merged_rows(Path(out) / "nd30_merged_rows.docx")
        doc(Path(out) / "nd30_merged_rows.docx", HERE / "nd30_merged_rows.doc")


if __name__ == "__main__":
    main()
