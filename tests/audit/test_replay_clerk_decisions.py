"""A replay does not count an agency the clerk named for an unresolved line as "removed": it
was the clerk's choice, recorded with the document, not the rules'."""

from __future__ import annotations

import datetime as dt
from typing import Any

import rules
from audit.replays import StoredDocument, _changes

TEXT = (
    "Số: 7/TB-UBND\nKhánh Hòa, ngày 3 tháng 11 năm 2026\nTHÔNG BÁO\nVề việc thử\n\nNội dung.\n\n"
    "Nơi nhận:\n- Sở Y tế;\n- Trung tâm Thử nghiệm Không Tồn tại;\n- Lưu: VT.\n"
)


def _document(resolutions: list[dict[str, Any]] | None) -> StoredDocument:
    return StoredDocument(
        id="d1", number="7/TB-UBND", date=dt.date(2026, 11, 3), sender="kh.ubnd-tinh",
        text=TEXT, rules_version="old", routed_as_of="2026-11-03",
        created_at=dt.datetime(2026, 11, 3, 2, 0, tzinfo=dt.UTC), resolutions=resolutions,
    )


def _change(document: StoredDocument, dispatched: dict[str, str], *setup: Any) -> Any:
    found = _changes([document], {document.id: dispatched}, *setup)
    return found[0] if found else None


def test_the_clerks_agency_is_not_removed_by_a_replay() -> None:
    directory, ruleset = rules.default_directory(), rules.default_ruleset()
    dispatched = {"kh.so-y-te": "Sở Y tế tỉnh Khánh Hòa", "kh.so-tu-phap": "Sở Tư pháp"}
    without = _change(_document(None), dispatched, directory, ruleset)
    assert without is not None
    assert [r["id"] for r in without["removed"]] == ["kh.so-tu-phap"]
    decision = {"line": 2, "section": "noi_nhan", "text": "- Trung tâm Thử nghiệm Không Tồn tại;",
                "action": "agency", "agency_id": "kh.so-tu-phap", "by": "vanthu"}
    assert _change(_document([decision]), dispatched, directory, ruleset) is None
