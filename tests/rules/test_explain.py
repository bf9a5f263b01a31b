"""Why / why not: the auditor's question answered from the agency's side."""

from __future__ import annotations

import datetime as dt

from rules import Directory, Expansion, RuleSet, expand, read_document
from rules.explain import explain

BROADCAST = "Nơi nhận:\n- Các sở, ban, ngành;\n- UBND các huyện, thị xã, thành phố;\n- Lưu: VT.\n"


def expansion(text: str, directory: Directory, rules: RuleSet, day: str, sender: str) -> Expansion:
    """Expand `text` as of `day`."""
    return expand(read_document(text), directory, rules, dt.date.fromisoformat(day), sender)


def test_why_names_lines_rules_and_version(khanh_hoa: Directory, rules: RuleSet) -> None:
    """A recipient's answer gives its lines, rules, rule-set version and directory entry."""
    result = expansion(BROADCAST, khanh_hoa, rules, "2024-05-01", "kh.ubnd-tinh")
    answer = explain(result, "kh.ban-qlda-phat-trien-tinh", khanh_hoa, rules).to_json()
    assert answer["received"] is True
    assert [(r["line"], r["rule"], r["rules_version"]) for r in answer["reasons"]] == [
        (1, "so_ban_nganh", rules.version)
    ]
    assert answer["agency"]["kind"] == "dvsn"
    assert answer["agency"]["source"]


def test_why_not_names_the_policy_flag(khanh_hoa: Directory, rules: RuleSet) -> None:
    """With the ĐVSN flag off, why-not for Ban QLDA names the flag and the line that came close."""
    strict = rules.with_policy(version="kh-strict", dvsn_in_so_ban_nganh=False)
    result = expansion(BROADCAST, khanh_hoa, strict, "2024-05-01", "kh.ubnd-tinh")
    answer = explain(result, "kh.ban-qlda-phat-trien-tinh", khanh_hoa, strict)
    assert answer.received is False
    (verdict,) = answer.lines
    assert verdict.line == 1
    assert "policy flag 'dvsn_in_so_ban_nganh'" in verdict.verdict
    assert "kh-strict" in verdict.verdict
    assert any("dvsn_in_so_ban_nganh" in c for c in answer.categories)


def test_why_not_names_validity_dates(khanh_hoa: Directory, rules: RuleSet) -> None:
    """On a 2026 document, why-not for a district says when it ended."""
    result = expansion(BROADCAST, khanh_hoa, rules, "2026-03-01", "kh.ubnd-tinh")
    answer = explain(result, "kh.ubnd-huyen-568", khanh_hoa, rules)
    assert answer.received is False
    assert [v.line for v in answer.lines] == [2]
    assert "ended on 2025-06-30" in answer.lines[0].verdict


def test_why_not_names_the_scope(ba_to: Directory, rules: RuleSet) -> None:
    """A commune outside the sender's district is kept out by the scope."""
    result = expansion(
        "Nơi nhận:\n- UBND các xã, thị trấn;\n", ba_to, rules, "2024-01-01", "qn.ba-to.phong-noi-vu"
    )
    inside = explain(result, "qn.ubnd-xa-21484", ba_to, rules)
    assert inside.received is True
    other = [a for a in ba_to if a.kind == "ubnd_xa" and a.parent != "qn.ubnd-huyen-535"]
    assert other, "the test directory has 2025 communes outside the old district"
    answer = explain(result, other[0].id, ba_to, rules)
    assert answer.received is False
    assert len(answer.lines) == 1
    assert "outside the rule's scope 'sender_area'" in answer.lines[0].verdict


def test_why_not_names_the_body_after_thuoc(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'UBND các xã thuộc huyện Vạn Ninh': a commune of another district lies outside the
    area named; 'Các đơn vị thuộc Sở Y tế': another department is not one of its units."""
    text = "Nơi nhận:\n- UBND các xã thuộc huyện Vạn Ninh;\n- Các đơn vị thuộc Sở Y tế;\n"
    result = expansion(text, khanh_hoa, rules, "2024-05-01", "kh.ubnd-tinh")
    (cam_lam,) = [a.id for a in khanh_hoa if a.name == "UBND huyện Cam Lâm"]
    commune = next(a.id for a in khanh_hoa if a.kind == "ubnd_xa" and a.area == cam_lam)
    (verdict,) = explain(result, commune, khanh_hoa, rules).lines
    assert verdict.line == 1
    assert verdict.verdict.endswith("it lies outside the area of UBND huyện Vạn Ninh")
    (verdict,) = explain(result, "kh.so-tu-phap", khanh_hoa, rules).lines
    assert verdict.line == 2
    assert verdict.verdict.endswith("it is not a unit under Sở Y tế tỉnh Khánh Hòa")


def test_why_not_for_an_agency_no_line_names(khanh_hoa: Directory, rules: RuleSet) -> None:
    """An agency no line comes close to gets a summary listing its categories."""
    result = expansion("Nơi nhận:\n- Sở Y tế;\n", khanh_hoa, rules, "2024-01-01", "kh.ubnd-tinh")
    answer = explain(result, "kh.so-tu-phap", khanh_hoa, rules)
    assert answer.received is False and answer.lines == []
    assert "its categories: so_ban_nganh, so" in answer.summary


def test_unknown_agency(khanh_hoa: Directory, rules: RuleSet) -> None:
    """An id that is not in the directory is answered as such."""
    result = expansion(BROADCAST, khanh_hoa, rules, "2024-01-01", "kh.ubnd-tinh")
    answer = explain(result, "kh.nowhere", khanh_hoa, rules)
    assert answer.agency is None and "no agency 'kh.nowhere'" in answer.summary


def test_why_not_for_a_suggestion(khanh_hoa: Directory, rules: RuleSet) -> None:
    """A body only suggested for a misspelt name is told as such: offered, never delivered."""
    result = expansion("Nơi nhận:\n- Sở Tư phsp;\n", khanh_hoa, rules, "2024-01-01", "kh.ubnd-tinh")
    answer = explain(result, "kh.so-tu-phap", khanh_hoa, rules)
    assert answer.received is False
    assert [v.verdict for v in answer.lines] == [
        "'Sở Tư phsp' is only close to its name: offered to the clerk, never delivered"
    ]


def test_why_not_through_a_union_rule(khanh_hoa: Directory, rules: RuleSet) -> None:
    """'Các sở, ban, ngành, đoàn thể tỉnh' with the ĐVSN flag off: why-not names the flag."""
    strict = rules.with_policy(version="kh-strict", dvsn_in_so_ban_nganh=False)
    text = "Nơi nhận:\n- Các sở, ban, ngành, đoàn thể tỉnh;\n"
    result = expansion(text, khanh_hoa, strict, "2024-05-01", "kh.ubnd-tinh")
    answer = explain(result, "kh.ban-qlda-phat-trien-tinh", khanh_hoa, strict)
    assert answer.received is False
    (verdict,) = answer.lines
    assert "rule 'so_ban_nganh'" in verdict.verdict
    assert "policy flag 'dvsn_in_so_ban_nganh'" in verdict.verdict
