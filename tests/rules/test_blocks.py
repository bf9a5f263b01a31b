"""The recipient blocks on the layouts issue 9 reported, each written out as a clerk met it."""

from __future__ import annotations

import pytest

from rules import Directory, RuleSet, expand, read_document

BODY = "Thực hiện Kế hoạch số 11/KH-UBND ngày 22/01/2024 của UBND tỉnh, Sở Nội vụ đề nghị:"


def test_blank_lines_between_items_keep_every_item(khanh_hoa: Directory, rules: RuleSet) -> None:
    """Items separated by blank lines (or lines of non-breaking spaces and tabs) are all read,
    so that `Như trên` reaches the three addressees, not one."""
    for blank in ("", "\xa0", "\t \t"):
        text = (
            f"Kính gửi:\n{blank}\n- Sở Tài chính;\n{blank}\n- Sở Nội vụ;\n{blank}\n- Sở Y tế.\n"
            f"\n{BODY}\n\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n\nGIÁM ĐỐC\n\nNguyễn Văn An"
        )
        doc = read_document(text)
        assert doc.kinh_gui == ["- Sở Tài chính;", "- Sở Nội vụ;", "- Sở Y tế."]
        result = expand(doc, khanh_hoa, rules, sender="kh.ubnd-tinh")
        assert len(result.lines[3].agencies) == 3, result.lines[3]


def test_items_without_bullets_or_numbered() -> None:
    """Items one per line without bullet, numbered `1.` or lettered `a)`, are all read; a Nơi
    nhận block without bullets does not vanish."""
    plain = read_document("Nơi nhận:\nSở Tài chính;\nSở Nội vụ;\nLưu: VT.\n\nGIÁM ĐỐC")
    assert plain.noi_nhan == ["Sở Tài chính;", "Sở Nội vụ;", "Lưu: VT."]
    numbered = read_document("Kính gửi:\n1. Sở Tài chính;\n2. Sở Nội vụ.\n\n" + BODY)
    assert numbered.kinh_gui == ["Sở Tài chính;", "Sở Nội vụ."]
    lettered = read_document("Nơi nhận:\na) Sở Y tế;\nb) Lưu: VT.\n")
    assert lettered.noi_nhan == ["Sở Y tế;", "Lưu: VT."]


def test_upper_case_abbreviations_are_items_not_signature() -> None:
    """`KH&CN`, `TT. TU, UBMTTQ, UBND TP` and a wrapped `VX, TH, KTN.` stay recipient text."""
    text = (
        "Nơi nhận:\n- Các Bộ: TP; KH&CN;\n- TT. TU, UBMTTQ, UBND TP;\n"
        "- Các sở, ngành: TC; GD&ĐT; NN&MT; CT;\n- Lưu: VT,\nVX, TH, KTN.\n\n"
        "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\n\nLê Văn Bình"
    )
    doc = read_document(text)
    assert doc.noi_nhan == [
        "- Các Bộ: TP; KH&CN;",
        "- TT. TU, UBMTTQ, UBND TP;",
        "- Các sở, ngành: TC; GD&ĐT; NN&MT; CT;",
        "- Lưu: VT, VX, TH, KTN.",
    ]
    assert doc.signature == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lê Văn Bình"]


def test_bullet_alone_on_its_line() -> None:
    """A bullet alone on its line takes the item on the next line."""
    doc = read_document("Nơi nhận:\n-\nNhư Điều 3;\n-\nLưu: VT.\n")
    assert doc.noi_nhan == ["- Như Điều 3;", "- Lưu: VT."]


