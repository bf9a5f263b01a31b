"""What the engine keeps between documents (rules/memo.py, `Segmenter.read`) changes no answer.

A router reads the same recipient lines document after document, so the pure readings of a
line are kept. These tests expand documents from a cold start and again with everything kept
(in another order, with other dates and senders in between), and require the same JSON.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from rules import Directory, RuleSet, expand, read_document, segmenter_for
from rules.memo import LONGEST, Memo, forget_all
from rules.segments import NameSegment
from tests.rules import layout_gen as gen
from tests.rules.conftest import SEEDS

HEAD = "Số: 12/SNV-VP\nKhánh Hòa, ngày 3 tháng 4 năm 2024\nTHÔNG BÁO\nNội dung.\n"
# The same bodies written differently: a kept reading must be keyed by the clerk's own words.
WRITINGS = [
    "Sở Y tế;", "SỞ Y TẾ;", "So Y te;", "Sở  Y tế (để b/c);", "Sở Y tế 02 bản giấy;",
    "Sở Nội vụ, Sở Tài chính;", "Sở Nội Vụ;", "Như trên;", "Các sở, ban, ngành (VBĐT);",
    "UBND các xã, phường;", "TT. Tỉnh ủy;", "Lãnh đạo Sở;", "Bộ Tư pháp (Cục Kiểm tra VBQPPL);",
    "Sở Tư phapp;", "SởNội vụ;", "Lưu: VT, VP.",
]


def documents() -> list[str]:
    """Seeds, every generator item, and the writings above (with and without Kính gửi)."""
    docs = [path.read_text("utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    items = gen.NOI_NHAN_ITEMS + gen.KINH_GUI_ITEMS + gen.ARCHIVE_ITEMS + WRITINGS
    block = "\n".join(f"- {item}" for item in items)
    docs.append(f"{HEAD}Nơi nhận:\n{block}\n")
    kinh_gui = "\n".join(f"- {item}" for item in gen.KINH_GUI_ITEMS)
    docs.append(f"{HEAD}Kính gửi:\n{kinh_gui}\nNội dung.\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n")
    docs += [f"{HEAD}Nơi nhận:\n- {writing}\n- Lưu: VT.\n" for writing in WRITINGS]
    return docs


CASES = [(None, None), ("kh.ubnd-tinh", None), ("kh.so-noi-vu", dt.date(2025, 8, 1))]


def expanded(text: str, directory: Directory, rules: RuleSet, case: tuple[str | None,
             dt.date | None]) -> str:
    """The expansion's JSON as text."""
    sender, day = case
    result = expand(read_document(text), directory, rules, as_of=day, sender=sender)
    return json.dumps(result.to_json(), ensure_ascii=False, sort_keys=True)


def test_kept_readings_give_the_answers_of_a_cold_start(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """Each document cold (nothing kept), then all of them again warm, in reverse order."""
    docs = documents()
    cold = {}
    for index, text in enumerate(docs):
        for case in CASES:
            forget_all()
            segmenter_for(khanh_hoa, rules).forget()
            cold[index, case] = expanded(text, khanh_hoa, rules, case)
    for index, text in reversed(list(enumerate(docs))):
        for case in reversed(CASES):
            assert expanded(text, khanh_hoa, rules, case) == cold[index, case], (index, case)


def test_a_line_is_read_once_and_cut_from_its_own_tokens(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """The kept segments are cut from the kept tokens (quoting tells them by identity)."""
    segmenter = segmenter_for(khanh_hoa, rules)
    reading = segmenter.read("Sở Y tế")
    assert segmenter.read("Sở Y tế") is reading
    assert segmenter.read("SỞ Y TẾ") is not reading  # same tokens, other words to quote
    (segment,) = segmenter.cut(reading)
    assert isinstance(segment, NameSegment) and segment.tokens is reading.tokens
    assert segmenter.cut(segmenter.read("Sở Y tế")) is segmenter.cut(reading)


def test_long_lines_are_not_kept(khanh_hoa: Directory, rules: RuleSet) -> None:
    """A pathological line (issue 11) is read afresh rather than held in memory."""
    segmenter = segmenter_for(khanh_hoa, rules)
    line = "Sở Y tế, " * (LONGEST // 8)
    assert len(line) > LONGEST
    assert segmenter.read(line) is not segmenter.read(line)


@pytest.mark.parametrize("size", [1, 3])
def test_memo_forgets_the_oldest_when_full(size: int) -> None:
    """At most `size` answers are kept; the oldest goes first."""
    memo: Memo[str, int] = Memo(size)
    for number in range(size + 2):
        memo.put(str(number), number)
    assert len(memo) == size
    assert memo.get("0") is None and memo.get(str(size + 1)) == size + 1


def test_each_segmenter_keeps_its_own_readings(
    khanh_hoa: Directory, ba_to: Directory, rules: RuleSet
) -> None:
    """One bound for all segmenters, but a line read with one directory is never answered
    with another's segments."""
    here, there = segmenter_for(khanh_hoa, rules), segmenter_for(ba_to, rules)
    line = "Sở Y tế"
    assert here.read(line) is not there.read(line)
    assert here.cut(here.read(line)) != there.cut(there.read(line))
