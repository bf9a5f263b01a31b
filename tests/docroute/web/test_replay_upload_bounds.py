"""The replay page refuses an uploaded rule set nested too deep or with a pathological phrase:
422, naming the bound (issue 11: a rules YAML nested 50,000 deep was a 500)."""

from __future__ import annotations

import pytest

from docroute.service import Service
from foundation.models import Role
from tests.docroute.web.in_process import csrf_of, signed_in

HEAD = "ruleset: {id: x, version: '1'}\n"
DEEP = HEAD + "rules: " + "[" * 50_000 + "]" * 50_000 + "\n"
SLOW = HEAD + "rules:\n- id: a\n  match: ['" + "[sở] " * 40 + "x']\n  select: {kinds: [so]}\n"


@pytest.mark.parametrize(("text", "named"), [
    (DEEP, "nested deeper than 50 levels"),
    (SLOW, "40 bracketed groups (at most 10)"),
])
async def test_an_uploaded_rule_set_past_a_bound_is_a_422_naming_it(
    embedded_service: Service, text: str, named: str
) -> None:
    async with signed_in(embedded_service, "kiem-tra", Role.AUDITOR) as auditor:
        token = csrf_of((await auditor.get("/kiem-tra/phat-lai")).text)
        answer = await auditor.post(
            "/kiem-tra/phat-lai", data={"csrf": token, "since": "2024-01-01"},
            files={"rules_file": ("rules.yaml", text.encode(), "application/x-yaml")})
    assert answer.status_code == 422, answer.text[:300]
    assert named in answer.text and 'role="alert"' in answer.text
