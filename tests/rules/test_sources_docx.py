"""Text from .docx files as Word leaves them: tracked changes, fields, content controls, merged
cells, text boxes, symbol bullets and NFD text; every file is built here with python-docx."""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Callable
from typing import Any

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls, qn

from rules import Document, read_document
from rules.sources import text_from_bytes

W = nsdecls("w")
SIGNATURE = ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "", "Trần Hòa Nam"]


def letter(noi_nhan: Callable[[Any], None]) -> bytes:
    """A Nghị định 30 letter: header table, Kính gửi, body, and the table `noi_nhan` fills
    (a one-row, two-column table, the signature in the right cell unless it says otherwise)."""
    document = docx.Document()
    header = document.add_table(rows=1, cols=2)
    header.cell(0, 0).text = "ỦY BAN NHÂN DÂN\nTỈNH KHÁNH HÒA\nSố: 1234/UBND-KT"
    header.cell(0, 1).text = (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n"
        "Khánh Hòa, ngày 12 tháng 3 năm 2024"
    )
    document.add_paragraph("Kính gửi: Sở Y tế.")
    document.add_paragraph("Ủy ban nhân dân tỉnh đề nghị các cơ quan triển khai./.")
    noi_nhan(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def two_columns(document: Any, rows: int = 1) -> Any:
    """The Nơi nhận | signature table, the signature written in the right cell of row 0."""
    table = document.add_table(rows=rows, cols=2)
    table.cell(0, 1).text = "\n".join(SIGNATURE)
    return table


def add_xml(cell: Any, *fragments: str) -> None:
    """A paragraph in `cell` made of the raw WordprocessingML `fragments`."""
    paragraph = cell.add_paragraph()
    for fragment in fragments:
        paragraph._p.append(parse_xml(re.sub(r"^<(w:\w+)", rf"<\1 {W}", fragment)))


def read(data: bytes) -> Document:
    return read_document(text_from_bytes(data, "letter.docx"))


def items(doc: Document) -> list[str]:
    return [item.removeprefix("- ") for item in doc.noi_nhan]


def test_tracked_insertions_and_moves_are_read_deletions_are_not() -> None:
    """Text inserted or moved with Track Changes on is part of the document (as Word shows
    it); deleted text and the old place of moved text are not."""

    def fill(document: Any) -> None:
        cell = two_columns(document).cell(0, 0)
        cell.text = "Nơi nhận:"
        add_xml(cell, '<w:ins w:id="1" w:author="a"><w:r><w:t>- Sở Xây dựng;</w:t></w:r></w:ins>')
        add_xml(cell, '<w:r><w:t xml:space="preserve">- Sở Giáo dục</w:t></w:r>',
                '<w:ins w:id="2" w:author="a"><w:r><w:t xml:space="preserve"> và Đào tạo;'
                "</w:t></w:r></w:ins>")
        add_xml(cell, '<w:moveTo w:id="3" w:author="a"><w:r><w:t>- Sở Tư pháp;</w:t></w:r>'
                "</w:moveTo>")
        add_xml(cell, '<w:del w:id="4" w:author="a"><w:r><w:delText>- Sở Công Thương;'
                "</w:delText></w:r></w:del>")
        add_xml(cell, '<w:moveFrom w:id="5" w:author="a"><w:r><w:t>- Sở Nội vụ;</w:t></w:r>'
                "</w:moveFrom>")
        cell.add_paragraph("- Lưu: VT, KT.")

    doc = read(letter(fill))
    assert items(doc) == ["Sở Xây dựng;", "Sở Giáo dục và Đào tạo;", "Sở Tư pháp;",
                          "Lưu: VT, KT."]


def test_fields_content_controls_smart_tags_and_custom_xml_are_read() -> None:
    """The shown text of simple and complex fields, inline and block content controls (a
    template's whole Nơi nhận table, or one cell of it), smart tags and custom XML is read."""

    def inline(document: Any) -> None:
        cell = two_columns(document).cell(0, 0)
        cell.text = "Nơi nhận:"
        add_xml(cell, '<w:fldSimple w:instr=" DOCPROPERTY R1 "><w:r><w:t>- Sở Tư pháp;</w:t>'
                "</w:r></w:fldSimple>")
        add_xml(cell, '<w:r><w:fldChar w:fldCharType="begin"/></w:r>',
                '<w:r><w:instrText xml:space="preserve"> MERGEFIELD R2 </w:instrText></w:r>',
                '<w:r><w:fldChar w:fldCharType="separate"/></w:r>',
                "<w:r><w:t>- Sở Nội vụ;</w:t></w:r>", '<w:r><w:fldChar w:fldCharType="end"/></w:r>')
        add_xml(cell, "<w:sdt><w:sdtPr/><w:sdtContent><w:r><w:t>- Sở Xây dựng;</w:t></w:r>"
                "</w:sdtContent></w:sdt>")
        add_xml(cell, '<w:smartTag w:uri="u" w:element="e"><w:r><w:t>- Sở Công Thương;</w:t>'
                "</w:r></w:smartTag>")
        add_xml(cell, '<w:customXml w:element="e"><w:r><w:t>- Lưu: VT, KT.</w:t></w:r>'
                "</w:customXml>")

    assert items(read(letter(inline))) == [
        "Sở Tư pháp;", "Sở Nội vụ;", "Sở Xây dựng;", "Sở Công Thương;", "Lưu: VT, KT."
    ]

    def plain(document: Any) -> Any:
        table = two_columns(document)
        table.cell(0, 0).text = "Nơi nhận:\n- Sở Tư pháp;\n- Lưu: VT, KT."
        return table

    def table_in_control(document: Any) -> None:
        table = plain(document)._tbl
        control = parse_xml(f"<w:sdt {W}><w:sdtPr/><w:sdtContent/></w:sdt>")
        table.addprevious(control)
        control.find(qn("w:sdtContent")).append(table)

    def cell_in_control(document: Any) -> None:
        cell = plain(document).cell(0, 0)._tc
        control = parse_xml(f"<w:sdt {W}><w:sdtPr/><w:sdtContent/></w:sdt>")
        cell.addprevious(control)
        control.find(qn("w:sdtContent")).append(cell)

    for fill in (table_in_control, cell_in_control):
        doc = read(letter(fill))
        assert items(doc) == ["Sở Tư pháp;", "Lưu: VT, KT."], fill.__name__
        assert doc.signature == [s for s in SIGNATURE if s]


def test_vertically_merged_signature_cell_keeps_every_row_of_items() -> None:
    """A signature cell merged down beside several rows of items (an item per row, or the
    items over two rows) is read once, after all the items of its rows, none lost."""

    def item_per_row(document: Any) -> None:
        table = document.add_table(rows=4, cols=2)
        for row, text in enumerate(["Nơi nhận:", "- Sở Tư pháp;", "- Sở Xây dựng;",
                                    "- Lưu: VT, KT."]):
            table.cell(row, 0).text = text
        table.cell(0, 1).merge(table.cell(3, 1)).text = "\n".join(SIGNATURE)

    def two_rows(document: Any) -> None:
        table = document.add_table(rows=2, cols=2)
        table.cell(0, 0).text = "Nơi nhận:\n- Sở Tư pháp;"
        table.cell(1, 0).text = "- Sở Xây dựng;\n- Lưu: VT, KT."
        table.cell(0, 1).merge(table.cell(1, 1)).text = "\n".join(SIGNATURE)

    for fill in (item_per_row, two_rows):
        doc = read(letter(fill))
        assert items(doc) == ["Sở Tư pháp;", "Sở Xây dựng;", "Lưu: VT, KT."], fill.__name__
        assert doc.signature == [s for s in SIGNATURE if s]


def test_text_box_keeps_soft_breaks_tabs_and_list_bullets() -> None:
    """In a text box, a soft break still ends an item, a tab still separates words, and a
    Word list bullet is still a bullet."""
    box = (
        "<w:p><w:r><w:t>Nơi nhận:</w:t></w:r></w:p>"
        '<w:p><w:r><w:t>- Sở Nội vụ;</w:t><w:br/><w:t>- Sở Tư pháp;</w:t></w:r></w:p>'
        '<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
        "<w:r><w:t>Sở Xây dựng;</w:t></w:r></w:p>"
        "<w:p><w:r><w:t>- Lưu: VT,</w:t><w:tab/><w:t>KT.</w:t></w:r></w:p>"
    )
    drawing = (
        f'<w:r {W} xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"'
        ' xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"'
        ' xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
        '<w:drawing><wp:inline><wp:extent cx="2000000" cy="1500000"/><wp:docPr id="5" name="b"/>'
        '<a:graphic><a:graphicData uri="http://schemas.microsoft.com/office/word/2010/'
        'wordprocessingShape"><wps:wsp><wps:cNvSpPr txBox="1"/><wps:spPr/><wps:txbx>'
        f"<w:txbxContent>{box}</w:txbxContent></wps:txbx><wps:bodyPr/></wps:wsp>"
        "</a:graphicData></a:graphic></wp:inline></w:drawing></w:r>"
    )

    def fill(document: Any) -> None:
        document.add_paragraph()._p.append(parse_xml(drawing))
        for line in SIGNATURE:
            document.add_paragraph(line)

    doc = read(letter(fill))
    assert items(doc) == ["Sở Nội vụ;", "Sở Tư pháp;", "Sở Xây dựng;", "Lưu: VT, KT."]


def test_symbol_bullets_and_list_items_that_also_type_a_dash() -> None:
    """A bullet inserted as a Symbol-font character (`w:sym`) reads as a dash, and a Word list
    item whose text starts with its own dash gets no second one."""

    def fill(document: Any) -> None:
        cell = two_columns(document).cell(0, 0)
        cell.text = "Nơi nhận:"
        add_xml(cell, '<w:r><w:sym w:font="Symbol" w:char="F02D"/>'
                '<w:t xml:space="preserve"> Sở Tư pháp;</w:t></w:r>')
        add_xml(cell, '<w:r><w:sym w:font="Symbol" w:char="F0B7"/>'
                '<w:t xml:space="preserve"> Sở Nội vụ;</w:t></w:r>')
        listed = cell.add_paragraph("- Lưu: VT, KT.")
        listed._p.get_or_add_pPr().append(parse_xml(
            f'<w:numPr {W}><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr>'))

    doc = read(letter(fill))
    assert doc.noi_nhan == ["- Sở Tư pháp;", "• Sở Nội vụ;", "- Lưu: VT, KT."]


def test_nfd_docx_is_read_not_refused_as_a_legacy_font() -> None:
    """A .docx whose text is in NFD (decomposed accents, as some Mac and web tools save it)
    is Vietnamese, not a legacy-font file: it is read."""

    def fill(document: Any) -> None:
        two_columns(document).cell(0, 0).text = "Nơi nhận:\n- Sở Tư pháp;\n- Lưu: VT, KT."
        for text in document.element.body.iter(qn("w:t")):
            text.text = unicodedata.normalize("NFD", text.text or "")

    data = letter(fill)
    doc = read(data)
    assert [unicodedata.normalize("NFC", i) for i in items(doc)] == ["Sở Tư pháp;", "Lưu: VT, KT."]


def test_a_block_heading_inside_the_bulleted_list_stays_a_heading() -> None:
    """When the whole Nơi nhận cell is a Word bulleted list, heading included, the heading is
    not given a dash: it still opens the block (with one, no block was found at all)."""

    def fill(document: Any) -> None:
        cell = two_columns(document).cell(0, 0)
        cell.paragraphs[0].text = "Nơi nhận:"
        cell.paragraphs[0].style = "List Bullet"
        for item in ["Như trên;", "Sở Tư pháp;", "Lưu: VT, KT."]:
            cell.add_paragraph(item, style="List Bullet")

    doc = read(letter(fill))
    assert doc.noi_nhan == ["- Như trên;", "- Sở Tư pháp;", "- Lưu: VT, KT."]
    assert doc.signature == [s for s in SIGNATURE if s]


_STRICT = {
    b"http://schemas.openxmlformats.org/wordprocessingml/2006/main":
        b"http://purl.oclc.org/ooxml/wordprocessingml/main",
    b"http://schemas.openxmlformats.org/officeDocument/2006/relationships":
        b"http://purl.oclc.org/ooxml/officeDocument/relationships",
    b"http://schemas.openxmlformats.org/drawingml/2006/main":
        b"http://purl.oclc.org/ooxml/drawingml/main",
}


def test_a_strict_open_xml_docx_is_read() -> None:
    """A .docx saved by Word as 'Strict Open XML Document' (other namespaces, same parts) is
    read like any .docx, not a crash nor 'not a readable .docx'."""
    import zipfile

    def fill(document: Any) -> None:
        two_columns(document).cell(0, 0).text = "Nơi nhận:\n- Sở Tư pháp;\n- Lưu: VT, KT."

    source = zipfile.ZipFile(io.BytesIO(letter(fill)))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as strict:
        for info in source.infolist():
            data = source.read(info.filename)
            for transitional, purl in _STRICT.items():
                data = data.replace(transitional, purl)
            strict.writestr(info, data)
    doc = read(out.getvalue())
    assert items(doc) == ["Sở Tư pháp;", "Lưu: VT, KT."]
    assert doc.signature == [s for s in SIGNATURE if s]


def test_all_caps_formatting_is_read_as_shown() -> None:
    """Text typed in lower case but formatted All Caps (directly, or by its paragraph or
    character style, as templates do for titles) is read in capitals, as Word shows it: the
    signature stays a signature instead of running into the last item."""

    def fill(document: Any) -> None:
        from docx.enum.style import WD_STYLE_TYPE

        table = document.add_table(rows=1, cols=2)
        table.cell(0, 0).text = "Nơi nhận:\n- Như trên;\n- Sở Tư pháp;"
        title = document.styles.add_style("Chuc danh", WD_STYLE_TYPE.PARAGRAPH)
        title.font.all_caps = True
        name = document.styles.add_style("Ten", WD_STYLE_TYPE.CHARACTER)
        name.font.all_caps = True
        cell = table.cell(0, 1)
        cell.paragraphs[0].add_run("kt. chủ tịch").font.all_caps = True
        cell.add_paragraph("phó chủ tịch", style=title)
        cell.add_paragraph("")
        plain = cell.add_paragraph()
        plain.add_run("Trần Hòa ")
        plain.add_run("Nam", style=name).font.all_caps = False  # turned off again

    doc = read(letter(fill))
    assert items(doc) == ["Như trên;", "Sở Tư pháp;"]
    assert doc.signature == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Hòa Nam"]
