"""Parenthetical notes on a recipient line: `(VBĐT)`, `(để b/c)`, `(t/h)`, `(3b)`.

They do not change *who* receives the document, only *how* and *why*: an electronic copy only,
the purpose (report to a superior, carry out, coordinate, for information) and paper copies.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from rules.memo import text_memo
from rules.text import fold

_PAREN = re.compile(r"\(([^()]*)\)")
_COPIES = re.compile(r"^(\d{1,3})\s*(b|ban|bản)( giay| giấy)?$")
# Routing codes of a registry ("(3I, 2B)"): a number and a letter code, not only "b" copies.
_CODE = re.compile(r"^\d{1,3}\s*[a-z]{1,3}$")
# "02 bản giấy", "- 03 bản" written after the body, outside any bracket.
_TRAILING_COPIES = re.compile(
    r"[\s,:\-–]+0*(\d{1,3})\s*(?:bản|ban|b)\s*(?:giấy|giay)?\s*[.;,]?\s*$", re.I
)

# Folded note text -> purpose key. Longest forms first is not needed: each part is matched whole.
_PURPOSES: dict[str, str] = {
    "b/c": "report",
    "bc": "report",
    "de b/c": "report",
    "de bc": "report",
    "bao cao": "report",
    "de bao cao": "report",
    "t/h": "execute",
    "th": "execute",
    "thuc hien": "execute",
    "de thuc hien": "execute",
    "de t/h": "execute",
    "p/h": "coordinate",
    "ph": "coordinate",
    "phoi hop": "coordinate",
    "de phoi hop": "coordinate",
    "de p/h": "coordinate",
    "de biet": "information",
    "biet": "information",
    "de biet va thuc hien": "execute",
    "de biet, thuc hien": "execute",
    "chi dao": "direct",
    "de chi dao": "direct",
    "theo doi": "information",
    "de theo doi": "information",
    "gs": "supervise",
    "giam sat": "supervise",
}
# A purpose at the end of a line, after a dash, a comma or a space (longest forms first).
_PURPOSE_TAIL = re.compile(
    r"(?P<lead> - | – |, | )(?P<key>"
    + "|".join(re.escape(k) for k in sorted(_PURPOSES, key=len, reverse=True))
    + r")$"
)
_ELECTRONIC = {"vbdt", "van ban dien tu", "vb dien tu", "qua mang", "email", "e-office", "eoffice"}


@dataclass(frozen=True)
class Notes:
    """What the parenthetical notes of one line say."""

    electronic_only: bool = False
    purpose: tuple[str, ...] = ()
    paper_copies: int | None = None
    other: tuple[str, ...] = field(default=())
    routing: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The notes as the JSON object of a line (only the keys that were present)."""
        out: dict[str, Any] = {}
        if self.electronic_only:
            out["electronic_only"] = True
        if self.purpose:
            out["purpose"] = list(self.purpose)
        if self.paper_copies is not None:
            out["paper_copies"] = self.paper_copies
        if self.other:
            out["other"] = list(self.other)
        if self.routing:
            out["routing_codes"] = list(self.routing)
        return out


@text_memo(4096)  # the same recipient items, document after document (Notes is frozen)
def split_notes(text: str) -> tuple[str, Notes]:
    """Return `text` without its parentheses, and the notes they held.

    A group of registry codes (`(3I, 2B)`) is kept as routing codes, not read as copies; a
    copy count written after the body (`Sở Nội vụ 02 bản giấy`) is a note too."""
    groups = [inner for inner in _PAREN.findall(text)]
    bare = _PAREN.sub(" ", text)
    # An unclosed "(" (OCR, a wrapped line) still starts a note.
    if "(" in bare:
        bare, _, tail = bare.partition("(")
        groups.append(tail)
    parts: list[str] = []
    routing: list[str] = []
    for inner in groups:
        pieces = [p.strip() for p in re.split(r"[,;]", inner) if p.strip()]
        keys = [fold(p).strip(" .") for p in pieces]
        if pieces and all(_CODE.match(k) for k in keys) and not all(_COPIES.match(k) for k in keys):
            routing.extend(pieces)
        else:
            parts.extend(pieces)
    copies = _TRAILING_COPIES.search(bare)
    if copies is not None and copies.start() > 0:
        bare = bare[: copies.start()]
        parts.append(f"{copies.group(1)} bản")
    bare, purpose = _trailing_purpose(bare)
    if purpose:
        parts.append(purpose)
    notes = _read_notes(parts)
    return bare, replace(notes, routing=tuple(routing)) if routing else notes


def _trailing_purpose(bare: str) -> tuple[str, str | None]:
    """`Sở Y tế để thực hiện`, `UBND tỉnh - báo cáo`: a purpose written without brackets.

    Only a purpose after `để` or a dash or comma is taken, so that no body's own words are."""
    folded = fold(bare).rstrip(" ;.")
    if len(fold(bare)) != len(bare):
        return bare, None  # a character folded to several: positions would not match
    found = _PURPOSE_TAIL.search(folded)
    if found is None or (found.group("lead") == " " and not found.group("key").startswith("de ")):
        return bare, None
    return bare[: found.start()], found.group("key")


def _read_notes(parts: list[str]) -> Notes:
    electronic = False
    purposes: list[str] = []
    copies: int | None = None
    other: list[str] = []
    for part in parts:
        key = fold(part).strip(" .")
        copy_match = _COPIES.match(key)
        if key in _ELECTRONIC:
            electronic = True
        elif key in _PURPOSES:
            if _PURPOSES[key] not in purposes:
                purposes.append(_PURPOSES[key])
        elif copy_match:
            copies = int(copy_match.group(1))
        else:
            other.append(part)
    return Notes(electronic, tuple(purposes), copies, tuple(other))
