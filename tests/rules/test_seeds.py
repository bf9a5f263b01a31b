"""Golden tests: the five seed documents, expanded with the shipped or test directories.

Each expectation was checked by hand against the seed's Nơi nhận block and the directory.
"""

from __future__ import annotations

import datetime as dt

from rules import (
    Directory,
    Expansion,
    RuleSet,
    choose,
    expand,
    national_directory,
    read_document,
)
from tests.rules.conftest import seed_text


def outcomes(expansion: Expansion) -> list[tuple[str, str, list[str]]]:
    """(section, outcome, categories) of every line, in order."""
    return [(ln.section, ln.outcome, ln.categories) for ln in expansion.lines]


def reasons_of(expansion: Expansion, agency_id: str) -> list[tuple[int, str]]:
    """(line, rule) of every reason that chose `agency_id`."""
    (recipient,) = [r for r in expansion.recipients if r.id == agency_id]
    return [(r.line, r.rule) for r in recipient.reasons]


def test_seed_004_every_line_accounted_for(khanh_hoa: Directory, rules: RuleSet) -> None:
    """Seed 004 (UBND tỉnh, 2023): ten lines give recipients, TT. UBND tỉnh and Lưu are excluded.

    'TT. Tỉnh ủy' and 'TT. HĐND tỉnh' address those bodies (issue 10): their category is the
    body's, with the title as a note; `leaders` is only the sender's own ('TT. UBND tỉnh')."""
    result = expand(read_document(seed_text("004")), khanh_hoa, rules, sender="kh.ubnd-tinh")
    assert result.as_of == dt.date(2023, 2, 28)
    assert outcomes(result) == [
        ("noi_nhan", "recipients", ["tinh_uy"]),
        ("noi_nhan", "recipients", ["hdnd_tinh"]),
        ("noi_nhan", "excluded", ["leaders"]),
        ("noi_nhan", "recipients", ["mttq", "doan_the"]),
        ("noi_nhan", "recipients", ["so_ban_nganh"]),
        ("noi_nhan", "recipients", ["nganh_doc"]),
        ("noi_nhan", "recipients", ["dvsn"]),
        ("noi_nhan", "recipients", ["ubnd_huyen"]),
        ("noi_nhan", "recipients", ["named"]),
        ("noi_nhan", "recipients", ["named"]),
        ("noi_nhan", "excluded", ["archive"]),
    ]
    assert result.unresolved == []
    assert result.lines[0].notes == {"electronic_only": True}


