"""Reads an administrative document (Nghị định 30/2020 layout) from plain text.

The text may come from a .txt file, or from .docx/.pdf extraction: tables are flattened, the
signature column is interleaved with the Nơi nhận column, diacritics go missing. The header is
`rules.header`'s, the recipient blocks `rules.blocks`'s. The reader never raises on any text;
what it cannot find stays `None` or empty.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from rules import blocks, layout
from rules.header import TYPE_CODES, read_header

__all__ = ["TYPE_CODES", "Document", "read_document"]

# "[Nn]gày": starting at the literal "gày" keeps the search over a long text fast.
_DMY = re.compile(r"gày\s+(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4})")
HEADER_LINES = 40
_LONGEST_HEADER = 300


@dataclass(frozen=True)
class Document:
    """The parts of a document that routing needs, as read from its text."""

    text: str
    number: str | None = None
    notation: str | None = None
    doc_type: str | None = None
    issuer: str | None = None
    issuer_code: str | None = None
    issuer_parent: str | None = None
    province: str | None = None
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
    kinh_gui, noi_nhan = blocks.read_blocks(raw)
    # Header fields are short lines; a body paragraph among the first lines is none of them.
    head = read_header([c.text for c in layout.iter_cells(raw, _header_rows(raw))])
    return Document(
        text=joined,
        number=head.number,
        notation=head.notation,
        doc_type=head.doc_type,
        issuer=head.issuer,
        issuer_code=head.issuer_code,
        issuer_parent=head.issuer_parent,
        province=head.province,
        place=head.place,
        date=head.date,
        partial_date=head.partial_date,
        date_hint=None if head.date else _latest_date(joined),
        urgency=head.urgency,
        subject=head.subject,
        kinh_gui=kinh_gui.items,
        noi_nhan=noi_nhan.items,
        signature=noi_nhan.signature or kinh_gui.signature,
        kinh_gui_unread=kinh_gui.unread,
        noi_nhan_unread=noi_nhan.unread,
    )


def _header_rows(raw: list[str]) -> list[int]:
    """The header's lines: the first ones, up to the first paragraph of the body or the
    Kính gửi heading (a long line among them is left out: it is none of the fields)."""
    rows: list[int] = []
    for row, line in enumerate(raw[:HEADER_LINES]):
        if len(line) > _LONGEST_HEADER:
            if rows:
                break
            continue
        if blocks.may_start_block(line) == "kinh_gui":
            break
        rows.append(row)
    return rows


def _latest_date(text: str) -> dt.date | None:
    """The latest `ngày dd/mm/yyyy` in the text: a hint when the document has no date line."""
    found: list[dt.date] = []
    for d, m, y in _DMY.findall(text):
        try:
            found.append(dt.date(int(y), int(m), int(d)))
        except ValueError:
            continue
    return max(found) if found else None
