"""Golden tests of issue 10: each phrase read as the clerk meant it (our own examples)."""

from __future__ import annotations

import datetime as dt

import pytest

from rules import Directory, RuleSet, expand, load_directory, read_document
from rules.expansion import Expansion, LineOutcome

DAY = dt.date(2024, 5, 1)


def run(text: str, directory: Directory, rules: RuleSet, sender: str | None) -> Expansion:
    """Expand a Nơi nhận block of `- item;` lines."""
    block = "\n".join(f"- {item};" for item in text.strip().splitlines())
    return expand(read_document(f"Nơi nhận:\n{block}"), directory, rules, DAY, sender)


def line(text: str, directory: Directory, rules: RuleSet, sender: str | None) -> LineOutcome:
    """The one line of a one-item block."""
    (outcome,) = run(text, directory, rules, sender).lines
    return outcome


def kinds(outcome: LineOutcome, directory: Directory) -> set[str]:
    """The kinds of the agencies a line reached."""
    return {directory.agencies[a].kind for a in outcome.agencies}


# --- Wrong deliveries -------------------------------------------------------------------


def test_chief_of_office_is_the_office(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'CVP UBND tỉnh' is the Chief of Office of UBND tỉnh: Văn phòng UBND tỉnh, with the title."""
    for sender in ("kh.ubnd-tinh", "kh.so-y-te"):
        outcome = line("CVP UBND tỉnh", khanh_hoa, rules, sender)
        assert outcome.agencies == ["kh.vp-ubnd"]
        assert outcome.parts[0]["title"] == "CVP"


@pytest.mark.parametrize(
    "sender", ["kh.ubnd-tinh", "kh.so-tai-chinh", "kh.ban-qlda-phat-trien-tinh"]
)
def test_leaders_read_the_same_with_or_without_the_level(
    khanh_hoa: Directory, rules: RuleSet, sender: str
) -> None:
    """'Chủ tịch, các PCT UBND' and '... UBND tỉnh' get one reading for one sender: excluded
    when the sender is UBND tỉnh itself, delivered to UBND tỉnh for a body under it."""
    bare = line("Chủ tịch, các PCT UBND", khanh_hoa, rules, sender)
    full = line("Chủ tịch, các PCT UBND tỉnh", khanh_hoa, rules, sender)
    assert (bare.outcome, bare.agencies) == (full.outcome, full.agencies)
    if sender == "kh.ubnd-tinh":
        assert full.outcome == "excluded" and full.categories == ["leaders"]
    else:
        assert full.agencies == ["kh.ubnd-tinh"] and full.categories == ["ubnd_tinh"]


def test_own_leaders_only_when_the_word_fits_the_sender(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'Lãnh đạo Sở' is excluded for a Sở; from UBND tỉnh it is a question, not an exclusion."""
    assert line("Lãnh đạo Sở", khanh_hoa, rules, "kh.so-y-te").outcome == "excluded"
    question = line("Lãnh đạo Sở", khanh_hoa, rules, "kh.ubnd-tinh")
    assert question.outcome == "unresolved"
    assert "whose leaders" in question.reason


@pytest.mark.parametrize(
    "text",
    [
        "Các phòng chuyên môn thuộc Sở",
        "Các phòng chuyên môn thuộc UBND huyện",
        "Các phòng, đơn vị thuộc Văn phòng",
    ],
)
def test_own_units_only_when_the_word_fits_the_sender(
    khanh_hoa: Directory, rules: RuleSet, text: str
) -> None:
    """'Các phòng thuộc Sở' from UBND tỉnh is a question, never every body under UBND tỉnh."""
    question = line(text, khanh_hoa, rules, "kh.ubnd-tinh")
    assert question.outcome == "unresolved"
    assert question.agencies == []
    assert "whose units" in question.reason


def test_own_units_of_a_fitting_sender(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Các phòng chuyên môn thuộc Sở' from a Sở, and the bare words, stay the sender's units."""
    for text, sender in [
        ("Các phòng chuyên môn thuộc Sở", "kh.so-noi-vu"),
        ("Các đơn vị trực thuộc", "kh.ubnd-tinh"),
        ("Các phòng chuyên môn thuộc UBND huyện", "kh.ubnd-huyen-568"),
    ]:
        outcome = line(text, khanh_hoa, rules, sender)
        assert outcome.categories == ["units_under_sender"], (text, sender)
        assert "whose units" not in outcome.reason


# --- Categories read narrower or wider than written -------------------------------------


def test_departments_and_mass_organisations(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Các sở, ban, ngành, đoàn thể tỉnh' reaches the departments and the đoàn thể."""
    outcome = line("Các sở, ban, ngành, đoàn thể tỉnh", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.categories == ["so_ban_nganh", "doan_the"]
    assert {"so", "ban", "dvsn", "doan_the"} <= kinds(outcome, khanh_hoa)
    plain = line("Các sở, ban, ngành", khanh_hoa, rules, "kh.ubnd-tinh")
    assert "doan_the" not in kinds(plain, khanh_hoa)


@pytest.mark.parametrize("text", ["Các Ban của HĐND tỉnh", "Các Ban HĐND", "Các ban HĐND tỉnh"])
def test_boards_of_the_council(khanh_hoa: Directory, rules: RuleSet, text: str) -> None:
    """The Ban of HĐND are the council's boards, never boards under UBND tỉnh."""
    outcome = line(text, khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.categories == ["hdnd_tinh"]
    assert kinds(outcome, khanh_hoa) == {"ban_hdnd"}


def test_prefix_with_short_forms(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Sở: XD, TC, GD&ĐT' is three departments, quoted as written; not every department."""
    outcome = line("Sở: XD, TC, GD&ĐT", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.agencies == ["kh.so-xay-dung", "kh.so-tai-chinh", "kh.so-gddt"]
    assert [p["text"] for p in outcome.parts] == ["Sở XD", "Sở TC", "Sở GD&ĐT"]
    # "TP" and "CT" are Tư pháp and Công Thương after "Sở:", not "thành phố" and "chủ tịch".
    assert line("Các Sở: TP, CT", khanh_hoa, rules, None).agencies == [
        "kh.so-tu-phap",
        "kh.so-cong-thuong",
    ]


def test_prefix_with_an_unknown_member(khanh_hoa: Directory, rules: RuleSet) -> None:
    """An unknown member is asked about; the others still receive; 'Sở' is never all of them."""
    outcome = line("Sở: Nội vụ, XYZ", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.outcome == "unresolved"
    assert outcome.agencies == ["kh.so-noi-vu"]
    assert "no agency named 'Sở XYZ'" in outcome.reason
    alone = line("Sở: XYZ", khanh_hoa, rules, "kh.ubnd-tinh")
    assert alone.agencies == [] and alone.outcome == "unresolved"


def test_units_under_a_named_body_are_one_phrase(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Các cơ quan, đơn vị thuộc UBND tỉnh' is not split at its comma: the units whose parent
    is UBND tỉnh (departments, boards, ĐVSN), not its districts and communes."""
    outcome = line("Các cơ quan, đơn vị thuộc UBND tỉnh", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.outcome == "recipients"
    assert outcome.categories == ["units_of_named"]
    assert kinds(outcome, khanh_hoa) == {"so", "ban", "dvsn"}
    assert all(khanh_hoa.agencies[a].parent == "kh.ubnd-tinh" for a in outcome.agencies)


def test_shared_head_and_tail_at_the_province(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'TT HĐND, UBND, UBMTTQVN tỉnh': TT and tỉnh belong to each member."""
    from_department = line("TT HĐND, UBND, UBMTTQVN tỉnh", khanh_hoa, rules, "kh.so-y-te")
    assert from_department.agencies == ["kh.hdnd-tinh", "kh.ubnd-tinh", "kh.mttq"]
    assert from_department.categories == ["hdnd_tinh", "ubnd_tinh", "mttq"]
    assert from_department.parts[0]["text"] == "TT HĐND tỉnh"
    from_committee = line("TT HĐND, UBND, UBMTTQVN tỉnh", khanh_hoa, rules, "kh.ubnd-tinh")
    assert from_committee.agencies == ["kh.hdnd-tinh", "kh.mttq"]
    assert "ambiguous" not in from_committee.reason


def test_shared_tail_at_the_communes(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'TT HĐND, UBND, UBMTTQVN các xã, phường': commune bodies, never provincial ones. The
    directory holds no commune HĐND or MTTQ: those are asked about, the UBND are delivered."""
    outcome = line("TT HĐND, UBND, UBMTTQVN các xã, phường", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.outcome == "unresolved"
    assert kinds(outcome, khanh_hoa) == {"ubnd_xa"}
    assert "kh.mttq" not in outcome.agencies and "kh.hdnd-tinh" not in outcome.agencies
    assert "ambiguous" not in outcome.reason
    alone = line("UBMTTQVN các xã, phường", khanh_hoa, rules, "kh.ubnd-tinh")
    assert alone.agencies == [] and alone.outcome == "unresolved"


def test_va_inside_a_name(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'VP Đoàn ĐBQH và HĐND tỉnh' is the merged office; 'Bộ Khoa học và Công nghệ' is one
    name (the ministry, which the shipped data holds), neither split nor read as Sở Khoa học
    và Công nghệ."""
    office = line("VP Đoàn ĐBQH và HĐND tỉnh", khanh_hoa, rules, "kh.ubnd-tinh")
    assert office.agencies == ["kh.vp-doan-dbqh-hdnd"]
    ministry = line("Bộ Khoa học và Công nghệ", khanh_hoa, rules, "kh.ubnd-tinh")
    assert ministry.agencies == ["tw.bo-khcn"] and ministry.suggestions == []
    both = line("Đài PT-TH và Báo Khánh Hòa", khanh_hoa, rules, "kh.ubnd-tinh")
    assert both.agencies == ["kh.dai-ptth", "kh.bao-khanh-hoa"]


@pytest.mark.parametrize(
    ("text", "agency", "category"),
    [
        ("Thường trực Tỉnh ủy", "kh.tinh-uy", "tinh_uy"),
        ("TT. HĐND tỉnh", "kh.hdnd-tinh", "hdnd_tinh"),
        ("Thường trực HĐND tỉnh", "kh.hdnd-tinh", "hdnd_tinh"),
        ("TT.TU", "kh.tinh-uy", "tinh_uy"),
    ],
)
def test_a_title_addresses_its_body(
    khanh_hoa: Directory, rules: RuleSet, text: str, agency: str, category: str
) -> None:
    """A title before another body gives that body's category and a title note, not leaders."""
    outcome = line(text, khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.agencies == [agency]
    assert outcome.categories == [category]
    assert outcome.parts[0]["title"]


def test_a_unit_in_brackets_is_the_recipient(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'UBND tỉnh (VP UBND tỉnh)' goes to the office; an unknown bracketed unit is a question,
    never a delivery to the body before it."""
    office = line("UBND tỉnh (VP UBND tỉnh)", khanh_hoa, rules, "kh.so-y-te")
    assert office.agencies == ["kh.vp-ubnd"]
    assert "in brackets after 'UBND tỉnh'" in office.reason
    unknown = line("Sở Tư pháp (Phòng Xây dựng và Kiểm tra VBQPPL)", khanh_hoa, rules, None)
    assert unknown.outcome == "unresolved" and unknown.agencies == []
    assert [s["id"] for s in unknown.suggestions] == ["kh.so-tu-phap"]


def test_words_before_a_bracketed_body_are_never_dropped(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'Phòng KGVX, Phòng TH (VP UBND tỉnh)': the office receives, the unread units before the
    bracket are put to the clerk instead of vanishing."""
    outcome = line("Phòng KGVX, Phòng TH (VP UBND tỉnh)", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.outcome == "unresolved"
    assert outcome.agencies == ["kh.vp-ubnd"]
    unread = [p for p in outcome.parts if p["outcome"] == "unresolved"]
    assert unread and all("before the bracketed" in p["reason"] for p in unread)
    assert "Phòng KGVX" in " ".join(p["text"] for p in unread)


@pytest.mark.parametrize(
    ("text", "agency"),
    [
        ("Sở GD-ĐT", "kh.so-gddt"),
        ("Sở NN-PTNT", "kh.so-nnptnt"),
        ("Sở TT-TT", "kh.so-tttt"),
        ("Sở VH-TT", "kh.so-vhtt"),
        ("Sở KH-ĐT", "kh.so-khdt"),
    ],
)
def test_a_hyphen_for_the_ampersand_of_an_abbreviation(
    khanh_hoa: Directory, rules: RuleSet, text: str, agency: str
) -> None:
    """'Sở GD-ĐT' is written as often as 'Sở GD&ĐT': the same abbreviation, read alike."""
    assert line(text, khanh_hoa, rules, "kh.ubnd-tinh").agencies == [agency]


def test_a_list_member_may_repeat_the_shared_word(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Các Bộ: Bộ Nội vụ; Bộ Tài chính' is the two ministries, not 'Bộ Bộ Nội vụ'."""
    outcome = line("Các Bộ: Bộ Nội vụ, Bộ Tài chính", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.agencies == ["tw.bo-noi-vu", "tw.bo-tai-chinh"]
    mixed = line("Các Sở: Nội vụ, Sở Tài chính", khanh_hoa, rules, "kh.ubnd-tinh")
    assert mixed.agencies == ["kh.so-noi-vu", "kh.so-tai-chinh"]


def test_a_title_before_a_list_prefix(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Giám đốc các Sở: Y tế, Tài chính' addresses those two Sở, never every Sở."""
    outcome = line("Giám đốc các Sở: Y tế, Tài chính", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.agencies == ["kh.so-y-te", "kh.so-tai-chinh"]
    assert outcome.outcome == "recipients"


def test_common_short_forms_of_mttq_and_traffic_works(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'Ủy ban MTTQ VN tỉnh' and 'Ban QLDA các CTGT tỉnh' are short forms clerks write daily."""
    assert line("Ủy ban MTTQ VN tỉnh", khanh_hoa, rules, "kh.ubnd-tinh").agencies == ["kh.mttq"]
    assert line("Ban QLDA các CTGT tỉnh", khanh_hoa, rules, "kh.ubnd-tinh").agencies == [
        "kh.ban-qlda-giao-thong"
    ]


def test_ong_and_ba_before_a_title(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Ông Giám đốc Sở Y tế', 'Bà Chủ tịch UBND tỉnh' address the body, as 'Đồng chí' does."""
    assert line("Ông Giám đốc Sở Y tế", khanh_hoa, rules, "kh.ubnd-tinh").agencies == [
        "kh.so-y-te"
    ]
    assert line("Bà Chủ tịch UBND tỉnh", khanh_hoa, rules, "kh.so-y-te").agencies == [
        "kh.ubnd-tinh"
    ]


def test_routing_codes_and_paper_copies_are_notes(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'(3I, 2B)' are registry routing codes, not copies; '02 bản giấy' is a copy count."""
    coded = line("Sở Nội vụ (3I, 2B)", khanh_hoa, rules, None)
    assert coded.agencies == ["kh.so-noi-vu"]
    assert coded.notes == {"routing_codes": ["3I", "2B"]}
    paper = line("Sở Nội vụ 02 bản giấy", khanh_hoa, rules, None)
    assert (paper.outcome, paper.agencies) == ("recipients", ["kh.so-noi-vu"])
    assert paper.notes == {"paper_copies": 2}
    assert line("Sở Nội vụ (3b)", khanh_hoa, rules, None).notes == {"paper_copies": 3}


def test_the_province_restated_after_a_category(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'... trên địa bàn tỉnh', '... tỉnh Khánh Hòa' restate the province; another one is asked."""
    communes = line("UBND các xã, phường trên địa bàn tỉnh", khanh_hoa, rules, "kh.ubnd-tinh")
    assert communes.outcome == "recipients" and kinds(communes, khanh_hoa) == {"ubnd_xa"}
    named = line("Các sở, ban, ngành tỉnh Khánh Hòa", khanh_hoa, rules, "kh.ubnd-tinh")
    assert named.outcome == "recipients"
    other = line("Các sở, ban, ngành tỉnh Quảng Trị", khanh_hoa, rules, "kh.ubnd-tinh")
    assert other.outcome == "unresolved" and other.agencies == []


# --- Centrally-run cities ----------------------------------------------------------------

# A test directory of Hà Nội's city-level bodies and three of its 2025 wards and communes
# (public names; Nghị quyết 1656/NQ-UBTVQH15 of 2025 lists the wards and communes).
HA_NOI = """
directory: {id: ha_noi_test, province: Hà Nội, province_aliases: [Thành phố Hà Nội]}
agencies:
  - {id: hn.ubnd, name: Ủy ban nhân dân thành phố Hà Nội, aliases: [UBND thành phố Hà Nội],
     kind: ubnd_tinh, level: tinh, source: test}
  - {id: hn.hdnd, name: Hội đồng nhân dân thành phố Hà Nội, aliases: [HĐND thành phố Hà Nội],
     kind: hdnd_tinh, level: tinh, area: hn.ubnd, source: test}
  - {id: hn.thanh-uy, name: Thành ủy Hà Nội, kind: tinh_uy, level: tinh, area: hn.ubnd,
     source: test}
  - {id: hn.so-noi-vu, name: Sở Nội vụ thành phố Hà Nội, kind: so, level: tinh,
     parent: hn.ubnd, area: hn.ubnd, source: test}
  - {id: hn.so-tai-chinh, name: Sở Tài chính thành phố Hà Nội, kind: so, level: tinh,
     parent: hn.ubnd, area: hn.ubnd, source: test}
  - {id: hn.p-ba-dinh, name: UBND phường Ba Đình, kind: ubnd_xa, level: xa,
     parent: hn.ubnd, area: hn.ubnd, source: test}
  - {id: hn.p-hoan-kiem, name: UBND phường Hoàn Kiếm, kind: ubnd_xa, level: xa,
     parent: hn.ubnd, area: hn.ubnd, source: test}
  - {id: hn.x-soc-son, name: UBND xã Sóc Sơn, kind: ubnd_xa, level: xa,
     parent: hn.ubnd, area: hn.ubnd, source: test}
"""


@pytest.fixture(scope="module")
def ha_noi(tmp_path_factory: pytest.TempPathFactory) -> Directory:
    """The Hà Nội test directory."""
    path = tmp_path_factory.mktemp("ha_noi") / "directory.yaml"
    path.write_text(HA_NOI, encoding="utf-8")
    return load_directory(path)


@pytest.mark.parametrize(
    ("text", "agencies"),
    [
        ("Thành ủy", ["hn.thanh-uy"]),
        ("Thường trực Thành ủy", ["hn.thanh-uy"]),
        ("HĐND Thành phố", ["hn.hdnd"]),
        ("UBND TP", ["hn.ubnd"]),
        ("Chủ tịch UBND Thành phố", ["hn.ubnd"]),
        ("UBND thành phố Hà Nội", ["hn.ubnd"]),
        ("Sở Nội vụ Thành phố", ["hn.so-noi-vu"]),
        ("Các sở, ban, ngành Thành phố", ["hn.so-noi-vu", "hn.so-tai-chinh"]),
        ("UBND các phường, xã", ["hn.p-ba-dinh", "hn.p-hoan-kiem", "hn.x-soc-son"]),
    ],
)
def test_a_centrally_run_city_writes_its_own_level(
    ha_noi: Directory, rules: RuleSet, text: str, agencies: list[str]
) -> None:
    """In a centrally-run city 'Thành phố' and 'Thành ủy' are the provincial level."""
    outcome = line(text, ha_noi, rules, "hn.so-tai-chinh" if "sở" not in text.lower() else None)
    assert sorted(outcome.agencies) == sorted(agencies), outcome.reason
    assert outcome.outcome == "recipients"


def test_thanh_pho_elsewhere_is_a_district_level_city(khanh_hoa: Directory, rules: RuleSet) -> None:
    """In Khánh Hòa 'UBND Thành phố' is not UBND tỉnh: it is a question (Nha Trang? Cam Ranh?)."""
    outcome = line("UBND Thành phố", khanh_hoa, rules, "kh.so-y-te")
    assert outcome.outcome == "unresolved" and outcome.agencies == []
    assert "kh.ubnd-tinh" not in [s["id"] for s in outcome.suggestions]


def test_concerned_bodies_are_a_question(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Các cơ quan, đơn vị có liên quan' names no body: one clear question, not two fragments."""
    outcome = line("Các cơ quan, đơn vị có liên quan", khanh_hoa, rules, "kh.ubnd-tinh")
    assert (outcome.outcome, outcome.agencies, outcome.categories) == (
        "unresolved",
        [],
        ["concerned"],
    )
    assert outcome.reason == (
        "'Các cơ quan, đơn vị có liên quan' does not say which bodies are concerned: "
        "name them on the line."
    )


def test_director_and_deputies_of_the_sender(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Giám đốc, các PGĐ Sở' from a Sở is its own leadership, excluded in one line."""
    outcome = line("Giám đốc, các PGĐ Sở", khanh_hoa, rules, "kh.so-y-te")
    assert (outcome.outcome, outcome.categories) == ("excluded", ["leaders"])


@pytest.mark.parametrize(
    ("text", "purpose"),
    [("Sở Y tế để thực hiện", "execute"), ("UBND tỉnh - báo cáo", "report")],
)
def test_a_purpose_without_brackets_is_a_note(
    khanh_hoa: Directory, rules: RuleSet, text: str, purpose: str
) -> None:
    """A purpose after 'để' or a dash is a note, not words that make the name doubtful."""
    outcome = line(text, khanh_hoa, rules, "kh.so-noi-vu")
    assert outcome.outcome == "recipients" and len(outcome.agencies) == 1
    assert outcome.notes == {"purpose": [purpose]}


def test_the_province_after_a_name_and_a_courtesy_title(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'Sở Y tế Khánh Hòa' is Sở Y tế; 'Đ/c Chủ tịch UBND tỉnh' addresses UBND tỉnh."""
    assert line("Sở Y tế Khánh Hòa", khanh_hoa, rules, None).agencies == ["kh.so-y-te"]
    chair = line("Đ/c Chủ tịch UBND tỉnh", khanh_hoa, rules, "kh.so-y-te")
    assert (chair.outcome, chair.agencies) == ("recipients", ["kh.ubnd-tinh"])


def test_words_glued_to_a_name_offer_it_unless_a_place_follows(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """'Sở Y tế Nơi nhận' (a reader's slip) asks, offering Sở Y tế; after 'tỉnh' the rest is a
    place of another province: 'Sở Nội vụ tỉnh Quảng Trị' offers nothing of Khánh Hòa."""
    slip = line("Sở Y tế Nơi nhận", khanh_hoa, rules, "kh.ubnd-tinh")
    assert slip.agencies == [] and [s["id"] for s in slip.suggestions] == ["kh.so-y-te"]
    other = line("Sở Nội vụ tỉnh Quảng Trị", khanh_hoa, rules, "kh.ubnd-tinh")
    assert other.agencies == [] and other.suggestions == []


def test_leaders_of_the_own_office_are_internal(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Lãnh đạo VP' is the sender's own office: internal, whatever the sender's kind."""
    for sender in ("kh.ubnd-tinh", "kh.so-noi-vu"):
        assert line("Lãnh đạo VP", khanh_hoa, rules, sender).outcome == "excluded"


@pytest.mark.parametrize(
    "item",
    [
        "Email: vanthu@khanhhoa.gov.vn",
        "E-mail: vanthu@khanhhoa.gov.vn",
        "Thư điện tử: vanthu@khanhhoa.gov.vn",
        "Website: www.khanhhoa.gov.vn",
        "Website Sở",
        "Fax: 0258.3822661",
        "Điện thoại: 0258 3822 661",
    ],
)
def test_a_contact_address_is_a_question(item: str, khanh_hoa: Directory, rules: RuleSet) -> None:
    """An e-mail, website, phone or fax item names no agency: it is put to the clerk as a
    contact address (not dropped, not excluded, no agency guessed from it)."""
    outcome = line(item, khanh_hoa, rules, "kh.ubnd-tinh")
    assert (outcome.outcome, outcome.agencies, outcome.categories) == (
        "unresolved",
        [],
        ["contact"],
    )
    assert "is a contact address" in outcome.reason and outcome.suggestions == []


def test_a_body_before_its_contact_address_still_receives(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """`Sở Y tế, email: ...`: the body receives it, and the address is still a question."""
    outcome = line("Sở Y tế, email: soyte@khanhhoa.gov.vn", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.outcome == "unresolved" and outcome.agencies == ["kh.so-y-te"]
    assert "'email: soyte@khanhhoa.gov.vn;' is a contact address" in outcome.reason


def _district(directory: Directory, name: str) -> str:
    """The id of the district People's Committee called `name` in the directory."""
    (found,) = [a.id for a in directory if a.kind == "ubnd_huyen" and a.name == name]
    return found


@pytest.mark.parametrize(
    ("phrase", "committee"),
    [
        ("UBND các xã, thị trấn thuộc huyện Vạn Ninh", "UBND huyện Vạn Ninh"),
        ("UBND các xã, phường thuộc thị xã Ninh Hòa", "UBND thị xã Ninh Hòa"),
        ("UBND các xã huyện Cam Lâm", "UBND huyện Cam Lâm"),
        ("Các xã, thị trấn trên địa bàn huyện Khánh Sơn", "UBND huyện Khánh Sơn"),
        ("UBND các xã, phường thuộc UBND thành phố Cam Ranh", "UBND thành phố Cam Ranh"),
    ],
)
def test_communes_of_a_named_district(
    khanh_hoa: Directory, rules: RuleSet, phrase: str, committee: str
) -> None:
    """'UBND các xã thuộc huyện X' (before the districts ended): the communes in that
    district's area, not the province's (the directory's own `area` is the truth)."""
    district = _district(khanh_hoa, committee)
    expected = {a.id for a in khanh_hoa
                if a.kind == "ubnd_xa" and a.area == district and a.valid_on(DAY)}
    assert expected  # the directory holds that district's communes
    outcome = line(phrase, khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.outcome == "recipients"
    assert set(outcome.agencies) == expected
    assert committee in outcome.reason


def test_communes_of_a_district_after_the_districts_ended(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """In 2026 the district and its communes have ended: a question for the clerk, who is
    told why, never the province's communes."""
    document = read_document("Nơi nhận:\n- UBND các xã, thị trấn thuộc huyện Vạn Ninh;\n")
    (outcome,) = expand(document, khanh_hoa, rules, dt.date(2026, 3, 1), "kh.ubnd-tinh").lines
    assert outcome.outcome == "unresolved" and outcome.agencies == []
    assert "2025-06-30" in outcome.reason and "communes were rearranged" in outcome.reason


def test_communes_of_a_body_that_has_no_area(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'UBND các xã thuộc Sở Y tế' names no area: asked about, nothing sent."""
    outcome = line("UBND các xã thuộc Sở Y tế", khanh_hoa, rules, "kh.ubnd-tinh")
    assert outcome.outcome == "unresolved" and outcome.agencies == []
    assert "names an area" in outcome.reason


def test_districts_of_a_named_province(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'UBND các huyện, thị xã, thành phố thuộc tỉnh Ninh Thuận' (2024, before the provinces
    merged): that province's districts; 'thuộc tỉnh' alone restates the home province."""
    (ninh_thuan,) = [a.id for a in khanh_hoa if a.name == "Ủy ban nhân dân tỉnh Ninh Thuận"]
    expected = {a.id for a in khanh_hoa
                if a.kind == "ubnd_huyen" and a.area == ninh_thuan and a.valid_on(DAY)}
    assert expected
    phrase = "UBND các huyện, thị xã, thành phố thuộc tỉnh Ninh Thuận"
    outcome = line(phrase, khanh_hoa, rules, "kh.ubnd-tinh")
    assert set(outcome.agencies) == expected
    home = line("UBND các huyện, thị xã, thành phố thuộc tỉnh", khanh_hoa, rules, "kh.ubnd-tinh")
    plain = line("UBND các huyện, thị xã, thành phố", khanh_hoa, rules, "kh.ubnd-tinh")
    assert home.agencies == plain.agencies and not expected & set(plain.agencies)
