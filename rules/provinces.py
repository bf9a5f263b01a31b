"""Which province a document comes from: its sender, its issuer line, or its place line.

One deployment serves a home province, but documents arrive from everywhere. A document
from Bắc Ninh must be read with Bắc Ninh's directory (its "Các sở, ban, ngành" are Bắc
Ninh's), and must never reach Khánh Hòa bodies unless it names them. The province is taken
from, in order: the sender's id; a province named in the issuer line ("UBND TỈNH BẮC NINH");
the place line ("Bắc Ninh, ngày ..."), which may also be a district or commune name when only
one province has it. A former province (merged on 2025-07-01) stands for itself on an earlier
document and for the province it merged into on a later one. Nothing found: the home province.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rules.directory import Agency, Directory
from rules.document import Document
from rules.national import National, all_agencies
from rules.national_entries import FORMER_NAMES, NEW_START
from rules.text import raw_tokens

# Type words before a place name ("tỉnh Khánh Hòa", "TP. Hồ Chí Minh", "huyện Ba Tơ").
_TYPE_WORDS = (
    ("thanh", "pho"),
    ("thi", "xa"),
    ("thi", "tran"),
    ("dac", "khu"),
    ("tinh",),
    ("tp",),
    ("tx",),
    ("tt",),
    ("huyen",),
    ("quan",),
    ("phuong",),
    ("xa",),
)


@dataclass(frozen=True)
class Choice:
    """The directory chosen for a document, and why (shown to the clerk and in audit)."""

    directory: Directory
    province: str
    reason: str


class PlaceIndex:
    """Province, district and commune names (accents folded) -> province prefix, when unique."""

    def __init__(self, national: National) -> None:
        self.provinces: dict[tuple[str, ...], str] = {}
        for province in national:
            self.provinces[_bare(province.name)] = province.prefix
        for prefix, former in FORMER_NAMES.items():
            self.provinces[_bare(former)] = prefix
        self.provinces[("hcm",)] = "hcm"
        places: dict[tuple[str, ...], set[str]] = {}
        for agency in _territories(national):
            places.setdefault(_bare(agency.name), set()).add(agency.id.split(".", 1)[0])
        self.units = {name: next(iter(ps)) for name, ps in places.items() if len(ps) == 1}

    def in_issuer(self, issuer: str) -> str | None:
        """The province named inside an issuer line (the longest name found)."""
        tokens = raw_tokens(issuer)
        found = [
            (len(name), prefix)
            for name, prefix in self.provinces.items()
            if _contains(tokens, name)
        ]
        return max(found)[1] if found else None

    def of_place(self, place: str) -> str | None:
        """The province of a place line: a province name, else a unit only one province has."""
        name = _bare(place)
        return self.provinces.get(name) or self.units.get(name)


def place_index(national: National) -> PlaceIndex:
    """The place index of `national`, built on first use and kept with it."""
    found = national.cache.get("places")
    if not isinstance(found, PlaceIndex):
        found = PlaceIndex(national)
        national.cache["places"] = found
    return found


def choose(
    national: National,
    document: Document,
    sender: str | None = None,
    as_of: dt.date | None = None,
) -> Choice:
    """The directory to read `document` with (see the module docstring)."""
    day = as_of or document.date or document.date_hint
    index = place_index(national)
    found: tuple[str, str] | None = None
    if sender is not None and (prefix := national.province_of(sender)):
        found = prefix, f"the sender {sender} is of this province"
    elif document.issuer and (prefix := index.in_issuer(document.issuer)):
        found = prefix, f"the issuer '{document.issuer}' names it"
    elif document.place and (prefix := index.of_place(document.place)):
        found = prefix, f"the place '{document.place}' lies in it"
    if found is None:
        home = national.home
        return Choice(national.directory(home), home, "nothing names another province: home")
    prefix, reason = found
    province = national.provinces[prefix]
    if province.successor and day is not None and day >= NEW_START:
        reason += f"; merged into {province.successor} before the document's date {day}"
        prefix = province.successor
    return Choice(national.directory(prefix), prefix, reason)


def _bare(name: str) -> tuple[str, ...]:
    """Folded tokens of a place name without its type word or a leading 'UBND'."""
    tokens = tuple(t for t in raw_tokens(name) if t not in {",", ";", ":", "+", "-"})
    if tokens[:1] == ("ubnd",):
        tokens = tokens[1:]
    for word in _TYPE_WORDS:
        if tokens[: len(word)] == word:
            return tokens[len(word) :]
    return tokens


def _contains(tokens: tuple[str, ...], name: tuple[str, ...]) -> bool:
    size = len(name)
    return bool(size) and any(tokens[i : i + size] == name for i in range(len(tokens) - size + 1))


def _territories(national: National) -> list[Agency]:
    return [a for a in all_agencies(national) if a.kind in ("ubnd_huyen", "ubnd_xa")]
