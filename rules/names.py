"""Finds agencies by the names clerks write: exact token keys, safe corrections, suggestions.

Every name and alias of the directory is turned into token keys (abbreviations expanded, accents
folded), plus shorter keys without the place name ("Sở Nội vụ tỉnh Khánh Hòa" is also
"Sở Nội vụ tỉnh" and "Sở Nội vụ"), as long as what is left is not a generic word ("Báo").

A name that is not a key is *corrected* only when the difference is a missing or extra space or
a doubled letter (`SởNội vụ`, `Sở Tư phapp`): such a slip changes no word. Anything else that is
merely close is a *suggestion* for the clerk, never a delivery, and a candidate whose
distinguishing words differ (`Bộ`/`Sở`, `Cục`/`Chi cục`, `tỉnh`/`thành phố`, `Phường 1`/`2`) is
not even suggested: it is another body.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from rules.cities import CityLevel
from rules.directory import Agency, Directory
from rules.ruleset import RuleSet
from rules.text import Tokens, distinguishing, words

_LEVEL_WORDS: tuple[Tokens, ...] = (
    ("tinh",),
    ("huyen",),
    ("quan",),
    ("thi", "xa"),
    ("thanh", "pho"),
    ("xa",),
    ("phuong",),
    ("thi", "tran"),
    ("dac", "khu"),
)
_UBND: Tokens = ("uy", "ban", "nhan", "dan")
SUGGEST_CUTOFF = 85.0
SUGGESTIONS = 3
_DOUBLED = re.compile(r"([a-z])\1+")


@dataclass(frozen=True)
class NameMatch:
    """A span of tokens that names one or more agencies (several when the name is ambiguous).

    `confidence` is `exact` for a directory key (the caller tells an alias from the name),
    `corrected` for a slip that changes no word (`correction` says which), `suggested` for a
    near match that only a clerk may confirm."""

    end: int
    agency_ids: tuple[str, ...]
    confidence: str = "exact"
    correction: str | None = None

    @property
    def approximate(self) -> bool:
        """Whether the name was not read as written (corrected or only suggested)."""
        return self.confidence in ("corrected", "suggested")


class NameIndex:
    """Token keys of every agency's names, for longest-match lookup inside a line."""

    def __init__(self, directory: Directory, ruleset: RuleSet) -> None:
        self._keys: dict[Tokens, list[str]] = {}
        self.city = city_level(directory, ruleset)
        places = _places(directory, ruleset)
        self.places: frozenset[Tokens] = frozenset(p for ps in places.values() for p in ps)
        self.province_places: frozenset[Tokens] = frozenset(
            words(ruleset.tokens(p)) for p in (directory.province, *directory.province_aliases) if p
        )
        for agency in directory:
            for key in _agency_keys(agency, ruleset, places, city=self.city):
                ids = self._keys.setdefault(key, [])
                if agency.id not in ids:
                    ids.append(agency.id)
        self._longest = max((len(k) for k in self._keys), default=0)
        # Every beginning of a name: `longest_at` stops as soon as no name goes on.
        self._prefixes = frozenset(k[:n] for k in self._keys for n in range(1, len(k) + 1))
        self._strings = [" ".join(k) for k in self._keys]
        self._by_string = {" ".join(k): k for k in self._keys}
        self._distinct = ruleset.distinguishing
        self._vocabulary = frozenset(t for k in (*self._keys, *self._distinct) for t in k)
        # Keys without spaces and doubled letters: the slips a correction may undo.
        self._squeezed: dict[str, list[Tokens]] = {}
        self._undoubled: dict[str, list[Tokens]] = {}
        for key in self._keys:
            squeezed = "".join(key)
            self._squeezed.setdefault(squeezed, []).append(key)
            self._undoubled.setdefault(_DOUBLED.sub(r"\1", squeezed), []).append(key)
        self._official: dict[str, set[Tokens]] = {}
        for agency in directory:
            self._official[agency.id] = _agency_keys(
                agency, ruleset, places, aliases=False, city=self.city
            )

    def lookup(self, key: Sequence[str]) -> tuple[str, ...]:
        """Agency ids whose key is exactly `key` (separators ignored)."""
        plain = words(key)
        if self.city is not None:
            plain = self.city.canonical(plain)[0]
        return tuple(self._keys.get(plain, ()))

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
            elif not acc:
                continue
            key = tuple(acc)
            if len(acc) > self._longest or key not in self._prefixes:
                break
            ids = self._keys.get(key)
            if ids and token != ",":
                best = NameMatch(j + 1, tuple(ids))
        return best

    def is_kind(self, tokens: Sequence[str]) -> bool:
        """Whether `tokens` is a word that tells a kind of body (`sở`, `phòng`, `cục`)."""
        return words(tokens) in self._distinct

    def is_official(self, agency_id: str, key: Sequence[str]) -> bool:
        """Whether `key` is the agency's own name (with or without its place), not an alias."""
        return words(key) in self._official.get(agency_id, set())

    def corrected(self, span: Sequence[str]) -> NameMatch | None:
        """The name `span` is, once a missing/extra space or a doubled letter is undone."""
        written = words(span)
        squeezed = "".join(written)
        if len(squeezed) < 6:
            return None
        for index, slip, form in (
            (self._squeezed, "a missing or extra space", squeezed),
            (self._undoubled, "a doubled letter", _DOUBLED.sub(r"\1", squeezed)),
        ):
            keys = index.get(form, [])  # no word changes: the kind and level are as written
            if keys:
                ids = tuple(dict.fromkeys(i for k in keys for i in self._keys[k]))
                return NameMatch(len(span), ids, "corrected", slip)
        return None

    def suggest(self, span: Sequence[str]) -> tuple[str, ...]:
        """Agencies whose name is close to `span` and of the same kind and level (best first)."""
        written = words(span)
        text = " ".join(written)
        if len(text) < 6:
            return ()
        found = process.extract(
            text, self._strings, scorer=fuzz.ratio, score_cutoff=SUGGEST_CUTOFF, limit=10
        )
        out: list[str] = []
        for string, _, _ in found:
            key = self._by_string[string]
            if self._same_kind(written, key):
                out.extend(i for i in self._keys[key] if i not in out)
        return tuple(out[:SUGGESTIONS])

    def of_same_kind(self, span: Sequence[str], agency_ids: Sequence[str]) -> tuple[str, ...]:
        """The agencies among `agency_ids` whose own name has the kind and level words of
        `span`: a name offered for glued words must not be a body of another kind or level."""
        written = words(span)
        return tuple(
            i for i in agency_ids
            if any(self._same_kind(written, key) for key in self._official.get(i, ()))
        )

    def _same_kind(self, written: Tokens, key: Tokens) -> bool:
        """Whether two names share their distinguishing words (kind, level, numbers)."""

        def marks(tokens: Sequence[str]) -> tuple[str, ...]:
            # A doubled letter ("CChi cục") hides no kind word.
            return distinguishing([_DOUBLED.sub(r"\1", t) for t in tokens], self._distinct)

        return marks(self._unglue(written)) == marks(key)

    def _unglue(self, tokens: Sequence[str]) -> list[str]:
        """Words glued by a lost space split again ("tỉnhNha" -> "tỉnh", "nha"), so that a
        kind or level word cannot hide inside an unknown word."""
        out: list[str] = []
        for token in tokens:
            if token not in self._vocabulary:
                for cut in range(1, len(token)):
                    head, tail = token[:cut], token[cut:]
                    if head in self._vocabulary and tail in self._vocabulary:
                        out += [head, tail]
                        break
                else:
                    out.append(token)
                continue
            out.append(token)
        return out


def city_level(directory: Directory, ruleset: RuleSet) -> CityLevel | None:
    """The city-level reading when the directory's province is a centrally-run city."""
    names = [words(ruleset.tokens(p)) for p in (directory.province, *directory.province_aliases)]
    bare = [n[2:] if n[:2] == ("thanh", "pho") else n for n in names]
    if not any(b in ruleset.centrally_run_cities for b in bare):
        return None
    return CityLevel([*names, *bare])


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


def _agency_keys(
    agency: Agency,
    ruleset: RuleSet,
    places: dict[str, list[Tokens]],
    aliases: bool = True,
    city: CityLevel | None = None,
) -> set[Tokens]:
    territory = agency.id if agency.id in places else agency.area
    place_names = places.get(territory or "", [])
    keys: set[Tokens] = set()
    for name in (agency.name, *(agency.aliases if aliases else ())):
        full = words(ruleset.tokens(name))
        if city is not None:
            full = city.canonical(full)[0]
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
