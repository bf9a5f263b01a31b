"""Header fields: issuer and province, numbers of every style, place and date, subject."""

from __future__ import annotations

import datetime as dt

from rules import read_document

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"


def test_issuer_on_one_or_two_lines_keeps_its_province() -> None:
    """`UBND TỈNH BẮC NINH`, `ỦY BAN NHÂN DÂN` / `TỈNH BẮC NINH` and `SỞ Y TẾ` under
    `UBND TỈNH BẮC NINH` all give the issuer with its province."""
    one = read_document("UBND TỈNH BẮC NINH\nSố: 12/UBND-KT\n")
    assert (one.issuer, one.province) == ("UBND TỈNH BẮC NINH", "Bắc Ninh")
    two = read_document("ỦY BAN NHÂN DÂN\nTỈNH BẮC NINH\n-------\nSố: 12/UBND-KT\n")
    assert (two.issuer, two.province) == ("ỦY BAN NHÂN DÂN TỈNH BẮC NINH", "Bắc Ninh")
    under = read_document("UBND TỈNH BẮC NINH\nSỞ Y TẾ\nSố: 45/SYT-NV\n")
    assert (under.issuer, under.issuer_parent, under.province) == (
        "SỞ Y TẾ",
        "UBND TỈNH BẮC NINH",
        "Bắc Ninh",
    )


def test_header_columns_joined_by_tabs_or_spaces() -> None:
    """The issuer beside the motto (a tab, spaces or one space between) stays the issuer; a
    date after a tab on the `Số:` line is read."""
    for gap in ("\t", "        ", " "):
        text = (
            f"UBND TỈNH BẮC NINH{gap}{MOTTO}\nSỞ Y TẾ{gap}Độc lập - Tự do - Hạnh phúc\n"
            f"Số: 45/SYT-NV{gap}Bắc Ninh, ngày 5 tháng 3 năm 2024\n"
        )
        doc = read_document(text)
        assert (doc.issuer, doc.issuer_parent) == ("SỞ Y TẾ", "UBND TỈNH BẮC NINH"), gap
        assert (doc.place, doc.date) == ("Bắc Ninh", dt.date(2024, 3, 5)), gap
        assert doc.number == "45/SYT-NV", gap


def test_numbers_with_year_and_party_numbers() -> None:
    """`15/2024/NĐ-CP` keeps its serial and year; `12-HD/BTCTW` and `245-CV/TU` are read."""
    decree = read_document("CHÍNH PHỦ\nSố: 15/2024/NĐ-CP\n")
    assert (decree.number, decree.doc_type, decree.issuer_code) == (
        "15/2024/NĐ-CP",
        "nghị định",
        "CP",
    )
    guide = read_document("BAN TỔ CHỨC TRUNG ƯƠNG\nSố 12-HD/BTCTW\n")
    assert (guide.number, guide.doc_type) == ("12-HD/BTCTW", "hướng dẫn")
    assert guide.issuer_code == "BTCTW"
    letter = read_document("TỈNH ỦY KHÁNH HÒA\nSố: 245-CV/TU\n")
    assert (letter.number, letter.doc_type) == ("245-CV/TU", "công văn")
    assert letter.province == "Khánh Hòa"


def test_subject_before_or_after_the_date_line() -> None:
    """`V/v` read whether the date line comes before or after it, and never swallowing it."""
    after = read_document(
        "SỞ Y TẾ\nSố: 45/SYT-NV\nV/v phòng chống dịch\nbệnh mùa mưa\n"
        f"{MOTTO}\nBắc Ninh, ngày 5 tháng 3 năm 2024\n\nKính gửi: Sở Tài chính.\n"
    )
    assert after.subject == "phòng chống dịch bệnh mùa mưa"
    assert after.date == dt.date(2024, 3, 5)
    before = read_document(
        "SỞ Y TẾ\nSố: 45/SYT-NV\nBắc Ninh, ngày 5 tháng 3 năm 2024\nV/v phòng chống dịch\n"
        "\nKính gửi: Sở Tài chính.\n"
    )
    assert before.subject == "phòng chống dịch"


def test_a_day_left_blank_with_spaces_gives_the_partial_date() -> None:
    """'ngày      tháng 7 năm 2025' (the day left blank for the e-signature) is 2025-07, though
    its run of spaces looks like a column gap."""
    for line in ("Khánh Hòa, ngày      tháng 7 năm 2025", "Khánh Hòa, ngày\ttháng 7 năm 2025"):
        doc = read_document(f"ỦY BAN NHÂN DÂN\nTỈNH KHÁNH HÒA\nSố: 12/UBND-KT\n{line}\n")
        assert (doc.date, doc.partial_date, doc.place) == (None, "2025-07", "Khánh Hòa"), line