def test_two_columns_joined_by_spaces_keep_the_signer_out() -> None:
    """The Nơi nhận / signature table flattened onto shared lines: titles, the seal note and
    the signer's name go to the signature, the items stay whole."""
    text = (
        "Nơi nhận:                                   KT. GIÁM ĐỐC\n"
        "- Như trên;                                 PHÓ GIÁM ĐỐC\n"
        "- Sở Nội vụ (để b/c);\n"
        "- Lưu: VT, TCHC.                            (Đã ký)\n"
        "                                            Nguyễn Văn An\n"
    )
    doc = read_document(text)
    assert doc.noi_nhan == ["- Như trên;", "- Sở Nội vụ (để b/c);", "- Lưu: VT, TCHC."]
    assert doc.signature == ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC", "(Đã ký)", "Nguyễn Văn An"]
    joined = read_document("Nơi nhận: KT. GIÁM ĐỐC\n- Như trên; PHÓ GIÁM ĐỐC\n- Lưu: VT.\n")
    assert joined.noi_nhan == ["- Như trên;", "- Lưu: VT."]


@pytest.mark.parametrize("gap", ["\t", "\t\t", " " * 30])
def test_items_below_the_signers_name_beside_them_are_items(gap: str) -> None:
    """A list longer than the signature beside it (the table flattened onto shared lines, as
    .doc and PDF extraction give it) keeps the items under the signer's name: the list is not
    closed until its last item ends with a full stop."""
    rows = [
        ("Nơi nhận:", "KT. CHỦ TỊCH"),
        ("- Như trên;", "PHÓ CHỦ TỊCH"),
        ("- Sở Tư pháp;", ""),
        ("- Sở Nội vụ;", "Trần Hòa Nam"),
        ("- Sở Xây dựng;", ""),
        ("- Sở Y tế;", ""),
        ("- Lưu: VT, KT.", ""),
    ]
    text = "\n".join(f"{left}{gap}{right}".rstrip() if right else left for left, right in rows)
    doc = read_document(text + "\n")
    assert doc.noi_nhan == [
        "- Như trên;",
        "- Sở Tư pháp;",
        "- Sở Nội vụ;",
        "- Sở Xây dựng;",
        "- Sở Y tế;",
        "- Lưu: VT, KT.",
    ]
    assert doc.signature == ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Hòa Nam"]


@pytest.mark.parametrize("cells_per_line", [True, False])
def test_signature_lines_between_the_items_keep_the_list_whole(cells_per_line: bool) -> None:
    """Each cell of the two-column table on a line of its own (as some converters give it):
    the signature's lines fall between the items, and the items after the name are kept."""
    items = ["- Như trên;", "- Sở Tư pháp;", "- Sở Nội vụ;", "- Sở Xây dựng;", "- Lưu: VT."]
    signature = ["KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", "Trần Hòa Nam"]
    if cells_per_line:  # left cell, right cell, row by row
        lines = [items[0], signature[0], items[1], signature[1], items[2], signature[2]]
    else:  # the name after a blank line, below a list that goes on
        lines = [items[0], signature[0], signature[1], items[1], items[2], "", signature[2]]
    doc = read_document("Nơi nhận:\n" + "\n".join(lines + items[3:]) + "\n")
    assert doc.noi_nhan == items
    assert doc.signature == signature


def test_bullets_after_a_finished_list_and_its_signer_are_not_items() -> None:
    """Once the list ends (`Lưu` with its full stop) and the signer's name is read, bullets
    below belong to what follows the letter."""
    doc = read_document(
        "Nơi nhận:\n- Như trên;\n- Lưu: VT;\nGIÁM ĐỐC\nTrần Văn Hai\n- Mục 1 của biểu kèm theo;\n"
    )
    assert doc.noi_nhan == ["- Như trên;", "- Lưu: VT;"]


def test_seal_note_after_an_item_is_no_item() -> None:
    """`(Đã ký)` written after an item is signature text."""
    doc = read_document("Nơi nhận:\n- Sở Y tế; (Đã ký)\n- Lưu: VT.\nGIÁM ĐỐC\nTrần Văn Hai")
    assert doc.noi_nhan == ["- Sở Y tế;", "- Lưu: VT."]
    assert "(Đã ký)" in doc.signature


