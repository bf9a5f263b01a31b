"""The clerk's decisions applied to an expansion: an agency named by the clerk receives the
document with a reason naming the clerk; a line marked "not a recipient" is excluded with the
clerk's reason; the rules' own reason stays; lines the rules read are left alone."""

from __future__ import annotations

import copy
from typing import Any

import rules
from router.recipients import shipped
from router.resolutions import apply_resolutions

TEXT = (
    "Số: 5/TB-UBND\nKhánh Hòa, ngày 3 tháng 11 năm 2026\nTHÔNG BÁO\nVề việc thử\n\nNội dung.\n\n"
    "Nơi nhận:\n- Sở Y tế;\n- Trung tâm Thử nghiệm Không Tồn tại;\n- Hội Sinh vật cảnh Đồng Đế;\n"
    "- Lưu: VT.\n"
)


def _view() -> dict[str, Any]:
    routing = shipped()
    document = rules.read_document(TEXT)
    return routing.expand(document, "kh.ubnd-tinh", document.date).to_json()


def _decision(line: dict[str, object], **fields: object) -> dict[str, object]:
    base = {k: line[k] for k in ("line", "section", "text")}
    return {**base, "by": "vanthu", "by_name": "Trần Thị Văn Thư", **fields}


def test_the_clerks_decisions_resolve_their_lines_and_name_the_clerk() -> None:
    view = _view()
    before = copy.deepcopy(view)
    lines = {ln["text"]: ln for ln in view["lines"]}
    named = lines["- Trung tâm Thử nghiệm Không Tồn tại;"]
    other = lines["- Hội Sinh vật cảnh Đồng Đế;"]
    assert named["outcome"] == other["outcome"] == "unresolved"
    decisions = [
        _decision(named, action="agency", agency_id="kh.so-tu-phap"),
        _decision(other, action="not_recipient", reason="gửi bản giấy"),
    ]
    result = apply_resolutions(view, decisions, shipped().directory)
    assert view == before  # the rules' expansion itself is not changed
    out = {ln["text"]: ln for ln in result["lines"]}
    assert out[named["text"]]["outcome"] == "recipients"
    assert out[named["text"]]["rules_reason"] == named["reason"]
    assert "Trần Thị Văn Thư" in out[named["text"]]["reason"]
    assert out[other["text"]]["outcome"] == "excluded"
    assert "gửi bản giấy" in out[other["text"]]["reason"]
    recipients = {r["id"]: r for r in result["recipients"]}
    clerk_reasons = [r for r in recipients["kh.so-tu-phap"]["reasons"] if r["rule"] == "clerk"]
    assert clerk_reasons and clerk_reasons[0]["by"] == "vanthu"
    # Every recipient the rules chose is still there, in the same order, first.
    rule_ids = [r["id"] for r in view["recipients"]]
    assert [r["id"] for r in result["recipients"]][: len(rule_ids)] == rule_ids


def test_a_decision_on_a_line_the_rules_read_changes_nothing() -> None:
    view = _view()
    read = next(ln for ln in view["lines"] if ln["outcome"] == "recipients")
    decision = _decision(read, action="not_recipient", reason="không gửi")
    assert apply_resolutions(view, [decision], shipped().directory) == view


def test_an_unknown_agency_adds_no_recipient() -> None:
    view = _view()
    line = next(ln for ln in view["lines"] if ln["outcome"] == "unresolved")
    result = apply_resolutions(
        view, [_decision(line, action="agency", agency_id="kh.khong-co")], shipped().directory
    )
    assert [r["id"] for r in result["recipients"]] == [r["id"] for r in view["recipients"]]
