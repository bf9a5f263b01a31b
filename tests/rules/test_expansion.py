"""Expansion: dating, successors, splitting, policy flags, scope and the hard cases."""

from __future__ import annotations

import datetime as dt

import pytest

from rules import Directory, RuleSet, UnknownSenderError, expand, read_document
from rules.expansion import Expansion

BROADCAST = """Nơi nhận:
- Các sở, ban, ngành;
- UBND các huyện, thị xã, thành phố;
- Lưu: VT.
"""


def run(
    text: str, directory: Directory, rules: RuleSet, day: str, sender: str | None = None
) -> Expansion:
    """Expand `text` as of `day` (YYYY-MM-DD)."""
    return expand(read_document(text), directory, rules, dt.date.fromisoformat(day), sender)


def test_districts_before_and_after_2025(khanh_hoa: Directory, rules: RuleSet) -> None:
    """The same block gives the 9 districts on 2024-05-01 and a flagged line on 2026-03-01."""
    before = run(BROADCAST, khanh_hoa, rules, "2024-05-01", "kh.ubnd-tinh")
    after = run(BROADCAST, khanh_hoa, rules, "2026-03-01", "kh.ubnd-tinh")
    assert before.lines[1].outcome == "recipients"
    assert len(before.lines[1].agencies) == 9
    assert after.lines[1].outcome == "unresolved"
    assert after.lines[1].agencies == []
    assert "no members on 2026-03-01" in after.lines[1].reason
    assert "2025-06-30" in after.lines[1].reason
    assert "abolished on 2025-07-01" in after.lines[1].reason