def test_the_block_stops_at_the_signature_before_an_appendix() -> None:
    """An appendix or a form after the signature, with its own `- ...` lines and even its own
    Nơi nhận, is not read as more items."""
    text = (
        "Nơi nhận:\n- Sở Y tế;\n- Lưu: VT.\n\nGIÁM ĐỐC\n\nTrần Văn Hai\n\nPHỤ LỤC\n"
        "Danh mục hồ sơ\n- Tờ khai;\n- Bản sao giấy phép.\n\nMẪU SỐ 01\nNơi nhận:\n- ........;\n"
    )
    doc = read_document(text)
    assert doc.noi_nhan == ["- Sở Y tế;", "- Lưu: VT."]
    assert doc.noi_nhan_unread == []


def test_quoted_labels_are_not_blocks() -> None:
    """A text quoting the labels (a style guide) keeps its real blocks."""
    text = (
        "Kính gửi: Sở Tư pháp.\n\nTheo hướng dẫn, sau “Kính gửi” ghi tên cơ quan.\n"
        '“Nơi nhận”: ghi các cơ quan nhận văn bản.\n"Kính gửi:" dùng cho công văn.\n\n'
        "Nơi nhận:\n- Như trên;\n- Lưu: VT.\n\nGIÁM ĐỐC\n\nTrần Văn Hai"
    )
    doc = read_document(text)
    assert doc.kinh_gui == ["Sở Tư pháp."]
    assert doc.noi_nhan == ["- Như trên;", "- Lưu: VT."]


def test_unreadable_text_is_flagged_for_the_clerk(khanh_hoa: Directory, rules: RuleSet) -> None:
    """Text of a block that the reader cannot take for a recipient is kept as an `unread`
    line: unresolved, never resolved to an agency, shown with the unresolved lines."""
    text = "Nơi nhận:\n- Sở Y tế;\nUBND TỈNH KHÁNH HÒA\n- Lưu: VT.\n\nGIÁM ĐỐC\n\nTrần Văn Hai"
    doc = read_document(text)
    assert doc.noi_nhan == ["- Sở Y tế;", "- Lưu: VT."]
    assert doc.noi_nhan_unread == ["UBND TỈNH KHÁNH HÒA"]
    result = expand(doc, khanh_hoa, rules, sender="kh.so-noi-vu")
    (flagged,) = [ln for ln in result.lines if ln.categories == ["unread"]]
    assert (flagged.outcome, flagged.agencies, flagged.text) == (
        "unresolved",
        [],
        "UBND TỈNH KHÁNH HÒA",
    )
    assert "could not read as a recipient" in flagged.reason
    assert flagged in result.unresolved


def test_whole_block_on_one_line_and_heading_forms() -> None:
    """The block on one line; the heading in capitals, without colon, with the first item."""
    one = read_document("NƠI NHẬN: - Như trên; - Sở Nội vụ; - Lưu: VT, TCHC.")
    assert one.noi_nhan == ["- Như trên;", "- Sở Nội vụ;", "- Lưu: VT, TCHC."]
    bare = read_document("Nơi nhận Như trên;\nSở Nội vụ;\nLưu: VT.")
    assert bare.noi_nhan == ["Như trên;", "Sở Nội vụ;", "Lưu: VT."]
    sentence = read_document("Nơi nhận hồ sơ: Bộ phận một cửa của Sở.\n")
    assert sentence.noi_nhan == []


def test_crlf_and_word_list_tabs() -> None:
    """CRLF line ends and the tab Word puts after a list bullet read like plain lines."""
    doc = read_document("Nơi nhận:\r\n-\tSở Y tế;\r\n-\tLưu: VT.\r\n")
    assert doc.noi_nhan == ["- Sở Y tế;", "- Lưu: VT."]


