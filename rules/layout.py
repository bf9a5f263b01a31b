"""Cuts extracted text into physical lines and the columns laid side by side on them.

Text out of .docx and .pdf files, or pasted by a clerk, comes with CRLF or CR line ends, NFD
accents, non-breaking and zero-width spaces, lines of blanks, tabs, and the two columns of the
standard tables (issuer | national motto, Nơi nhận | signature) joined on one line by a tab or a
run of spaces. A column gap is a tab or three or more spaces; a gap right after a bullet or a
number (`-<TAB>Sở Y tế`, as Word list numbering is extracted) is no column gap.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import NamedTuple

# Zero-width characters and the soft hyphen: invisible, never part of a word a clerk typed.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
_GAP = re.compile(r"\s*\t\s*|\s{3,}")
MARKER = re.compile(r"^(?:[-–—+•*·▪●○◦‣⁃➢►]|\d{1,2}[.)](?!\d)|[a-zđ]\)|[a-zđ]\.(?=\s))\s*")


class Cell(NamedTuple):
    """One column's text on one physical line, its white space folded to single spaces."""

    text: str
    row: int
    column: int
    indent: int


def normalise(text: str) -> str:
    """NFC text with `\\n` line ends, invisible characters and Markdown bold marks dropped."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n")
    if any(chr(code) in text for code in _INVISIBLE):  # rare: skip the slow translate
        text = text.translate(_INVISIBLE)
    return unicodedata.normalize("NFC", text).replace("**", "")


def fold_spaces(line: str) -> str:
    """`line` with every run of white space (tabs, non-breaking spaces) as one space."""
    if "  " in line or "\t" in line or "\xa0" in line or "\u3000" in line:
        return " ".join(line.split())
    return line.strip()


def cells(lines: list[str], rows: Iterable[int] | None = None) -> list[Cell]:
    """The cells of `lines` (normalised), in reading order; a blank line gives one empty cell.
    Only the lines numbered in `rows` (ascending), if given."""
    return list(iter_cells(lines, range(len(lines)) if rows is None else rows))


def iter_cells(lines: list[str], rows: Iterable[int]) -> Iterator[Cell]:
    """`cells`, cut only as they are asked for."""
    for row in rows:
        line = lines[row]
        stripped = line.lstrip()
        indent = len(line) - len(stripped) + 3 * line[: len(line) - len(stripped)].count("\t")
        stripped = stripped.rstrip()
        if not stripped:
            yield Cell("", row, 0, 0)
            continue
        if "\t" not in stripped and "   " not in stripped and "\xa0" not in stripped:
            yield Cell(stripped, row, 0, indent)
            continue
        for column, part in enumerate(_columns(stripped)):
            yield Cell(part, row, column, indent if column == 0 else 0)


def _columns(line: str) -> list[str]:
    parts = [fold_spaces(p) for p in _GAP.split(line.replace("\xa0", " "))]
    merged: list[str] = []
    for part in parts:
        if not part:
            continue
        if merged and MARKER.fullmatch(merged[-1] + " "):
            merged[-1] = f"{merged[-1]} {part}"  # "-<TAB>Sở Y tế": one cell
        else:
            merged.append(part)
    return merged
