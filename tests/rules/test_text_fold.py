"""`fold` (lower case, Vietnamese marks stripped) gives for every character what folding it
alone with Unicode's decomposition gives: its table's entries that map a character to itself
(which only spare `str.translate` a missed lookup) change no result."""

from __future__ import annotations

import unicodedata

from rules.text import fold


def _reference(character: str) -> str:
    """One (lower-case) character folded by its decomposition: marks dropped, đ and ð to d;
    a character that would not fold to one character stays as it is."""
    if 0x300 <= ord(character) < 0x370:
        return ""
    decomposed = unicodedata.normalize("NFD", character)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    folded = stripped.replace("đ", "d").replace("ð", "d")
    in_table = 0xC0 <= ord(character) < 0x250 or 0x1E00 <= ord(character) < 0x1F00
    return folded if in_table and len(folded) == 1 else character


def test_fold_of_every_character_is_its_decomposition_folded() -> None:
    every = [chr(code) for code in range(0x10000) if not 0xD800 <= code < 0xE000]
    lowered = "".join(every).lower()
    assert fold("".join(every)) == "".join(_reference(c) for c in lowered)


def test_fold_of_vietnamese_lines() -> None:
    assert fold("Sở Tư pháp – “Cổng TTĐT” tỉnh Khánh Hòa;") == \
        "so tu phap – “cong ttdt” tinh khanh hoa;"
    assert fold(unicodedata.normalize("NFD", "Ủy ban nhân dân")) == "uy ban nhan dan"
