"""What a submitted document must satisfy before it is accepted, each refusal naming the line.

The rules engine reads any text, but some texts cannot be stored or routed sensibly: a date
line that names no real date (`ngày 12 tháng 3 năm 0000`), a recipient block so large that
expanding it would hold the router for minutes, a NUL character or a `Số:` longer than its
column (PostgreSQL refuses both, SQLite would keep them: the same input must get the same
answer on both stacks). Each gets a 422 here, at submission, with what to fix.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

import rules
from foundation.errors import ClerkError
from foundation.models import Document

# Caps on a recipient block (Kính gửi and Nơi nhận together). Real blocks stay far below
# them: the seeds' largest has ~40 lines of under 200 characters and ~70 names.
MAX_BLOCK_LINES = 400
MAX_LINE_CHARS = 1000
MAX_BLOCK_ITEMS = 1500
# Dates a document can carry: docroute routes current correspondence, and the calendar and
# holiday tables it computes deadlines with cover these years.
FIRST_YEAR, LAST_YEAR = 1945, 2100

_DATE_LINE = re.compile(
    r"(?:ngày\s+(?P<d>\d+)\s+)?tháng\s+(?P<m>\d+)\s+năm\s+(?P<y>\d+)", re.IGNORECASE
)
_ITEM = re.compile(r"[,;]")
HEADER_LINES = 30


def check_document(text: str, parsed: rules.Document, date: dt.date | None) -> None:
    """Refuse a document that cannot be stored or routed; say which line to fix."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    _check_nul("text", lines)
    _check_recipient_block(lines, parsed)
    _check_date_line(lines)
    if date is not None:
        _check_year(date.year, "the date given with the document")


def check_columns(document: Document) -> None:
    """Refuse a value longer than its column, or holding a NUL, naming the field and cap."""
    fields: dict[str, Any] = type(document).model_fields
    for name, info in fields.items():
        value = getattr(document, name)
        if not isinstance(value, str):
            continue
        if "\x00" in value:
            raise ClerkError(422, "nul_character",
                             f"'{name}' contains a NUL character (\\u0000); remove it.")
        cap = _max_length(info)
        if cap is not None and len(value) > cap:
            label = "Số (the document number)" if name == "number" else f"'{name}'"
            raise ClerkError(422, "too_long", f"{label} is {len(value)} characters long; the "
                             f"limit is {cap}: check what was read as {label}.")


def _max_length(info: Any) -> int | None:
    for item in getattr(info, "metadata", []):
        if (cap := getattr(item, "max_length", None)) is not None:
            return int(cap)
    return None


def _check_nul(what: str, lines: list[str]) -> None:
    for number, line in enumerate(lines, 1):
        if "\x00" in line:
            raise ClerkError(422, "nul_character",
                             f"Line {number} of the {what} contains a NUL character "
                             "(\\u0000); remove it.")


def _check_recipient_block(lines: list[str], parsed: rules.Document) -> None:
    block = [*parsed.kinh_gui, *parsed.noi_nhan]
    if len(block) > MAX_BLOCK_LINES:
        raise ClerkError(422, "recipient_block_too_long",
                         f"The recipient blocks have {len(block)} lines; the limit is "
                         f"{MAX_BLOCK_LINES} lines (MAX_BLOCK_LINES). Split the document.")
    items = sum(len(_ITEM.split(line)) for line in block)
    if items > MAX_BLOCK_ITEMS:
        raise ClerkError(422, "too_many_recipients",
                         f"The recipient blocks name {items} items; the limit is "
                         f"{MAX_BLOCK_ITEMS} items (MAX_BLOCK_ITEMS).")
    for line in block:
        if len(line) > MAX_LINE_CHARS:
            where = _line_number(lines, line)
            raise ClerkError(422, "recipient_line_too_long",
                             f"Line {where} of the recipient block is {len(line)} characters "
                             f"long; the limit is {MAX_LINE_CHARS} characters "
                             "(MAX_LINE_CHARS): one line names one recipient or category.")


def _line_number(lines: list[str], wanted: str) -> int | str:
    probe = " ".join(wanted.split())[:80]
    for number, line in enumerate(lines, 1):
        if probe and probe in " ".join(line.split()):
            return number
    return "?"


def _check_date_line(lines: list[str]) -> None:
    for number, line in enumerate(lines[:HEADER_LINES], 1):
        match = _DATE_LINE.search(unicodedata.normalize("NFC", line))
        if not match:
            continue
        year, month = int(match["y"]), int(match["m"])
        day = int(match["d"]) if match["d"] else 1
        what = f"line {number} ('{line.strip()[:80]}')"
        _check_year(year, what)
        try:
            dt.date(year, month, day)
        except ValueError as error:
            raise ClerkError(422, "invalid_date",
                             f"The date on {what} is not a real date ({error}); correct it."
                             ) from error
        return


def _check_year(year: int, what: str) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ClerkError(422, "invalid_date",
                         f"The year {year} on {what} is outside {FIRST_YEAR}-{LAST_YEAR}; "
                         "correct the date.")