def test_ended_department_resolves_to_successor(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Sở Thông tin và Truyền thông' on a 2026 document is Sở Khoa học và Công nghệ, saying why."""
    text = "Nơi nhận:\n- Sở Thông tin và Truyền thông;\n"
    old = run(text, khanh_hoa, rules, "2024-05-01")
    new = run(text, khanh_hoa, rules, "2026-03-01")
    assert old.lines[0].agencies == ["kh.so-tttt"]
    assert new.lines[0].agencies == ["kh.so-khcn"]
    assert new.lines[0].outcome == "recipients"
    assert "ended on 2025-02-28" in new.lines[0].reason
    assert "successor" in new.lines[0].reason


def test_a_predecessor_of_the_sender_is_not_a_delivery_to_itself(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'UBND tỉnh Ninh Thuận' on a 2026 document of UBND tỉnh Khánh Hòa names the sender's own
    predecessor: excluded with the succession, never a delivery to the sender."""
    result = run("Nơi nhận:\n- UBND tỉnh Ninh Thuận;\n", khanh_hoa, rules, "2026-03-01",
                 "kh.ubnd-tinh")
    line = result.lines[0]
    assert line.outcome == "excluded" and line.agencies == []
    assert result.recipients == []
    assert "the sender itself" in line.reason and "successor" in line.reason


def test_policy_flag_off_leaves_dvsn_out(khanh_hoa: Directory, rules: RuleSet) -> None:
    """With dvsn_in_so_ban_nganh off, 'Các sở, ban, ngành' no longer reaches Ban QLDA."""
    strict = rules.with_policy(version="kh-2026.1", dvsn_in_so_ban_nganh=False)
    on = run(BROADCAST, khanh_hoa, rules, "2024-05-01", "kh.ubnd-tinh")
    off = run(BROADCAST, khanh_hoa, strict, "2024-05-01", "kh.ubnd-tinh")
    assert "kh.ban-qlda-phat-trien-tinh" in on.lines[0].agencies
    assert "kh.ban-qlda-phat-trien-tinh" not in off.lines[0].agencies
    assert {khanh_hoa.agencies[a].kind for a in off.lines[0].agencies} == {"so", "ban"}
    assert off.recipients[0].reasons[0].rules_version == "kh-2026.1"


def test_prefix_list_splits_into_bodies(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Các Sở: Nội vụ, Tài chính và Y tế' gives the three departments."""
    result = run(
        "Nơi nhận:\n- Các Sở: Nội vụ, Tài chính và Y tế;\n", khanh_hoa, rules, "2024-01-01"
    )
    assert result.lines[0].agencies == ["kh.so-noi-vu", "kh.so-tai-chinh", "kh.so-y-te"]
    assert result.lines[0].outcome == "recipients"


def test_ocr_accents_and_titles(khanh_hoa: Directory, rules: RuleSet) -> None:
    """Dropped accents and a title in front still name the right body; the title addresses it
    (category of the body, not `leaders`), and the lost accents are a stated correction."""
    text = "Nơi nhận:\n- Giam doc So Noi vu;\n- Chủ tịch UBND tỉnh;\n- Sở Tư pháp;\n"
    result = run(text, khanh_hoa, rules, "2024-01-01", "kh.so-tai-chinh")
    assert [ln.agencies for ln in result.lines] == [
        ["kh.so-noi-vu"],
        ["kh.ubnd-tinh"],
        ["kh.so-tu-phap"],
    ]
    assert result.lines[1].categories == ["ubnd_tinh"]
    assert result.lines[1].parts[0]["title"] == "Chủ tịch"
    assert [ln.parts[0]["confidence"] for ln in result.lines] == ["corrected", "alias", "exact"]
    assert "diacritics restored in 'So Noi vu'" in result.lines[0].reason


def test_doubled_letter_is_a_stated_correction(khanh_hoa: Directory, rules: RuleSet) -> None:
    """A doubled letter ('Sở Tư phapp') changes no word: delivered, and the reason says so."""
    result = run("Nơi nhận:\n- Sở Tư phapp;\n", khanh_hoa, rules, "2024-01-01")
    assert result.lines[0].agencies == ["kh.so-tu-phap"]
    assert "corrected: a doubled letter in 'Sở Tư phapp'" in result.lines[0].reason
    assert result.recipients[0].reasons[0].confidence == "corrected"


def test_unknown_body_before_va_keeps_the_line_whole(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Báo Nhân Dân và Đài PT-TH': split only where each part resolves (issue 10), so nothing is
    delivered; Đài PT-TH is offered to the clerk as a suggestion."""
    result = run("Nơi nhận:\n- Báo Nhân Dân và Đài PT-TH;\n", khanh_hoa, rules, "2024-01-01")
    line = result.lines[0]
    assert line.outcome == "unresolved"
    assert line.agencies == [] and result.recipients == []
    assert "not split at 'và'" in line.reason
    assert [s["id"] for s in line.suggestions] == ["kh.dai-ptth"]


@pytest.mark.parametrize(
    ("text", "offered"),
    [
        ("Sở Nội vụ và Trung tâm Kiểm soát bệnh tật", "kh.so-noi-vu"),
        ("Trung tâm Kiểm soát bệnh tật và Sở Nội vụ", "kh.so-noi-vu"),
        ("UBND phường Nha Trag và UBND xã Cam Lâm", "kh.ubnd-xa2025-22453"),
    ],
)
def test_a_body_read_beside_an_unsplit_va_is_offered(
    khanh_hoa: Directory, rules: RuleSet, text: str, offered: str
) -> None:
    """Whatever its kind, a body read exactly on one side of an unsplit 'và' is offered to the
    clerk (never delivered), as Đài PT-TH is beside Báo Nhân Dân."""
    result = run(f"Nơi nhận:\n- {text};\n", khanh_hoa, rules, "2026-03-01", "kh.ubnd-tinh")
    line = result.lines[0]
    assert line.outcome == "unresolved" and line.agencies == []
    assert offered in [s["id"] for s in line.suggestions]


def test_diacritics_written_exactly_tell_namesakes_apart(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'UBND xã Thành Hải' and 'UBND xã Thanh Hải' (Ninh Thuận, 2024) fold alike: written with
    their marks each is its own commune; without marks the line stays a question."""
    text = "Nơi nhận:\n- UBND xã Thành Hải;\n- UBND xã Thanh Hải;\n- UBND xa Thanh Hai;\n"
    result = run(text, khanh_hoa, rules, "2024-03-03", "nt.ubnd-tinh")
    assert result.lines[0].agencies == ["nt.ubnd-xa-22774"]
    assert result.lines[1].agencies == ["nt.ubnd-xa-22868"]
    assert result.lines[2].outcome == "unresolved" and result.lines[2].agencies == []


def test_ambiguous_name_is_flagged(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'UBND huyện' from a provincial sender names nine districts: flagged, nobody chosen."""
    result = run("Nơi nhận:\n- UBND huyện;\n", khanh_hoa, rules, "2024-01-01", "kh.ubnd-tinh")
    assert result.lines[0].outcome == "unresolved"
    assert "ambiguous" in result.lines[0].reason


def test_as_above_without_kinh_gui_is_flagged(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Như trên' in a document without Kính gửi is flagged, not dropped."""
    result = run("Nơi nhận:\n- Như trên;\n- Lưu: VT.\n", khanh_hoa, rules, "2024-01-01")
    assert result.lines[0].outcome == "unresolved"
    assert "no Kính gửi" in result.lines[0].reason


def test_as_article_reads_the_article(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Như Điều 3' gives the bodies named in Điều 3; a missing article is flagged."""
    text = (
        "QUYẾT ĐỊNH\nĐiều 1. Ban hành kèm theo.\nĐiều 3. Chánh Văn phòng UBND tỉnh, Giám đốc "
        "Sở Nội vụ và Thủ trưởng các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành.\n"
        "Nơi nhận:\n- Như Điều 3;\n- Như Điều 4;\n- Lưu: VT.\n"
    )
    result = run(text, khanh_hoa, rules, "2024-01-01", "kh.ubnd-tinh")
    assert result.lines[0].outcome == "recipients"
    assert result.lines[0].agencies == ["kh.vp-ubnd", "kh.so-noi-vu"]
    assert result.lines[1].outcome == "unresolved"
    assert "no Điều 4" in result.lines[1].reason


def test_as_article_flags_the_bodies_it_cannot_read(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Như Điều 3' never reads 'Giám đốc Sở Tư phsp' as every Sở; it and the other bodies of
    the article no name reads (an unknown centre, an abolished district) are put to the clerk,
    while the bodies it does name receive it."""
    text = (
        "QUYẾT ĐỊNH\nĐiều 1. Phê duyệt.\nĐiều 3. Chánh Văn phòng UBND tỉnh, Giám đốc Sở Tài "
        "chính, Giám đốc Sở Tư phsp, Giám đốc Trung tâm Kiểm soát bệnh tật tỉnh, Chủ tịch UBND "
        "huyện Cam Lâm và Thủ trưởng các cơ quan, đơn vị có liên quan chịu trách nhiệm thi hành "
        "Quyết định này./.\nNơi nhận:\n- Như Điều 3;\n- Lưu: VT.\n"
    )
    result = run(text, khanh_hoa, rules, "2025-10-10", "kh.ubnd-tinh")
    line = result.lines[0]
    assert line.agencies == ["kh.vp-ubnd", "kh.so-tai-chinh"]
    assert line.outcome == "unresolved"
    questions = " | ".join(p["reason"] for p in line.parts if p["outcome"] == "unresolved")
    assert "Tư phsp" in questions and "Kiểm soát bệnh tật" in questions
    assert "Cam Lâm" in questions and "Điều 3" in questions
    assert "kh.so-tu-phap" in [s["id"] for s in line.suggestions]


def test_communes_scoped_to_the_sender_area(ba_to: Directory, rules: RuleSet) -> None:
    """'UBND các xã' from a provincial sender is every commune of the province in the directory."""
    text = "Nơi nhận:\n- UBND các xã, thị trấn;\n"
    district = run(text, ba_to, rules, "2024-01-01", "qn.ubnd-huyen-535")
    province = run(text, ba_to, rules, "2024-01-01", "qn.ubnd-tinh")
    assert len(district.lines[0].agencies) == 19
    assert set(district.lines[0].agencies) <= set(province.lines[0].agencies)


def test_relative_category_without_sender_is_flagged(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Các phòng chuyên môn, đơn vị trực thuộc' needs a sender; without one it is flagged."""
    result = run(
        "Nơi nhận:\n- Các phòng chuyên môn, đơn vị trực thuộc;\n", khanh_hoa, rules, "2024-01-01"
    )
    assert result.lines[0].outcome == "unresolved"
    assert "sender" in result.lines[0].reason


def test_unknown_sender_is_an_error(khanh_hoa: Directory, rules: RuleSet) -> None:
    """A sender id that is not in the directory is refused with its name."""
    with pytest.raises(UnknownSenderError, match=r"kh\.nowhere"):
        run(BROADCAST, khanh_hoa, rules, "2024-01-01", "kh.nowhere")


def test_recipient_once_with_every_reason(khanh_hoa: Directory, rules: RuleSet) -> None:
    """An agency named on two lines appears once, with both reasons."""
    text = "Nơi nhận:\n- Sở Nội vụ;\n- Các sở, ban, ngành;\n"
    result = run(text, khanh_hoa, rules, "2024-01-01")
    (noi_vu,) = [r for r in result.recipients if r.id == "kh.so-noi-vu"]
    assert [(r.line, r.rule) for r in noi_vu.reasons] == [(1, "named"), (2, "so_ban_nganh")]


def test_json_has_the_stable_keys(khanh_hoa: Directory, rules: RuleSet) -> None:
    """to_json() carries the keys other tools read: document, lines, recipients."""
    data = run(BROADCAST, khanh_hoa, rules, "2024-01-01", "kh.ubnd-tinh").to_json()
    assert set(data["document"]) >= {"number", "issuer", "date", "urgency"}
    line = data["lines"][0]
    assert set(line) >= {"section", "text", "outcome", "categories", "agencies", "notes", "reason"}
    reason = data["recipients"][0]["reasons"][0]
    assert set(reason) >= {"line", "rule", "rules_version"}


def test_unknown_body_after_a_title_word_is_not_excluded(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'Trường THPT Lý Tự Trọng' (not in the directory) is flagged, never taken as own leaders."""
    result = run("Nơi nhận:\n- Trường THPT Lý Tự Trọng;\n", khanh_hoa, rules, "2024-01-01")
    assert result.lines[0].outcome == "unresolved"
    assert "no agency named" in result.lines[0].reason


def test_title_alone_is_the_sender_leadership(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Giám đốc' and 'Lãnh đạo Sở' alone are the sender's own leaders: excluded with the reason."""
    text = "Nơi nhận:\n- Giám đốc;\n- Lãnh đạo Sở;\n- Lưu: VT.\n"
    result = run(text, khanh_hoa, rules, "2024-01-01", "kh.so-noi-vu")
    assert [ln.outcome for ln in result.lines] == ["excluded"] * 3
    assert "own leaders" in result.lines[0].reason
