"""Recipients on the sending day: a body abolished after the document's date but before it
goes out is replaced by its successor, with the reason, or flagged; never delivered to."""

from __future__ import annotations

import datetime as dt
from typing import Any

import rules
from docroute.service import Service
from foundation.models import Role
from router.recipients import on_sending_day

# Dated 10/02/2025: Sở KH&ĐT (merged into Sở Tài chính on 2025-03-01) and UBND thành phố Nha
# Trang (the district level ended on 2025-06-30, with no successor body) still existed.
TEXT = (
    "Số: 12/TB-UBND\nKhánh Hòa, ngày 10 tháng 02 năm 2025\nTHÔNG BÁO\nVề việc thử\n\n"
    "Nội dung.\n\nNơi nhận:\n- Sở Kế hoạch và Đầu tư;\n- UBND thành phố Nha Trang;\n"
    "- Lưu: VT.\n"
)


def test_a_body_gone_by_the_sending_day_goes_to_its_successor_or_is_flagged() -> None:
    """Read as of its date, the document names both; sent in 2026, Sở Tài chính receives it
    with the successor's reason, and Nha Trang's People's Committee is flagged, not sent to."""
    directory, ruleset = rules.default_directory(), rules.default_ruleset()
    expansion = rules.expand(rules.read_document(TEXT), directory, ruleset)
    view = expansion.to_json()
    assert {r["id"] for r in view["recipients"]} == {"kh.so-khdt", "kh.ubnd-huyen-568"}
    chosen, abolished = on_sending_day(view, directory, dt.date(2026, 1, 5))
    assert [r["id"] for r in chosen] == ["kh.so-tai-chinh"]
    successor = chosen[0]["reasons"][-1]
    assert successor["rule"] == "successor" and "kh.so-khdt" in successor["text"]
    assert [a["id"] for a in abolished] == ["kh.ubnd-huyen-568"]
    assert "no successor" in abolished[0]["reason"]
    same_day, none = on_sending_day(view, directory, dt.date(2025, 2, 10))
    assert ({r["id"] for r in same_day}, none) == ({"kh.so-khdt", "kh.ubnd-huyen-568"}, [])


async def test_the_router_never_delivers_to_an_abolished_body(
    service: Service, client: Any, tokens: Any, settled: Any
) -> None:
    """Routed today, the 2025 document reaches Sở Tài chính and the document view names the
    abolished recipient for the clerk."""
    headers = await tokens(service, Role.SENDER, "kh.ubnd-tinh")
    answer = await client.post("/v1/documents", json={"text": TEXT}, headers=headers)
    assert answer.status_code == 202, answer.text
    rows = await settled(service, answer.json()["id"])
    assert {row.agency_id for row in rows} == {"kh.so-tai-chinh"}
    assert any(r.get("rule") == "successor" for r in rows[0].reasons)
    view = (await client.get(answer.json()["url"], headers=headers)).json()
    assert [a["id"] for a in view["abolished"]] == ["kh.ubnd-huyen-568"]