def test_clause_of_an_article_is_found() -> None:
    """`Document.clause(5, 3)` is khoản 3 of Điều 5, not Điều 3; None when the text lacks it."""
    text = (
        "Điều 3. Sở Y tế chủ trì.\nĐiều 5. Trách nhiệm thi hành\n1. Sở Tài chính bố trí kinh phí.\n"
        "2. Sở Nội vụ hướng dẫn.\n3. Giám đốc Sở Tư pháp, Chủ tịch UBND các huyện thi hành.\n"
        "Nơi nhận:\n- Như khoản 3 Điều 5;\n- Lưu: VT.\n"
    )
    doc = read_document(text)
    assert doc.clause(5, 3) == "3. Giám đốc Sở Tư pháp, Chủ tịch UBND các huyện thi hành."
    assert doc.clause(5, 4) is None and doc.clause(4, 1) is None
    assert doc.noi_nhan == ["- Như khoản 3 Điều 5;", "- Lưu: VT."]


def test_as_clause_reads_that_clause_of_that_article(khanh_hoa: Directory, rules: RuleSet) -> None:
    """`Như khoản 3 Điều 5` delivers to the bodies of khoản 3 of Điều 5 (not Điều 3), and is
    flagged when the text has no such clause."""
    text = (
        "Điều 3. Sở Y tế chủ trì.\nĐiều 5. Trách nhiệm thi hành\n1. Sở Tài chính bố trí.\n"
        "3. Giám đốc Sở Tư pháp thi hành.\nNơi nhận:\n- Như khoản 3 Điều 5;\n"
        "- Như khoản 4 Điều 5;\n- Lưu: VT.\n"
    )
    result = expand(read_document(text), khanh_hoa, rules, sender="kh.ubnd-tinh")
    clause, missing = result.lines[0], result.lines[1]
    assert [khanh_hoa.agencies[a].name for a in clause.agencies] == ["Sở Tư pháp tỉnh Khánh Hòa"]
    assert "khoản 3 Điều 5" in clause.reason
    assert missing.outcome == "unresolved" and "no khoản 4 Điều 5" in missing.reason


def test_sub_items_under_a_head_are_its_members(khanh_hoa: Directory, rules: RuleSet) -> None:
    """`- Các sở:` then `+ Tài chính;` `+ Nội vụ;` names those two, never every sở."""
    text = (
        "Nơi nhận:\n- Các sở:\n  + Tài chính;\n  + Nội vụ;\n- UBND tỉnh:\n  + CT, các PCT;\n"
        "  + VP UBND tỉnh;\n- Sở Y tế;\n- Lưu: VT.\n"
    )
    doc = read_document(text)
    assert doc.noi_nhan[0] == "- Các sở: Tài chính; Nội vụ;"
    assert doc.noi_nhan[2] == "- Sở Y tế;"
    result = expand(doc, khanh_hoa, rules, sender="kh.ubnd-tinh")
    assert result.lines[0].agencies == ["kh.so-tai-chinh", "kh.so-noi-vu"]
    assert result.lines[1].agencies == ["kh.vp-ubnd"]
    plus_only = read_document("Nơi nhận:\n+ Sở Y tế:\n+ Sở Nội vụ;\n+ Lưu: VT.\n")
    assert len(plus_only.noi_nhan) == 3  # one bullet throughout: no sub-items


@pytest.mark.parametrize(
    "co_addressees",
    [
        "Đồng kính gửi: Sở Tư pháp, Sở Nội vụ, UBND các huyện, thị xã.",
        "ĐỒNG KÍNH GỬI:\nSở Tư pháp, Sở Nội vụ, UBND các huyện, thị xã.",
        "Đồng gửi:\n- Sở Tư pháp, Sở Nội vụ, UBND các huyện, thị xã.",
    ],
)
def test_co_addressees_under_kinh_gui_are_addressees(co_addressees: str) -> None:
    """`Đồng kính gửi:` after a closed Kính gửi line is no body sentence: its names are
    addressees (its label kept among the markers), on its line or on the next."""
    doc = read_document(
        f"Kính gửi: Sở Y tế, Sở Tài chính.\n{co_addressees}\n\n"
        "Thực hiện ý kiến chỉ đạo của UBND tỉnh.\n\nNơi nhận:\n- Như trên;\n"
        "- Lưu: VT.\n"
    )
    assert doc.kinh_gui[0] == "Sở Y tế, Sở Tài chính."
    assert doc.kinh_gui[1].lstrip("- ") == "Sở Tư pháp, Sở Nội vụ, UBND các huyện, thị xã."
    assert len(doc.kinh_gui) == 2 and doc.kinh_gui_unread == []


