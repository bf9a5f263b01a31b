"""Centrally-run cities: there `Thành phố` is the provincial level, not a district-level city.

In Hà Nội, TP. Hồ Chí Minh, Hải Phòng, Đà Nẵng, Cần Thơ and Huế clerks write `Thành ủy`,
`HĐND Thành phố`, `UBND TP`, `các sở, ban, ngành Thành phố`: the city's own top bodies, which
elsewhere are written with `tỉnh`. For a directory of such a city, `thành phố` after a body
word (and not before another place's name) and `thành ủy` are read as `tỉnh` and `tỉnh ủy`,
in the lines and in the directory's names alike; `UBND thành phố Thủ Đức` keeps its own level.
Which cities are centrally run is data: the rule set's `centrally_run_cities`.
"""

from __future__ import annotations

from collections.abc import Sequence

from rules.text import SEPARATORS, Tokens

_CITY: Tokens = ("thanh", "pho")
_CITY_COMMITTEE: Tokens = ("thanh", "uy")
_BEFORE_NO_BODY = frozenset({*SEPARATORS, "cac", "cap"})


class CityLevel:
    """Reads the words of a centrally-run city's own level as the provincial level."""

    def __init__(self, places: Sequence[Tokens]) -> None:
        self._places = [p for p in places if p]

    def canonical(self, tokens: Sequence[str]) -> tuple[Tokens, tuple[int, ...]]:
        """`tokens` with the city level rewritten, and each output token's input index."""
        out: list[str] = []
        origin: list[int] = []
        i = 0
        while i < len(tokens):
            pair = tuple(tokens[i : i + 2])
            if pair == _CITY_COMMITTEE and self._own(tokens, i + 2):
                out += ["tinh", "uy"]
                origin += [i, i + 1]
                i += 2
            elif pair == _CITY and self._own(tokens, i + 2) and self._after_body(tokens, i):
                out.append("tinh")
                origin.append(i)
                i += 2
            else:
                out.append(tokens[i])
                origin.append(i)
                i += 1
        return tuple(out), tuple(origin)

    def _own(self, tokens: Sequence[str], after: int) -> bool:
        """Nothing follows, or the city's own name: not `thành phố Thủ Đức`."""
        rest = tuple(tokens[after:])
        if not rest or rest[0] in SEPARATORS:
            return True
        return any(rest[: len(place)] == place for place in self._places)

    @staticmethod
    def _after_body(tokens: Sequence[str], i: int) -> bool:
        """`UBND Thành phố`, `các sở, ban, ngành Thành phố`; not `các huyện, thành phố`."""
        return i > 0 and tokens[i - 1] not in _BEFORE_NO_BODY
