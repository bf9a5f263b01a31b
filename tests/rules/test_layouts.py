"""Reading recipient blocks in every layout, against documents generated from known items.

Not circular: the expected items are the generator's input, not the reader's own idea of a
block. Each item must come back exactly once, in its section; no line may be invented (no extra
item, no unread line); and every non-blank character of a block's region must be accounted for.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules import Directory, RuleSet, blocks, expand, layout, read_document
from tests.rules.layout_gen import Generated, block_lines, documents, layouts

# Thousands of documents per run; reading one takes well under a millisecond.
MANY = settings(max_examples=2000, deadline=None)
DAY = dt.date(2024, 4, 3)
_MARK = re.compile(r"^(?:[-–—+•*·]|\d{1,2}[.)]|[a-z]\))\s*")


def plain(item: str) -> str:
    """An item without its bullet or number and its final `;` or `.`, spaces folded."""
    return " ".join(_MARK.sub("", item.strip()).rstrip(" ;.").split())


@MANY
@given(documents())
def test_every_generated_item_comes_back_once_in_its_section(doc: Generated) -> None:
    """The items read are exactly the items written, in order, section by section; the body,
    the signature, a quoted label and an appendix add nothing."""
    read = read_document(doc.text)
    assert [plain(i) for i in read.kinh_gui] == doc.kinh_gui
    assert [plain(i) for i in read.noi_nhan] == doc.noi_nhan
    assert read.kinh_gui_unread == [] and read.noi_nhan_unread == []
    assert read.signature, "the signature is recognised"


def _chars(texts: list[str]) -> Counter[str]:
    return Counter(ch for text in texts for ch in text if not ch.isspace())


@settings(max_examples=1000, deadline=None)
@given(documents())
def test_every_character_of_a_region_is_accounted_for(doc: Generated) -> None:
    """Every non-blank character of each block's region is in one item, unread line,
    signature line or marker: nothing is dropped, nothing doubled."""
    cells = layout.cells(layout.normalise(doc.text).split("\n"))
    for block in blocks.find_blocks(cells):
        outputs = block.items + block.unread + block.signature + block.markers
        assert _chars(outputs) == _chars(block.region)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), max_size=12), st.booleans())
def test_any_text_in_a_region_is_accounted_for(lines: list[str], kinh_gui: bool) -> None:
    """Whatever the block holds (any Unicode), its characters all come out somewhere."""
    head = "Kính gửi:" if kinh_gui else "Nơi nhận:"
    cells = layout.cells(layout.normalise("\n".join([head, *lines])).split("\n"))
    for block in blocks.find_blocks(cells):
        outputs = block.items + block.unread + block.signature + block.markers
        assert _chars(outputs) == _chars(block.region)


@MANY
@given(st.data())
def test_a_block_alone_reads_its_items(data: st.DataObject) -> None:
    """A Nơi nhận block on its own, in any layout, gives back its items."""
    from tests.rules.layout_gen import NOI_NHAN_ITEMS, _unambiguous

    items = data.draw(st.lists(st.sampled_from(NOI_NHAN_ITEMS), min_size=1, max_size=10))
    shape = data.draw(layouts("noi_nhan", len(items)).filter(lambda x: _unambiguous(items, x)))
    read = read_document("\n".join(block_lines(items, shape)))
    assert [plain(i) for i in read.noi_nhan] == items
    assert read.noi_nhan_unread == []


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(documents())
def test_every_generated_item_is_one_line_of_the_expansion(
    khanh_hoa: Directory, rules: RuleSet, doc: Generated
) -> None:
    """Through `expand`, each generated item is one line of its section, in order, and no
    line is flagged `unread`."""
    result = expand(read_document(doc.text), khanh_hoa, rules, DAY, "kh.so-noi-vu")
    expected = [("kinh_gui", i) for i in doc.kinh_gui] + [("noi_nhan", i) for i in doc.noi_nhan]
    assert [(ln.section, plain(ln.text)) for ln in result.lines] == expected
    assert all(ln.categories != ["unread"] for ln in result.lines)


# A generated layout that failed (signature beside the block, a column gap, the last item
# wrapped before its final number): the lone "3." and the title beside it are one cell.
_NUMBER_BESIDE_TITLE = "\n".join(
    [
        "Sở Nội vụ nhận được Công văn số 45/SYT-NV ngày 2/4/2024 của Sở Y tế.",
        "",
        "Nơi nhận:\t\tTM. ỦY BAN NHÂN DÂN",
        "{first}\t\tKT. CHỦ TỊCH",
        "{second}\t\tPHÓ CHỦ TỊCH",
        "\t3.\t\t(Đã ký)",
        "",
        "\t\tNguyễn Văn An",
    ]
)


def test_a_lone_final_number_beside_a_title_ends_its_item() -> None:
    """`- Như Điều` / `3.   (Đã ký)`: the number ends the item, whatever the bullet; it is no
    bullet waiting for an item (which the signer's name then took as `3.`)."""
    for first, second in (("- Như trên;", "- Như Điều"), ("Như trên;", "Như Điều")):
        text = _NUMBER_BESIDE_TITLE.format(first=first, second=second)
        read = read_document(text)
        assert [plain(i) for i in read.noi_nhan] == ["Như trên", "Như Điều 3"], first
        assert read.noi_nhan_unread == []
        assert read.signature[-1] == "Nguyễn Văn An"


def test_a_number_alone_beside_a_title_in_a_numbered_list_is_flagged() -> None:
    """In a numbered list `3.` could be the next item's number or the end of `Như Điều`: it
    is kept as an unread line, not made an empty item when the signer's name follows."""
    text = _NUMBER_BESIDE_TITLE.format(first="1. Như trên;", second="2. Như Điều")
    read = read_document(text)
    assert [plain(i) for i in read.noi_nhan] == ["Như trên", "Như Điều"]
    assert read.noi_nhan_unread == ["3."]
    assert read.signature[-1] == "Nguyễn Văn An"
    cells = layout.cells(layout.normalise(text).split("\n"))
    for block in blocks.find_blocks(cells):
        outputs = block.items + block.unread + block.signature + block.markers
        assert _chars(outputs) == _chars(block.region)


def test_a_semicolon_before_a_joined_title_marks_the_block_terminated() -> None:
    """No bullets, an item wrapped without indent, the signature joined after its `;` by one
    space (`Như` / `Điều 3; PHÓ CHỦ TỊCH`): the block ends its items with `;`, so the
    capitalised line is the wrap, not a new item."""
    text = "\n".join(
        [
            "Sở Nội vụ nhận được Công văn số 45/SYT-NV ngày 2/4/2024 của Sở Y tế.",
            "",
            "Nơi nhận:   TM. ỦY BAN NHÂN DÂN",
            "Như   KT. CHỦ TỊCH",
            "Điều 3; PHÓ CHỦ TỊCH",
            "Lưu: VT, TCHC.",
            "",
            "   Hồ Tấn Quang",
        ]
    )
    read = read_document(text)
    assert [plain(i) for i in read.noi_nhan] == ["Như Điều 3", "Lưu: VT, TCHC"]
    assert read.noi_nhan_unread == []
    assert read.signature == ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Hồ Tấn Quang"]
