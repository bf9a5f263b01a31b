"""Reads a document's header (Nghị định 30/2020, Phụ lục I, fields 1-5 and 9).

The header is a two-column table: issuer (and its parent body) with `Số:` and `V/v` on the
left; the national motto with place and date on the right. Extraction gives it as separate
lines (a .docx table), joined by tabs or spaces (the reader's `layout` splits those into
cells), or joined by one space (some PDF text layers: the motto is cut off here). Numbers come
as `911/BC-BQL` (administrative), `15/2024/NĐ-CP` (normative, with the year) or `12-HD/BTCTW`,
`245-CV/TU` (Party bodies, Hướng dẫn 36-HD/VPTW).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from rules.motto import without_mottos
from rules.text import fold

# Phụ lục III of Nghị định 30/2020: type abbreviations used in số, ký hiệu; NĐ/TT are the
# normative types (Luật Ban hành văn bản QPPL), CV/KL Party types (Hướng dẫn 36-HD/VPTW).
TYPE_CODES: dict[str, str] = {
    "NQ": "nghị quyết",
    "QĐ": "quyết định",
    "CT": "chỉ thị",
    "QC": "quy chế",
    "QYĐ": "quy định",
    "TC": "thông cáo",
    "TB": "thông báo",
    "HD": "hướng dẫn",
    "CTR": "chương trình",
    "KH": "kế hoạch",
    "PA": "phương án",
    "ĐA": "đề án",
    "DA": "dự án",
    "BC": "báo cáo",
    "BB": "biên bản",
    "TTR": "tờ trình",
    "HĐ": "hợp đồng",
    "CĐ": "công điện",
    "BGN": "bản ghi nhớ",
    "BTT": "bản thỏa thuận",
    "GUQ": "giấy ủy quyền",
    "GM": "giấy mời",
    "GGT": "giấy giới thiệu",
    "GNP": "giấy nghỉ phép",
    "PG": "phiếu gửi",
    "PC": "phiếu chuyển",
    "PB": "phiếu báo",
}
_NORMATIVE = {"NĐ": "nghị định", "TT": "thông tư", "TTLT": "thông tư liên tịch"}
_PARTY = {"CV": "công văn", "KL": "kết luận"}
_TITLES = {fold(name): name for name in (*TYPE_CODES.values(), "nghị định", "thông tư")}

_NUMBER = re.compile(r"^\W*s[oố]\s*(?:ký hiệu|ky hieu)?\s*[:.]?\s*(.*)$", re.IGNORECASE)
# 911/BC-BQL, 79 /KH-SNgV, 15/2024/NĐ-CP, /BC-UBND (number left blank).
_NOTATION = re.compile(r"(\d+)?\s*/\s*(?:(\d{4})\s*/\s*)?([^\s/\-]+)-([^\s/,;]+)")
# 12-HD/BTCTW, 245-CV/TU: Party bodies write number-TYPE/ISSUER.
_PARTY_NOTATION = re.compile(r"(\d+)?\s*-\s*([A-Za-zĐđ]{1,5})\s*/\s*([^\s/,;]+)")
# "Khánh Hòa, ngày 5 tháng 3 năm 2024": found from its comma (a search for the place first
# would try every position of a long line).
_DATE_TAIL = re.compile(
    r",\s*ngày\s*(?P<d>\d{1,2})?\s*tháng\s*(?P<m>\d{1,2})?\s*năm\s*(?P<y>\d{4})",
    re.IGNORECASE,
)
# A cell that ends at "ngày" (its day and the rest in the next cell).
_DAY_CUT = re.compile(r",\s*ng[àa]y$")
# The start of a date line cut off before its year: `Khánh Hòa, ngày 05 tháng 3`, `Khánh Hòa,`.
_DATE_OPEN = re.compile(r"(?:,\s*ng[àa]y\b[^,;]*|^[^\d,;:/]{2,40},)$")
# A line that holds only a date's words and numbers (`năm 2024`, `05 tháng 3 năm 2024`).
_DATE_PIECE = re.compile(r"^\s*(?:(?:ng[àa]y|th[áa]ng|n[ăa]m)\s*|\d{1,4}\s*)+$")
_PLACE_START = re.compile(r"^\s*[^\W\d]+(?:\s+[^\W\d]+){0,4}\s*$")  # the cell opens with it
_PLACE_LOWER = frozenset({"phố", "xã", "trấn", "thị"})
_DATE_WORD_OR_NUMBER = re.compile(r"\d|ngày|tháng|năm")  # as written: `NAM` is no `năm`
_DATE_REACH = 4  # cells after a cut date line in which its pieces may come
_PLACE = re.compile(r"(?:^|[\d,;:/\t])\W*(?P<place>[^\d,;:/\t]{2,40})$")
_VV = re.compile(r"^\W*V/v\s*[:.]?\s*(.*)$", re.IGNORECASE)
_URGENCY = {
    "hoa toc hen gio": "hoa_toc_hen_gio",
    "hoa toc": "hoa_toc",
    "thuong khan": "thuong_khan",
    "khan": "khan",
}
_MOTTO = re.compile(r"cong\s*hoa\s*xa\s*hoi|doc\s*lap\s*-?\s*tu\s*do|dang\s*cong\s*san\s*viet")
# A second issuer line that only names the territory of the first ("ỦY BAN NHÂN DÂN" /
# "TỈNH BẮC NINH") continues it; any other names the issuer under its parent.
_TERRITORY = re.compile(r"^(?:tinh|thanh\s*pho|huyen|quan|thi\s*xa|thi\s*tran|xa|phuong)\b")
# Words a body's name does not end with (a level before its place name, a conjunction) or
# start with; and the first words of a body of its own (folded).
_OPEN_END = re.compile(
    r"(?:\b(?:tinh|thanh\s*pho|huyen|quan|thi\s*xa|thi\s*tran|xa|phuong|dac\s*khu|va|cac|"
    r"cua|thuoc|truc\s*thuoc)|[-–&,])$"
)
_JOINING_START = re.compile(r"^(?:(?:va|cac|cua|thuoc|truc\s*thuoc)\b|[-–&])")
_BODY_START = re.compile(
    r"^(?:so|ban|phong|van\s*phong|uy\s*ban|hoi\s*dong|trung\s*tam|chi\s*cuc|cuc|"
    r"thanh\s*tra|cong\s*an|bo|dang\s*uy|dang\s*bo|kho\s*bac|bao\s*hiem|truong|"
    r"benh\s*vien|doan|hoi|lien\s*doan|tinh\s*uy|huyen\s*uy|thanh\s*uy|dai|bao)\b"
)
_PROVINCE = re.compile(r"\b(?:tinh|thanh\s*pho)\s+(?P<name>.+)$")
_LONGEST = 300
_CITIES = ("ha noi", "ho chi minh", "hai phong", "da nang", "can tho", "hue")


@dataclass(frozen=True)
class Header:
    """What the header says; what it lacks stays None."""

    number: str | None = None
    notation: str | None = None
    doc_type: str | None = None
    issuer: str | None = None
    issuer_parent: str | None = None
    issuer_code: str | None = None
    province: str | None = None
    place: str | None = None
    date: dt.date | None = None
    partial_date: str | None = None
    urgency: str | None = None
    subject: str | None = None


def read_header(cells: list[str]) -> Header:
    """The header fields of a document from the texts of its first cells."""
    # Header fields are short lines; a body paragraph among the first lines is none of them.
    cells = _dates_joined(without_mottos([c for c in cells if len(c) <= _LONGEST]))
    number, notation, doc_type, issuer_code = _number(cells)
    place, date, partial = _place_date(cells)
    issuer, parent = _issuer(cells)
    subject = _subject(cells)
    return Header(
        number=number,
        notation=notation,
        doc_type=_title_type(cells) or doc_type or ("công văn" if subject else None),
        issuer=issuer,
        issuer_parent=parent,
        issuer_code=issuer_code,
        province=_province(issuer, parent),
        place=place,
        date=date,
        partial_date=partial,
        urgency=_urgency(cells),
        subject=subject,
    )


def _number(cells: list[str]) -> tuple[str | None, str | None, str | None, str | None]:
    for cell in cells:
        match = _NUMBER.match(cell)
        if not match:
            continue
        found = _notation(match.group(1))
        if found is not None:
            return found
    return None, None, None, None


def _notation(text: str) -> tuple[str | None, str | None, str | None, str | None] | None:
    party = _PARTY_NOTATION.match(text.strip())
    if party:
        digits, kind, issuer = party.groups()
        code = kind.upper()
        doc_type = TYPE_CODES.get(code) or _PARTY.get(code) or _NORMATIVE.get(code)
        mark = f"-{kind}/{issuer}"
        return (f"{int(digits)}{mark}" if digits else None), mark, doc_type, issuer
    found = _NOTATION.search(text)
    if found is None:
        return None
    digits, year, left, right = found.groups()
    code = left.upper()
    mark = f"/{year}/{left}-{right}" if year else f"/{left}-{right}"
    number = f"{int(digits)}{mark}" if digits else None
    known = TYPE_CODES.get(code) or (_NORMATIVE.get(code) if year else None)
    if known:
        return number, mark, known, right
    # A công văn has no type: number/ISSUER-UNIT.
    return number, mark, "công văn", left


def _place_date(cells: list[str]) -> tuple[str | None, dt.date | None, str | None]:
    for at, cell in enumerate(cells):
        low = cell.lower()
        if _DAY_CUT.search(low) and at + 1 < len(cells):
            # "ngày      tháng 7": a day left blank is a run of spaces, cut as a column gap.
            cell = f"{cell} {cells[at + 1]}"
            low = cell.lower()
        if ("ngày" not in low and "ngay" not in low) or ("năm" not in low and "nam" not in low):
            continue
        text = cell.split(":", 1)[1] if _NUMBER.match(cell) and ":" in cell else cell
        if _NUMBER.match(cell):
            notation = _NOTATION.search(text) or _PARTY_NOTATION.search(text)
            text = text[notation.end() :] if notation else text  # "Số: 12/UBND Hà Nội, ngày"
        found = _place_and_date(text)
        if found:
            return found
    return None, None, None


def _dates_joined(cells: list[str]) -> list[str]:
    """`cells` with a date line wrapped over lines (`Khánh Hòa, ngày 05 tháng 3` / `năm
    2024`, `Khánh Hòa,` / `ngày 05 tháng 3 năm 2024`) joined again into its first cell, the
    pieces taken out (they are no subject line). The other column's cells between them
    (`V/v ...`) are passed over, at most two; a date no piece completes is left as it was."""
    for at, cell in enumerate(cells):
        if not _DATE_OPEN.search(cell.lower()) or _DATE_TAIL.search(cell):
            continue
        taken: list[int] = []
        passed = 0
        joined = cell
        for index in range(at + 1, min(len(cells), at + 1 + _DATE_REACH)):
            piece = cells[index]
            if _DATE_PIECE.match(piece.lower()) and _DATE_WORD_OR_NUMBER.search(piece):
                joined = f"{joined} {piece.strip()}"
                taken.append(index)
                if _DATE_TAIL.search(joined):
                    rest = [c for i, c in enumerate(cells) if i not in taken]
                    rest[at] = joined
                    return _places_joined(rest)
            elif piece.strip():
                passed += 1
                if passed > 2:
                    break
    return _places_joined(cells)


def _places_joined(cells: list[str]) -> list[str]:
    """`cells` with a place name cut before the date line's comma (`Thành phố Hồ Chí` /
    `Minh, ngày ...`) joined onto it again: the pieces before it are words in capitals, as
    a place is written, and no issuer; one cell of the other column may stand between."""
    for at, cell in enumerate(cells):
        date = _DATE_TAIL.search(cell)
        if date is None or not _PLACE_START.match(cell[: date.start()]):
            continue
        taken: list[int] = []
        passed = 0
        for back in range(at - 1, max(-1, at - 9), -1):
            if _is_place_piece(cells[back]):
                taken.insert(0, back)
                passed = 0
            elif cells[back].strip():
                passed += 1
                if passed > 1:
                    break
        if not taken:
            return cells
        joined = " ".join([*(cells[i].strip() for i in taken), cell])
        return [joined if i == at else c for i, c in enumerate(cells) if i not in taken]
    return cells


def _is_place_piece(text: str) -> bool:
    words = text.split()
    return (
        0 < len(words) <= 5
        and not text.isupper()
        and words[0][0].isupper()
        and all(w.isalpha() and (w[0].isupper() or w in _PLACE_LOWER) for w in words)
    )


def _place_and_date(text: str) -> tuple[str | None, dt.date | None, str | None] | None:
    for match in _DATE_TAIL.finditer(text):
        place = _PLACE.search(text, max(0, match.start() - 60), match.start())
        if place:
            return _dated(place["place"], match)
    return None


def _dated(place: str, match: re.Match[str]) -> tuple[str | None, dt.date | None, str | None]:
    year = int(match["y"])
    month = int(match["m"]) if match["m"] else None
    day = int(match["d"]) if match["d"] else None
    place = place.strip(" -")
    if month and day:
        try:
            return place, dt.date(year, month, day), None
        except ValueError:
            pass
    partial = f"{year:04d}-{month:02d}" if month and 1 <= month <= 12 else f"{year:04d}"
    return place, None, partial


def _title_type(cells: list[str]) -> str | None:
    for cell in cells:
        if cell and cell.isupper():
            name = _TITLES.get(fold(cell).strip(" ."))
            if name:
                return name
    return None


def _stops_subject(cell: str) -> bool:
    key = fold(cell[:40])
    return (
        not cell
        or key.startswith(("kinh gui", "so:", "so "))
        or bool(_DATE_TAIL.search(cell))
        or (cell.isupper() and len(cell) > 3)
        or bool(_MOTTO.search(key))
        or set(cell) <= set("-_=*. ")
    )


def _subject(cells: list[str]) -> str | None:
    for i, cell in enumerate(cells):
        match = _VV.match(cell)
        if match:
            parts = [match.group(1)]
            for nxt in cells[i + 1 :]:
                if _stops_subject(nxt):
                    break
                parts.append(nxt)
            return " ".join(p for p in parts if p) or None
    for i, cell in enumerate(cells):
        if cell.isupper() and fold(cell).strip(" .") in _TITLES:
            following = [nxt for nxt in cells[i + 1 : i + 4] if nxt]
            return following[0] if following and not following[0].isupper() else None
    return None


def _urgency(cells: list[str]) -> str | None:
    for cell in cells:
        if len(cell) > 24 or not cell.isupper():
            continue
        key = fold(cell).strip(" .*")
        if key in _URGENCY:
            return _URGENCY[key]
    return None


def _issuer(cells: list[str]) -> tuple[str | None, str | None]:
    """The issuing body (one or two upper-case lines above `Số:`) and the body above it.

    `ỦY BAN NHÂN DÂN` / `TỈNH BẮC NINH` is one issuer on two lines; `UBND TỈNH KHÁNH HÒA` /
    `SỞ NỘI VỤ` is Sở Nội vụ under its parent. A `Số:` stamped before everything (the number
    of an e-signed PDF) leaves the issuer to the first such block."""
    lines: list[str] = []
    first: list[str] = []
    numbered = False
    for cell in cells:
        if _NUMBER.match(cell) and ("/" in cell or "-" in cell):
            if lines:
                break
            numbered = True
        elif _MOTTO.search(fold(cell[:40])) or _DATE_TAIL.search(cell):
            continue  # the motto column or the date line, between the issuer's lines
        elif _is_issuer_line(cell):
            lines.append(cell.strip(" _").lstrip("-").strip())  # a final "-" may cut a name
        elif cell and lines and not set(cell) <= set("-_=*. "):
            first, lines = first or lines, []  # a title or a paragraph: not the issuer block
    else:
        lines = (first or lines) if numbered else []
    if not lines:
        return None, None
    lines = lines[-6:]  # a name cut over lines is merged first: then its last two bodies
    merged: list[str] = [lines[0]]
    for line in lines[1:]:
        if _TERRITORY.match(fold(line)) or _wraps(merged[-1], line):
            merged[-1] = f"{merged[-1]} {line}"
        else:
            merged.append(line)
    merged = [m.rstrip(" -–") for m in merged]
    return merged[-1], (merged[-2] if len(merged) > 1 else None)


def _wraps(line: str, following: str) -> bool:
    """Whether `following` is the rest of the issuer's name cut at the end of `line`.

    It is when `line` is a kind of body alone (`SỞ` / `Y TẾ`), or ends on a word no name
    ends with (`ỦY BAN NHÂN DÂN TỈNH` / `NAM ĐỊNH`, `SỞ KHOA HỌC VÀ` / `CÔNG NGHỆ`), or when
    `following` starts with one no name starts with (`... ĐẦU TƯ XÂY DỰNG` / `CÁC CÔNG
    TRÌNH GIAO THÔNG`); never when `following` is a body of its own (`SỞ Y TẾ`)."""
    key, next_key = fold(line).rstrip(" ."), fold(following)
    if _BODY_START.match(next_key):
        return False
    if _BODY_START.fullmatch(key):
        return True  # `SỞ` / `Y TẾ`: a kind of body alone names none
    return bool(_OPEN_END.search(key) or _JOINING_START.match(next_key))


def _is_issuer_line(cell: str) -> bool:
    return (
        bool(cell)
        and cell.isupper()
        and len(cell) < 90
        and not _MOTTO.search(fold(cell))
        and fold(cell).strip(" .*") not in _URGENCY
        and fold(cell).strip(" .") not in _TITLES
    )


def _province(issuer: str | None, parent: str | None) -> str | None:
    """The province of the issuer, from `... TỈNH X` (`TỈNH ỦY X`) or `THÀNH PHỐ X` of a
    centrally-run city, in the issuer or its parent."""
    for body in (issuer, parent):
        key = fold(body or "")
        match = _PROVINCE.search(key)
        if body is None or match is None:
            continue
        start = match.start("name")
        if key.startswith("uy ", start):
            start += 3  # TỈNH ỦY KHÁNH HÒA
        name = body[start:].strip()
        if match.group().startswith("tinh") or key[start:].strip() in _CITIES:
            return name.title() if name.isupper() else name
    return None
