"""The document reader: header fields and recipient blocks, on the seeds and on messy text."""

from __future__ import annotations

import datetime as dt
import unicodedata

from rules import read_document
from tests.rules.conftest import seed_text


def test_seed_000_header_and_blocks() -> None:
    """Seed 000 gives its number, type, issuer code, place, date, Kính gửi and Nơi nhận items."""
    doc = read_document(seed_text("000"))
    assert doc.number == "911/BC-BQL"
    assert doc.doc_type == "báo cáo"
    assert doc.issuer_code == "BQL"
    assert (doc.place, doc.date) == ("Khánh Hòa", dt.date(2022, 7, 22))
    assert doc.subject is not None and doc.subject.startswith("Báo cáo tình hình")
    assert doc.kinh_gui == ["Sở Nội vụ."]
    assert doc.noi_nhan == ["- Như trên (VBĐT, báo cáo);", "- Lưu VT, TCHC."]
    assert doc.signature == ["GIÁM ĐỐC", "Hồ Tấn Quang"]


def test_seed_002_number_and_day_missing() -> None:
    """A number left blank and a date without its day are kept as notation and partial date."""
    doc = read_document(seed_text("002"))
    assert doc.number is None
    assert doc.notation == "/BC-UBND"
    assert doc.date is None
    assert doc.partial_date == "2024-03"
    assert doc.place == "Ba Tơ"
    assert len(doc.noi_nhan) == 6
    assert doc.noi_nhan[-1] == "- Lưu: VT, VHHT."
    assert "TM. ỦY BAN NHÂN DÂN" in doc.signature


def test_seed_003_number_with_space() -> None:
    """`Số: 79 /KH-SNgV` reads as number 79/KH-SNgV of type kế hoạch, issuer SNgV."""
    doc = read_document(seed_text("003"))
    assert doc.number == "79/KH-SNgV"
    assert doc.doc_type == "kế hoạch"
    assert doc.issuer_code == "SNgV"
    assert doc.date == dt.date(2022, 1, 27)


def test_seed_004_without_number_or_date_line() -> None:
    """Seed 004 has no Số and no date line: type from its title, a date hint from the text."""
    doc = read_document(seed_text("004"))
    assert doc.number is None and doc.date is None
    assert doc.doc_type == "thông báo"
    assert doc.date_hint == dt.date(2023, 2, 28)
    assert len(doc.noi_nhan) == 11
    assert doc.noi_nhan[9] == "- Công TTĐT tỉnh, Công TTĐT CCHC tỉnh;"
    assert doc.signature[:3] == ["TL. CHỦ TỊCH", "KT. CHÁNH VĂN PHÒNG", "PHÓ CHÁNH VĂN PHÒNG"]


def test_cong_van_number_has_issuer_and_unit() -> None:
    """A công văn number `1941/SNV-CCHC` has no type code: issuer SNV, type công văn."""
    doc = read_document("Số: 1941/SNV-CCHC\nV/v đẩy mạnh tuyên truyền\nKính gửi: Sở Tư pháp.\n")
    assert doc.number == "1941/SNV-CCHC"
    assert doc.doc_type == "công văn"
    assert doc.issuer_code == "SNV"
    assert doc.subject == "đẩy mạnh tuyên truyền"


def test_flattened_block_on_one_line() -> None:
    """A whole Nơi nhận block flattened onto one line splits into its items."""
    doc = read_document("Nội dung.\nNơi nhận: - Như trên; - Sở Nội vụ; - Lưu: VT, TCHC.\n")
    assert doc.noi_nhan == ["- Như trên;", "- Sở Nội vụ;", "- Lưu: VT, TCHC."]


def test_heading_without_colon_and_wrapped_item() -> None:
    """`Nơi nhận` without a colon is found, and an item wrapped over two lines is joined."""
    text = "Nội dung.\nNơi nhận\n- Các sở, ban, ngành,\nđơn vị trực thuộc UBND tỉnh;\n- Lưu: VT.\n"
    doc = read_document(text)
    assert doc.noi_nhan == ["- Các sở, ban, ngành, đơn vị trực thuộc UBND tỉnh;", "- Lưu: VT."]


def test_signature_column_interleaved_with_items() -> None:
    """Signature titles flattened onto item lines go to the signature, not into the items."""
    text = (
        "Nơi nhận:        KT. GIÁM ĐỐC\n- Như trên;        PHÓ GIÁM ĐỐC\n- Lưu: VT.\n"
        "\nNguyễn Văn An\n"
    )
    doc = read_document(text)
    assert doc.noi_nhan == ["- Như trên;", "- Lưu: VT."]
    assert doc.signature == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "Nguyễn Văn An"]


def test_initials_and_path_after_luu_stay_in_the_archive_item() -> None:
    """What typists add after `Lưu` (initials, a file path) stays in the Lưu item."""
    text = "Nơi nhận:\n- Sở Y tế;\n- Lưu: VT, NV.\nNVA\nD:/VanBan/2024/bc.docx\n"
    doc = read_document(text)
    assert doc.noi_nhan == ["- Sở Y tế;", "- Lưu: VT, NV. NVA D:/VanBan/2024/bc.docx"]


def test_nfd_text_reads_like_nfc() -> None:
    """Text in NFD (decomposed accents) reads to the same items as NFC text."""
    text = "Kính gửi: Sở Nội vụ.\n\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n"
    nfd = read_document(unicodedata.normalize("NFD", text))
    assert nfd.kinh_gui == ["Sở Nội vụ."]
    assert nfd.noi_nhan == ["- Như trên;", "- Lưu: VT."]


def test_kinh_gui_list_and_urgency() -> None:
    """A `Kính gửi:` list of items is read item by item, and a HỎA TỐC stamp is read."""
    text = (
        "HỎA TỐC\nSố: 12/UBND-KT\nV/v phòng chống bão\n\nKính gửi:\n- Sở Nội vụ;\n"
        "- Sở Tài chính.\n\nNội dung công văn.\n"
    )
    doc = read_document(text)
    assert doc.urgency == "hoa_toc"
    assert doc.kinh_gui == ["- Sở Nội vụ;", "- Sở Tài chính."]


def test_article_text_is_available() -> None:
    """`Điều 3` of a decision is found for `Như Điều 3` lines."""
    text = (
        "Điều 1. Ban hành.\nĐiều 3. Giám đốc Sở Nội vụ chịu trách nhiệm thi hành.\n"
        "Nơi nhận:\n- Như Điều 3;\n"
    )
    doc = read_document(text)
    assert doc.article(3) == "Điều 3. Giám đốc Sở Nội vụ chịu trách nhiệm thi hành."
    assert doc.article(2) is None


def test_empty_text_gives_empty_document() -> None:
    """Empty text reads to a document with nothing found, without raising."""
    doc = read_document("")
    assert (doc.number, doc.date, doc.kinh_gui, doc.noi_nhan) == (None, None, [], [])