def test_body_right_under_a_closed_one_line_kinh_gui() -> None:
    """`Kính gửi: Sở Y tế, Sở Tài chính.` closed by its full stop: the sentence right under it
    (no blank line) is the body, even when it starts with a body's name."""
    doc = read_document(
        "Kính gửi: Sở Y tế, Sở Tài chính.\nSở Y tế chủ trì, phối hợp với các cơ quan liên quan "
        "triển khai ngay.\n\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n"
    )
    assert doc.kinh_gui == ["Sở Y tế, Sở Tài chính."]
    assert doc.kinh_gui_unread == []


@pytest.mark.parametrize(
    "heading", ["Nơi nhận (để thực hiện):", "NƠI NHẬN (để t/h):", "- Nơi nhận:", "*Nơi nhận:*"]
)
def test_heading_variants_open_the_block(heading: str) -> None:
    """A note in brackets on the heading, a bullet typed before it, bold marks around it:
    still the heading, and its list is read."""
    doc = read_document(f"{BODY}\n\n{heading}\n- Sở Y tế;\n- Lưu: VT.\nGIÁM ĐỐC\nTrần Văn Hai\n")
    assert doc.noi_nhan == ["- Sở Y tế;", "- Lưu: VT."]
    assert doc.signature == ["GIÁM ĐỐC", "Trần Văn Hai"]


def test_a_list_under_two_headings_is_one_list() -> None:
    """`Nơi nhận (để thực hiện):` then `Nơi nhận (để biết):`: both lists are read."""
    doc = read_document(
        f"{BODY}\n\nNơi nhận (để thực hiện):\n- Sở Y tế;\n- Sở Nội vụ;\n"
        "Nơi nhận (để biết):\n- Sở Tài chính;\n- Lưu: VT.\nGIÁM ĐỐC\nTrần Văn Hai\n"
    )
    assert doc.noi_nhan == ["- Sở Y tế;", "- Sở Nội vụ;", "- Sở Tài chính;", "- Lưu: VT."]
    assert doc.signature == ["GIÁM ĐỐC", "Trần Văn Hai"]


def test_a_bulleted_sentence_naming_a_place_of_receipt_is_no_heading() -> None:
    """`- Nơi nhận hồ sơ là ...` in the body has no colon after the label: no heading."""
    doc = read_document(
        f"{BODY}\n- Nơi nhận hồ sơ là Bộ phận một cửa\n\nNơi nhận:\n- Sở Y tế;\n- Lưu: VT.\n"
    )
    assert doc.noi_nhan == ["- Sở Y tế;", "- Lưu: VT."]


@pytest.mark.parametrize(
    ("between", "block"),
    [("-", "noi_nhan"), ("- KT. GIÁM ĐỐC", "noi_nhan"), ("-", "kinh_gui"), ("+", "kinh_gui")],
)
def test_a_bullet_whose_item_never_came_is_flagged_not_doubled(between: str, block: str) -> None:
    """A bullet alone (or beside a signature title) followed by a bulleted line: the next
    item keeps its own bullet (no `- - Lưu`), and the lone bullet is put to the clerk."""
    if block == "noi_nhan":
        doc = read_document(f"Nơi nhận:\n- Sở Y tế;\n{between}\n- Lưu: VT.\n")
        assert doc.noi_nhan == ["- Sở Y tế;", "- Lưu: VT."]
        assert doc.noi_nhan_unread == [between.split(" ")[0]]
    else:
        doc = read_document(f"Kính gửi:\n{between}\n- Sở Y tế;\n- Sở Nội vụ.\n\n{BODY}\n")
        assert doc.kinh_gui == ["- Sở Y tế;", "- Sở Nội vụ."]
        assert doc.kinh_gui_unread == [between]
