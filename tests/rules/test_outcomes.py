"""Line outcomes are an enum the type checker sees; their JSON is the same three strings."""

from __future__ import annotations

import datetime as dt
import json

from rules import Directory, RuleSet, expand, read_document
from rules.outcomes import UNREAD, Outcome

TEXT = (
    "Nơi nhận:\n- Sở Nội vụ;\n- Sở Tư phsp;\nUBND TỈNH KHÁNH HÒA\n- Lưu: VT.\n\n"
    "GIÁM ĐỐC\n\nTrần Văn Hai"
)


def test_every_line_and_part_has_an_outcome_of_the_enum(
    khanh_hoa: Directory, rules: RuleSet
) -> None:
    """A recipient, a question, unread text and an archive copy: each line's and each part's
    outcome is an `Outcome`, and the JSON carries its plain string."""
    expansion = expand(read_document(TEXT), khanh_hoa, rules, dt.date(2026, 3, 1), "kh.ubnd-tinh")
    outcomes = [line.outcome for line in expansion.lines]
    assert all(isinstance(o, Outcome) for o in outcomes)
    assert sorted(outcomes) == sorted([Outcome.RECIPIENTS, Outcome.UNRESOLVED,
                                       Outcome.UNRESOLVED, Outcome.EXCLUDED])
    assert [ln.categories for ln in expansion.lines].count([UNREAD]) == 1
    as_json = json.loads(json.dumps(expansion.to_json()))
    assert [ln["outcome"] for ln in as_json["lines"]] == [str(o) for o in outcomes]
    assert {type(ln["outcome"]) for ln in as_json["lines"]} == {str}
    parts = {p["outcome"] for ln in as_json["lines"] for p in ln["parts"]}
    assert parts == {"recipients", "unresolved", "excluded"}