def test_seed_004_reaches_ban_qlda_through_both_categories(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """Ban QLDA Phát triển tỉnh is chosen by 'Các sở, ban, ngành' (policy) and by 'Các ĐVSN'."""
    result = expand(read_document(seed_text("004")), khanh_hoa, rules, sender="kh.ubnd-tinh")
    assert reasons_of(result, "kh.ban-qlda-phat-trien-tinh") == [
        (5, "so_ban_nganh"),
        (7, "dvsn"),
    ]
    (recipient,) = [r for r in result.recipients if r.id == "kh.ban-qlda-phat-trien-tinh"]
    assert "dvsn_in_so_ban_nganh" in recipient.reasons[0].text
    assert recipient.reasons[0].rules_version == rules.version


def test_seed_004_named_lines_and_boards(khanh_hoa: Directory, rules: RuleSet) -> None:
    """The named lines split into their bodies; 'các Ban' are the boards of the body before."""
    result = expand(read_document(seed_text("004")), khanh_hoa, rules, sender="kh.ubnd-tinh")
    lines = result.lines
    assert lines[8].agencies == ["kh.dai-ptth", "kh.bao-khanh-hoa"]
    assert lines[9].agencies == ["kh.cong-ttdt-tinh", "kh.cong-ttdt-cchc"]
    assert lines[0].agencies[0] == "kh.tinh-uy"
    assert {khanh_hoa.agencies[a].kind for a in lines[0].agencies[1:]} == {"ban_dang"}
    assert lines[1].agencies[0] == "kh.hdnd-tinh"
    assert {khanh_hoa.agencies[a].kind for a in lines[1].agencies[1:]} == {"ban_hdnd"}
    assert len(lines[7].agencies) == 9
    ids = [r.id for r in result.recipients]
    assert len(ids) == len(set(ids))
    assert "kh.ubnd-tinh" not in ids


def test_seed_000_as_above_goes_to_kinh_gui(khanh_hoa: Directory, rules: RuleSet) -> None:
    """Seed 000: 'Như trên' is Sở Nội vụ of Kính gửi, as a report, electronically; Lưu excluded."""
    result = expand(
        read_document(seed_text("000")), khanh_hoa, rules, sender="kh.ban-qlda-phat-trien-tinh"
    )
    assert outcomes(result) == [
        ("kinh_gui", "recipients", ["named"]),
        ("noi_nhan", "recipients", ["as_above"]),
        ("noi_nhan", "excluded", ["archive"]),
    ]
    assert [r.id for r in result.recipients] == ["kh.so-noi-vu"]
    assert result.lines[1].notes == {"electronic_only": True, "purpose": ["report"]}
    assert reasons_of(result, "kh.so-noi-vu") == [(1, "named"), (2, "as_above")]


def national_expansion(prefix: str, sender: str, rules: RuleSet) -> tuple[Expansion, str]:
    """Seed `prefix` expanded with the shipped national data, in the directory it chooses."""
    document = read_document(seed_text(prefix))
    choice = choose(national_directory(), document, sender)
    return expand(document, choice.directory, rules, sender=sender), choice.province


def test_seed_001_own_leaders_excluded(rules: RuleSet) -> None:
    """Seed 001 (Sở Nội vụ Quảng Trị, 2017), shipped data: Sở TT&TT receives; Lãnh đạo Sở and
    Lưu are excluded."""
    result, province = national_expansion("001", "qt.so-noi-vu", rules)
    assert province == "qt"
    assert outcomes(result) == [
        ("noi_nhan", "recipients", ["named"]),
        ("noi_nhan", "excluded", ["leaders"]),
        ("noi_nhan", "excluded", ["archive"]),
    ]
    assert [r.id for r in result.recipients] == ["qt.so-tttt"]


def test_seed_002_communes_of_the_sender_district(rules: RuleSet) -> None:
    """Seed 002 (UBND huyện Ba Tơ, 2024), shipped data: 'UBND các xã, thị trấn' is Ba Tơ's 19
    communes; the place line alone picks Quảng Ngãi."""
    result, province = national_expansion("002", "qn.ubnd-huyen-535", rules)
    assert province == "qn"
    assert choose(national_directory(), read_document(seed_text("002"))).province == "qn"
    assert outcomes(result) == [
        ("noi_nhan", "recipients", ["named"]),
        ("noi_nhan", "excluded", ["leaders"]),
        ("noi_nhan", "recipients", ["named"]),
        ("noi_nhan", "recipients", ["ubnd_xa"]),
        ("noi_nhan", "recipients", ["named"]),
        ("noi_nhan", "excluded", ["archive"]),
    ]
    directory = national_directory().directory("qn")
    communes = result.lines[3].agencies
    assert len(communes) == 19
    assert all(directory.agencies[c].parent == "qn.ubnd-huyen-535" for c in communes)
    assert result.lines[0].agencies == ["qn.so-tttt"]
    assert result.lines[2].agencies == ["qn.ba-to.phong-noi-vu"]
    assert result.lines[4].agencies == ["qn.ba-to.vp-hdnd-ubnd"]
    assert result.as_of == dt.date(2024, 3, 1)


def test_seed_003_units_under_the_sender(rules: RuleSet) -> None:
    """Seed 003 (Sở Ngoại vụ Hà Tĩnh, 2022), shipped data: the national pattern gives Sở Nội vụ
    and Sở TT&TT; 'Các phòng chuyên môn, đơn vị trực thuộc' are the sender's units."""
    result, province = national_expansion("003", "ht.so-ngoai-vu", rules)
    assert province == "ht"
    assert choose(national_directory(), read_document(seed_text("003"))).province == "ht"
    assert outcomes(result) == [
        ("noi_nhan", "recipients", ["ubnd_tinh"]),
        ("noi_nhan", "recipients", ["named"]),
        ("noi_nhan", "recipients", ["named"]),
        ("noi_nhan", "recipients", ["units_under_sender"]),
        ("noi_nhan", "excluded", ["archive"]),
    ]
    assert [ln.agencies for ln in result.lines[:4]] == [
        ["ht.ubnd-tinh"],
        ["ht.so-tttt"],
        ["ht.so-noi-vu"],
        ["ht.so-ngoai-vu.vp-thanh-tra"],
    ]
    assert result.lines[0].notes == {"purpose": ["report"]}


def test_seed_001_with_its_test_directory(quang_tri: Directory, rules: RuleSet) -> None:
    """Seed 001 with the hand-made Quảng Trị test directory gives the same answer."""
    result = expand(read_document(seed_text("001")), quang_tri, rules, sender="qt.so-noi-vu")
    assert [r.id for r in result.recipients] == ["qt.so-tttt"]


def test_seed_from_another_province_is_flagged(khanh_hoa: Directory, rules: RuleSet) -> None:
    """Seed 003 (Hà Tĩnh) with Khánh Hòa's directory: every delivery line is flagged, none sent."""
    result = expand(read_document(seed_text("003")), khanh_hoa, rules)
    assert result.recipients == []
    assert [ln.outcome for ln in result.lines] == ["unresolved"] * 4 + ["excluded"]
    assert "Hà Tĩnh" in result.lines[0].reason


def test_every_seed_expands_without_losing_a_line(khanh_hoa: Directory, rules: RuleSet) -> None:
    """Each seed's lines are its Kính gửi items then its Nơi nhận items, each exactly once."""
    for prefix in ("000", "001", "002", "003", "004"):
        doc = read_document(seed_text(prefix))
        result = expand(doc, khanh_hoa, rules)
        assert [ln.text for ln in result.lines] == doc.kinh_gui + doc.noi_nhan
        assert all(ln.reason for ln in result.lines)
