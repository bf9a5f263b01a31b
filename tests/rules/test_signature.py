"""The signature is recognised by what it is: an e-signature stamp's lines, not list items
that happen to start with the same label."""

from __future__ import annotations

import pytest

from rules import read_document
from rules.signature import is_seal

STAMP = (
    "Ký bởi: Sở Y tế tỉnh Khánh Hòa\nEmail: soyte@khanhhoa.gov.vn\n"
    "Cơ quan: Tỉnh Khánh Hòa\nThời gian ký: 12.03.2024 10:15:23 +07:00"
)


@pytest.mark.parametrize("bullet", ["- ", "+ ", "", "1. "])
@pytest.mark.parametrize(
    "item",
    [
        "Email: vanthu@khanhhoa.gov.vn;",
        "email: vanthu@khanhhoa.gov.vn;",
        "Cơ quan: Văn phòng UBND tỉnh;",
    ],
)
def test_a_stamp_label_on_a_list_item_keeps_it_in_the_list(bullet: str, item: str) -> None:
    """`- Email: ...;` ends like an item, so it is one: in the list, in its place, nothing of
    it in the signature and no bullet doubled on the item after it."""
    text = f"Nơi nhận:\n{bullet}Sở Y tế;\n{bullet}{item}\n{bullet}Lưu: VT.\n"
    doc = read_document(text)
    number = "" if bullet == "1. " else bullet
    assert doc.noi_nhan == [f"{number}Sở Y tế;", f"{number}{item}", f"{number}Lưu: VT."]
    assert doc.signature == [] and doc.noi_nhan_unread == []


def test_the_stamp_itself_stays_signature() -> None:
    """The lines the signing software prints under the title are still the signature."""
    doc = read_document(f"Nơi nhận:\n- Sở Y tế;\n- Lưu: VT.\nGIÁM ĐỐC\n{STAMP}\nTrần Văn Hai\n")
    assert doc.noi_nhan == ["- Sở Y tế;", "- Lưu: VT."]
    assert doc.signature == ["GIÁM ĐỐC", *STAMP.split("\n"), "Trần Văn Hai"]


@pytest.mark.parametrize(
    ("text", "seal"),
    [
        ("(Đã ký)", True),
        ("Email: soyte@khanhhoa.gov.vn", True),
        ("Thời gian ký: 12.03.2024 10:15:23 +07:00", True),
        ("Email: soyte@khanhhoa.gov.vn;", False),
        ("Ký bởi: Sở Y tế,", False),
    ],
)
def test_a_stamp_line_ends_with_no_list_punctuation(text: str, seal: bool) -> None:
    """A stamp line with the `;` or `,` of a list item is no stamp."""
    assert is_seal(text) is seal
