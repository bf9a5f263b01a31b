"""Abbreviations written in pieces (`Sở LĐ-TB-XH`, `Sở VH-TT&DL`, `Sở LĐ TB XH`) read as the
abbreviation itself when its letters are the initials of its words; nothing else is glued."""

from __future__ import annotations

import datetime as dt
import unicodedata

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from rules import Directory, RuleSet, expand, read_document
from rules.defaults import DEFAULT_RULES
from rules.text import Abbreviations, raw_tokens

# The shipped table as written in the file, read without the code under test.
TABLE: dict[str, str] = yaml.safe_load(DEFAULT_RULES.read_text(encoding="utf-8"))["abbreviations"]


def _initials(long: str) -> str:
    """The first letters of the words of `long`, `và` left out, marks and đ folded."""
    folded = unicodedata.normalize("NFD", long.lower().replace("đ", "d"))
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return "".join(w[0] for w in plain.replace(",", " ").split() if w != "va")


def _letters(short: str) -> str:
    folded = unicodedata.normalize("NFD", short.lower().replace("đ", "d"))
    return "".join(c for c in folded if c.isalpha() and c.isascii())


# The abbreviations whose letters are their words' initials, four letters or more.
INITIALISMS = sorted(
    (letters, long)
    for short, long in TABLE.items()
    if len(letters := _letters(short)) >= 4 and letters == _initials(long)
)


def test_the_shipped_table_has_initialisms() -> None:
    """The cases below are not vacuous: LĐTB&XH and VHTTDL are among them."""
    letters = {letters for letters, _ in INITIALISMS}
    assert {"ldtbxh", "vhttdl", "gtvt", "tnmt", "khdt"} <= letters


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_an_initialism_cut_anywhere_reads_as_its_long_form(data: st.DataObject) -> None:
    """Wherever its letters are cut, and whatever joins the pieces (`-`, ` - `, `&`, a
    space), an initialism expands to its long form."""
    letters, long = data.draw(st.sampled_from(INITIALISMS))
    cuts = sorted(data.draw(st.sets(st.integers(1, len(letters) - 1), min_size=1)))
    pieces = [letters[a:b] for a, b in zip([0, *cuts], [*cuts, len(letters)], strict=True)]
    joins = data.draw(st.lists(st.sampled_from(["-", " - ", "&", " ", " & "]),
                               min_size=len(pieces) - 1, max_size=len(pieces) - 1))
    written = pieces[0] + "".join(j + p for j, p in zip(joins, pieces[1:], strict=True))
    table = Abbreviations(TABLE)
    assert table.expand(raw_tokens(f"Sở {written.upper()} tỉnh")) == (
        "so", *raw_tokens(long), "tinh"
    )


@pytest.mark.parametrize(
    "line",
    ["Sở Y tế", "V P UBND", "C T UBND tỉnh", "xã Tân Định", "Sở TC, Sở XD", "Hội ND tỉnh"],
)
def test_words_that_spell_no_initialism_are_left_alone(line: str) -> None:
    """Ordinary words and short keys (`CT`, `VP`) are never glued from stray pieces."""
    table = Abbreviations(TABLE)
    alone = [table.expand(raw_tokens(word)) for word in line.split()]
    assert table.expand(raw_tokens(line)) == tuple(t for part in alone for t in part)


def test_the_longer_reading_wins() -> None:
    """`VH-TT-DL` is Văn hóa, Thể thao và Du lịch, not `VH-TT` (Văn hóa và Thể thao) + `DL`."""
    table = Abbreviations(TABLE)
    assert table.expand(raw_tokens("VH-TT-DL")) == raw_tokens("văn hóa thể thao và du lịch")


@pytest.mark.parametrize("written", ["Sở LĐ-TB-XH", "Sở LĐ - TB - XH", "Sở LĐ-TBXH", "Sở LĐ TB XH"])
def test_an_old_department_in_pieces_reaches_its_successor(
    written: str, khanh_hoa: Directory, rules: RuleSet
) -> None:
    """Before 2025-03-01 the department itself; after it, its successor in the directory
    (Sở Nội vụ, per kh.so-ldtbxh's `successor`), with the reason saying so."""
    doc = read_document(f"Nơi nhận:\n- {written};\n- Lưu: VT.\n")
    before = expand(doc, khanh_hoa, rules, as_of=dt.date(2024, 5, 1))
    after = expand(doc, khanh_hoa, rules, as_of=dt.date(2026, 3, 1))
    assert before.lines[0].agencies == ["kh.so-ldtbxh"]
    assert after.lines[0].agencies == ["kh.so-noi-vu"]
    assert "which ended on 2025-02-28; its successor on 2026-03-01 is Sở Nội vụ" in (
        after.lines[0].reason
    )
