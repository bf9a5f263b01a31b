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


@pytest.mark.parametrize("label", ["Email: vanthu@khanhhoa.gov.vn", "Cơ quan: Văn phòng UBND"])
def test_after_a_bullet_a_stamp_label_is_an_item_even_unterminated(label: str) -> None:
    """In a list whose items end with no `;`, `- Email: ...` is still an item: a bullet
    starts an item, and these labels are what items say too."""
    doc = read_document(f"Nơi nhận:\n- Sở Y tế\n- {label}\n- Lưu: VT\n")
    assert doc.noi_nhan == ["- Sở Y tế", f"- {label}", "- Lưu: VT"]
    assert doc.signature == [] and doc.noi_nhan_unread == []


def test_after_a_bullet_the_signing_lines_stay_signature() -> None:
    """`- Ký bởi: ...` (a bullet of the left column beside the stamp) is the stamp still."""
    assert is_seal("Ký bởi: Sở Y tế", bulleted=True)
    assert is_seal("Thời gian ký: 12.03.2024 10:15:23 +07:00", bulleted=True)
    assert not is_seal("Email: soyte@khanhhoa.gov.vn", bulleted=True)
