"""Reads an administrative document (Nghị định 30/2020 layout) from plain text.

The text may come from a .txt file, or from .docx/.pdf extraction: tables are flattened, the
signature column is interleaved with the Nơi nhận column, diacritics go missing. The reader never
raises on any text; what it cannot find stays `None` or empty.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rules import blocks, layout
from rules.text import fold

# Phụ lục III of Nghị định 30/2020: type abbreviations used in số, ký hiệu.
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
_TITLES = {fold(name): name for name in TYPE_CODES.values()}

_NUMBER = re.compile(r"^\W*s[oố]\s*(?:ký hiệu|ky hieu)?\s*[:.]?\s*(.*)$", re.IGNORECASE)
_NOTATION = re.compile(r"(\d+)?\s*/\s*([^\s/]+?)-([^\s/]+)")
_PLACE_DATE = re.compile(
    r"^\W*(?P<place>[^\d,;:]{2,40}?)\s*,\s*ngày\s*(?P<d>\d{1,2})?\s*tháng\s*(?P<m>\d{1,2})?"
    r"\s*năm\s*(?P<y>\d{4})",
    re.IGNORECASE,
)
# "[Nn]gày": starting at the literal "gày" keeps the search over a long text fast.
_DMY = re.compile(r"gày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")
_VV = re.compile(r"^\W*V/v\s*[:.]?\s*(.*)$", re.IGNORECASE)
_URGENCY = {
    "hoa toc hen gio": "hoa_toc_hen_gio",
    "hoa toc": "hoa_toc",
    "thuong khan": "thuong_khan",
    "khan": "khan",
}
_MOTTO = ("cong hoa xa hoi", "doc lap", "socialist")
HEADER_LINES = 40


@dataclass(frozen=True)
class Document:
    """The parts of a document that routing needs, as read from its text."""

    text: str
    number: str | None = None
    notation: str | None = None
    doc_type: str | None = None
    issuer: str | None = None
    issuer_code: str | None = None
    place: str | None = None
    date: dt.date | None = None
    partial_date: str | None = None
    date_hint: dt.date | None = None
    urgency: str | None = None
    subject: str | None = None
    kinh_gui: list[str] = field(default_factory=list)
    noi_nhan: list[str] = field(default_factory=list)
    signature: list[str] = field(default_factory=list)
    kinh_gui_unread: list[str] = field(default_factory=list)
    noi_nhan_unread: list[str] = field(default_factory=list)

    def article(self, number: int) -> str | None:
        """The text of `Điều <number>` of the document, if it has one."""
        return blocks.article(self.text, number)

    def clause(self, number: int, clause: int) -> str | None:
        """The text of khoản `clause` of `Điều <number>`, if the document has it."""
        return blocks.clause(self.text, number, clause)


def read_document(text: str) -> Document:
    """Read `text` into a `Document`; never raises."""
    raw = layout.normalise(text).split("\n")
    lines = [layout.fold_spaces(line) for line in raw]
    joined = "\n".join(lines)
    cells = layout.cells(raw)
    kinh_gui, noi_nhan = blocks.find_blocks(cells)
    header = [c.text for c in cells if c.row < HEADER_LINES]
    number, notation, doc_type, issuer_code = _number(header)
    place, date, partial = _place_date(header)
    return Document(
        text=joined,
        number=number,
        notation=notation,
        doc_type=_title_type(header) or doc_type or ("công văn" if _subject(header) else None),
        issuer=_issuer(header),
        issuer_code=issuer_code,
        place=place,
        date=date,
        partial_date=partial,
        date_hint=None if date else _latest_date(joined),
        urgency=_urgency(header),
        subject=_subject(header),
        kinh_gui=kinh_gui.items,
        noi_nhan=noi_nhan.items,
        signature=noi_nhan.signature or kinh_gui.signature,
        kinh_gui_unread=kinh_gui.unread,
        noi_nhan_unread=noi_nhan.unread,
    )


def _number(header: list[str]) -> tuple[str | None, str | None, str | None, str | None]:
    for line in header:
        match = _NUMBER.match(line)
        if not match or "/" not in match.group(1):
            continue
        notation = _NOTATION.search(match.group(1))
        if not notation:
            continue
        digits, left, right = notation.groups()
        code = left.upper()
        mark = f"/{left}-{right}"
        if code in TYPE_CODES:
            return (f"{int(digits)}{mark}" if digits else None, mark, TYPE_CODES[code], right)
        # A công văn has no type: number/ISSUER-UNIT.
        return (f"{int(digits)}{mark}" if digits else None, mark, "công văn", left)
    return None, None, None, None


def _place_date(header: list[str]) -> tuple[str | None, dt.date | None, str | None]:
    for line in header:
        match = _PLACE_DATE.match(line)
        if not match:
            continue
        year = int(match["y"])
        month = int(match["m"]) if match["m"] else None
        day = int(match["d"]) if match["d"] else None
        place = match["place"].strip()
        if month and day:
            try:
                return place, dt.date(year, month, day), None
            except ValueError:
                pass
        partial = f"{year:04d}-{month:02d}" if month and 1 <= month <= 12 else f"{year:04d}"
        return place, None, partial
    return None, None, None


def _latest_date(text: str) -> dt.date | None:
    """The latest `ngày dd/mm/yyyy` in the text: a hint when the document has no date line."""
    found: list[dt.date] = []
    for d, m, y in _DMY.findall(text):
        try:
            found.append(dt.date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return max(found) if found else None


def _title_type(header: list[str]) -> str | None:
    for line in header:
        if line and line.isupper():
            name = _TITLES.get(fold(line).strip(" ."))
            if name:
                return name
    return None


def _subject(header: list[str]) -> str | None:
    for i, line in enumerate(header):
        match = _VV.match(line)
        if match:
            parts = [match.group(1)]
            for nxt in header[i + 1 :]:
                if not nxt or fold(nxt).startswith("kinh gui"):
                    break
                parts.append(nxt)
            return " ".join(p for p in parts if p) or None
    for i, line in enumerate(header):
        if line.isupper() and fold(line).strip(" .") in _TITLES:
            following = [nxt for nxt in header[i + 1 : i + 4] if nxt]
            return following[0] if following and not following[0].isupper() else None
    return None


def _urgency(header: list[str]) -> str | None:
    for line in header:
        if len(line) > 24 or not line.isupper():
            continue
        key = fold(line).strip(" .*")
        if key in _URGENCY:
            return _URGENCY[key]
    return None


def _issuer(header: list[str]) -> str | None:
    """The lowest upper-case line above `Số:` (the issuing body), skipping the national motto."""
    candidate: str | None = None
    for line in header:
        if _NUMBER.match(line) and "/" in line:
            return candidate
        if line and line.isupper() and not fold(line).startswith(_MOTTO) and len(line) < 90:
            candidate = line.strip(" -")
    return None
