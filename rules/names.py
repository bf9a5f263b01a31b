"""Finds agencies by the names clerks write: exact token keys first, then a fuzzy fallback.

Every name and alias of the directory is turned into token keys (abbreviations expanded, accents
folded), plus shorter keys without the place name ("Sở Nội vụ tỉnh Khánh Hòa" is also
"Sở Nội vụ tỉnh" and "Sở Nội vụ"), as long as what is left is not a generic word ("Báo").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from rules.directory import Agency, Directory
from rules.ruleset import RuleSet
from rules.text import Tokens, words

_LEVEL_WORDS: tuple[Tokens, ...] = (
    ("tinh",),
    ("huyen",),
    ("thi", "xa"),
    ("thanh", "pho"),
    ("xa",),
    ("phuong",),
    ("thi", "tran"),
    ("dac", "khu"),
)
_UBND: Tokens = ("uy", "ban", "nhan", "dan")
FUZZY_CUTOFF = 90.0


@dataclass(frozen=True)
class NameMatch:
    """A span of tokens that names one or more agencies (several when the name is ambiguous)."""

    end: int
    agency_ids: tuple[str, ...]
    approximate: bool = False


class NameIndex:
    """Token keys of every agency's names, for longest-match lookup inside a line."""

    def __init__(self, directory: Directory, ruleset: RuleSet) -> None:
        self._keys: dict[Tokens, list[str]] = {}
        places = _places(directory, ruleset)
        self.places: frozenset[Tokens] = frozenset(p for ps in places.values() for p in ps)
        for agency in directory:
            for key in _agency_keys(agency, ruleset, places):
                ids = self._keys.setdefault(key, [])
                if agency.id not in ids:
                    ids.append(agency.id)
        self._longest = max((len(k) for k in self._keys), default=0)
        self._strings = [" ".join(k) for k in self._keys]
        self._squeezed = ["".join(k) for k in self._keys]
        self._by_string = {" ".join(k): k for k in self._keys}

    def lookup(self, key: Sequence[str]) -> tuple[str, ...]:
        """Agency ids whose key is exactly `key` (separators ignored)."""
        return tuple(self._keys.get(words(key), ()))

    def longest_at(self, tokens: Sequence[str], start: int) -> NameMatch | None:
        """The longest exact name starting at `start` (commas inside a name are skipped)."""
        best: NameMatch | None = None
        acc: list[str] = []
        for j in range(start, len(tokens)):
            token = tokens[j]
            if token in {";", ":", "+"}:
                break
            if token != ",":
                acc.append(token)
            if len(acc) > self._longest:
                break
            ids = self._keys.get(tuple(acc))
            if ids and token != ",":
                best = NameMatch(j + 1, tuple(ids))
        return best

    def fuzzy(self, span: Sequence[str]) -> NameMatch | None:
        """The closest name to the whole `span`, when it is close enough to be a typo."""
        text = " ".join(words(span))
        if len(text) < 6:
            return None
        found = process.extractOne(
            text, self._strings, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
        )
        if found is None:
            # Dropped or extra spaces ("SởNội vụ"): compare without any.
            squeezed = text.replace(" ", "")
            found = process.extractOne(
                squeezed, self._squeezed, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF
            )
        if found is None:
            return None
        key = self._by_string[self._strings[found[2]]]
        return NameMatch(len(span), tuple(self._keys[key]), approximate=True)


def _places(directory: Directory, ruleset: RuleSet) -> dict[str, list[Tokens]]:
    """Place names by territorial agency id: the province for the top, the unit's own name below."""
    province = [
        words(ruleset.tokens(p)) for p in (directory.province, *directory.province_aliases) if p
    ]
    places: dict[str, list[Tokens]] = {}
    for agency in directory:
        if agency.kind == "ubnd_tinh":
            places[agency.id] = province
        elif agency.kind in ("ubnd_huyen", "ubnd_xa"):
            places[agency.id] = [p for p in (_place_of(agency, ruleset),) if p] + province
    return places


def _place_of(agency: Agency, ruleset: RuleSet) -> Tokens:
    """'UBND huyện Ba Tơ' -> ('ba', 'to')."""
    tokens = words(ruleset.tokens(agency.name))
    if tokens[: len(_UBND)] == _UBND:
        tokens = tokens[len(_UBND) :]
    for level in _LEVEL_WORDS:
        if tokens[: len(level)] == level:
            return tokens[len(level) :]
    return ()


def _agency_keys(agency: Agency, ruleset: RuleSet, places: dict[str, list[Tokens]]) -> set[Tokens]:
    territory = agency.id if agency.id in places else agency.area
    place_names = places.get(territory or "", [])
    keys: set[Tokens] = set()
    for name in (agency.name, *agency.aliases):
        full = words(ruleset.tokens(name))
        if not full:
            continue
        keys.add(full)
        for place in place_names:
            keys.update(_without_place(full, place, ruleset))
    return keys


def _without_place(full: Tokens, place: Tokens, ruleset: RuleSet) -> list[Tokens]:
    if not place or full[-len(place) :] != place:
        return []
    shorter = full[: -len(place)]
    out = [shorter]
    for level in _LEVEL_WORDS:
        if shorter[-len(level) :] == level:
            out.append(shorter[: -len(level)])
    return [k for k in out if len(k) >= 2 and k not in ruleset.generic_names]
