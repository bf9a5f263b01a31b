"""Replaying a policy change over a past document."""

from __future__ import annotations

import datetime as dt

from rules import Directory, RuleSet, expand, read_document
from rules.replay import replay
from tests.rules.conftest import seed_text

DAY = dt.date(2023, 3, 1)


def test_turning_the_dvsn_flag_on_adds_exactly_the_dvsn(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """A 'Sở, ban, ngành' document expanded with the flag off gains exactly the ĐVSN with it on."""
    strict = rules.with_policy(version="kh-strict", dvsn_in_so_ban_nganh=False)
    doc = read_document("Nơi nhận:\n- Các sở, ban, ngành;\n- Lưu: VT.\n")
    old = expand(doc, khanh_hoa, strict, DAY, "kh.ubnd-tinh")
    change = replay(doc, old, khanh_hoa, rules)
    assert change.differs and change.removed == []
    assert {a.id for a in change.added} == {
        a.id for a in khanh_hoa if a.kind == "dvsn" and a.valid_on(DAY)
    }
    (qlda,) = [a for a in change.added if a.id == "kh.ban-qlda-phat-trien-tinh"]
    assert qlda.reasons[0].rules_version == rules.version
    assert change.to_json()["old_rules_version"] == "kh-strict"


def test_turning_the_flag_off_removes_them_with_the_reason(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """Going the other way removes the ĐVSN, each with the flag as the reason."""
    strict = rules.with_policy(version="kh-strict", dvsn_in_so_ban_nganh=False)
    doc = read_document("Nơi nhận:\n- Các sở, ban, ngành;\n")
    old = expand(doc, khanh_hoa, rules, DAY, "kh.ubnd-tinh")
    change = replay(doc, old, khanh_hoa, strict)
    assert change.added == [] and change.removed
    assert all("dvsn_in_so_ban_nganh" in r.why for r in change.removed)


def test_a_document_the_change_does_not_touch(khanh_hoa: Directory, rules: RuleSet) -> None:
    """Seed 000 (addressed to Sở Nội vụ by name) does not change with the flag."""
    strict = rules.with_policy(version="kh-strict", dvsn_in_so_ban_nganh=False)
    doc = read_document(seed_text("000"))
    old = expand(doc, khanh_hoa, strict, sender="kh.ban-qlda-phat-trien-tinh")
    assert not replay(doc, old, khanh_hoa, rules).differs
