"""Header lines wrapped where a narrow column or a PDF's text layer cuts them: the motto, the
date line and the issuer's name read as if they were whole, in one column or two."""

from __future__ import annotations

import datetime as dt
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import read_document

MOTTO = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO_2 = "Độc lập - Tự do - Hạnh phúc"
PARTY = "ĐẢNG CỘNG SẢN VIỆT NAM"
# (parent, issuer, province); `|` marks where the issuer's name may be cut: after a kind of
# body alone, after a conjunction or a level word, before `CÁC` (where the reader can tell a
# cut name from a body under its parent; `SỞ Y` / `TẾ` it cannot).
ISSUERS = [
    ("UBND TỈNH KHÁNH HÒA", "SỞ| Y TẾ", "Khánh Hòa"),
    ("UBND TỈNH QUẢNG NAM", "SỞ| TƯ PHÁP", "Quảng Nam"),
    ("UBND TỈNH NAM ĐỊNH", "SỞ| KHOA HỌC VÀ| CÔNG NGHỆ", "Nam Định"),
    (
        "UBND TỈNH HÀ TĨNH",
        "BAN QUẢN LÝ DỰ ÁN ĐẦU TƯ XÂY DỰNG| CÁC CÔNG TRÌNH GIAO THÔNG",
        "Hà Tĩnh",
    ),
    ("ỦY BAN NHÂN DÂN TỈNH| THỪA THIÊN HUẾ", "SỞ| NỘI VỤ", "Thừa Thiên Huế"),
]


def _cut(text: str, at: list[int]) -> list[str]:
    """`text` cut into lines after the words numbered in `at` (a narrow column wraps it)."""
    words = text.split(" ")
    edges = [0, *sorted(set(at)), len(words)]
    return [" ".join(words[a:b]) for a, b in pairwise(edges) if a < b]


def _cuts(text: str) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, len(text.split(" ")) - 1), max_size=2)


def _name_cut(marked: str, data: st.DataObject) -> list[str]:
    """A name cut at some of its marked places."""
    pieces = marked.split("|")
    keep = [data.draw(st.booleans()) for _ in pieces[1:]]
    lines = [pieces[0]]
    for piece, cut in zip(pieces[1:], keep, strict=True):
        lines[-1:] = [lines[-1], piece.strip()] if cut else [lines[-1] + piece]
    return lines


@settings(max_examples=200, deadline=None)
@given(data=st.data(), day=st.dates(dt.date(2015, 1, 1), dt.date(2030, 12, 31)))
def test_wrapped_motto_date_and_issuer_read_whole(data: st.DataObject, day: dt.date) -> None:
    """Whatever words the motto, its second line, the date line and the issuer's name are
    cut after, and whether the columns are laid side by side (a tab) or one after the
    other: the issuer, its parent, the province, the place and the date are those written."""
    marked_parent, marked_issuer, province = data.draw(st.sampled_from(ISSUERS))
    parent, issuer = marked_parent.replace("|", ""), marked_issuer.replace("|", "")
    date_line = f"{province}, ngày {day.day:02d} tháng {day.month} năm {day.year}"
    left = [*_name_cut(marked_parent, data), *_name_cut(marked_issuer, data)]
    left += ["Số: 12/SYT-NV", "V/v phòng dịch"]
    right = [
        *_cut(MOTTO, data.draw(_cuts(MOTTO))),
        *_cut(MOTTO_2, data.draw(_cuts(MOTTO_2))),
        *_cut(date_line, data.draw(_cuts(date_line))),
    ]
    if data.draw(st.booleans(), label="side by side"):
        rows = max(len(left), len(right))
        left_cells, right_cells = left + [""] * rows, right + [""] * rows
        lines = [f"{left_cells[i]}\t{right_cells[i]}".strip("\t") for i in range(rows)]
    else:
        lines = left[:-2] + right + left[-2:]
    doc = read_document("\n".join(lines) + "\n\nKính gửi: Sở Nội vụ.\n")
    assert (doc.issuer, doc.issuer_parent, doc.province) == (issuer, parent, province), lines
    assert (doc.place, doc.date) == (province, day), lines
    assert doc.subject == "phòng dịch", lines


@pytest.mark.parametrize("cut", range(1, 5))
def test_a_party_heading_cut_anywhere_is_no_issuer(cut: int) -> None:
    """`ĐẢNG CỘNG SẢN VIỆT` / `NAM` above `TỈNH ỦY KHÁNH HÒA`: the issuer is the Tỉnh ủy."""
    words = PARTY.split(" ")
    heading = " ".join(words[:cut]) + "\n" + " ".join(words[cut:])
    doc = read_document(f"{heading}\nTỈNH ỦY KHÁNH HÒA\n*\nSố: 245-CV/TU\n")
    assert (doc.issuer, doc.province) == ("TỈNH ỦY KHÁNH HÒA", "Khánh Hòa")


def test_a_place_named_like_the_mottos_end_is_kept() -> None:
    """`NAM ĐỊNH` on the line where the motto's `NAM` would go is the issuer's place, not the
    motto: only a cell that is all motto text is taken for it."""
    doc = read_document(
        "ỦY BAN NHÂN DÂN TỈNH\tCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT\nNAM ĐỊNH\tNAM\n"
        "\tĐộc lập - Tự do - Hạnh phúc\nSố: 12/UBND-KT\tNam Định, ngày 05 tháng 3 năm 2024\n"
    )
    assert (doc.issuer, doc.province) == ("ỦY BAN NHÂN DÂN TỈNH NAM ĐỊNH", "Nam Định")
    assert doc.date == dt.date(2024, 3, 5)


def test_a_commune_named_cong_hoa_is_no_motto() -> None:
    """`UBND XÃ CỘNG HÒA`: two words of the motto are a name, not its start."""
    doc = read_document("UBND HUYỆN NAM SÁCH\nUBND XÃ CỘNG HÒA\nSố: 12/UBND-VP\n")
    assert doc.issuer == "UBND XÃ CỘNG HÒA"


def test_a_wrapped_subject_line_is_not_taken_for_the_date() -> None:
    """A date line that is whole leaves a subject's `năm 2024` in the subject."""
    doc = read_document(
        "SỞ Y TẾ\nSố: 45/SYT-NV\nKhánh Hòa, ngày 5 tháng 3 năm 2024\n"
        "V/v báo cáo kết quả\nnăm 2024\n\nKính gửi: Sở Nội vụ.\n"
    )
    assert doc.subject == "báo cáo kết quả năm 2024"
    assert doc.date == dt.date(2024, 3, 5)


def test_a_blank_day_in_a_wrapped_date_line_gives_the_month() -> None:
    """`ngày      tháng 7` / `năm 2024` (the day left for the signer): the partial date."""
    doc = read_document(
        "UBND TỈNH KHÁNH HÒA\nSố: /UBND-VP\nKhánh Hòa, ngày      tháng 7\nnăm 2024\n"
    )
    assert (doc.date, doc.partial_date, doc.place) == (None, "2024-07", "Khánh Hòa")
