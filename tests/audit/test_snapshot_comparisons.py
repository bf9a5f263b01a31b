"""Replay compares two snapshots: per document, the agencies added and removed between its
expansion under one and under the other (`docroute audit replay --from A --to B`, and the API)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx
import pytest

from audit.comparisons import compare
from docroute.service import Service
from docroute.snapshot_store import store
from foundation.database import SessionFactory, transaction
from foundation.errors import ClerkError
from foundation.models import Role
from foundation.settings import Settings
from router.data_in_force import RoutingData
from router.recipients import shipped
from tests.audit.conftest import add_document
from tests.docroute.test_data_in_force import ADDED, LETTER, national_with_unit
from tests.docroute.test_service_cli import _docroute

SINCE = dt.date(2026, 1, 1)
# Addressed to one department by name: no category, so the unit's kind changes nothing.
NAMED = LETTER.replace("Kính gửi: Các sở, ban, ngành thuộc tỉnh.", "Kính gửi: Sở Nội vụ.")


async def _stored_pair(sessions: SessionFactory) -> tuple[str, str]:
    """A (the made-up unit a ĐVSN: in "sở, ban, ngành") and B (a ngành dọc: out of it)."""
    a, b = national_with_unit("dvsn"), national_with_unit("nganh_doc")
    async with transaction(sessions) as session:
        await store(session, a, "test", None)
        await store(session, b, "test", None)
    return a.id, b.id


async def _two_documents(sessions: SessionFactory) -> tuple[str, str]:
    category = await add_document(sessions, text=LETTER.format(number=21), number="21/UBND-VP",
                                  date=dt.date(2026, 3, 10))
    named = await add_document(sessions, text=NAMED.format(number=22), number="22/UBND-VP",
                               date=dt.date(2026, 3, 10))
    return category.id, named.id


async def test_each_document_lists_who_one_snapshot_adds_or_removes(
    sessions: SessionFactory,
) -> None:
    """A → B removes the unit from the letter to "sở, ban, ngành" (with why) and leaves the
    letter to Sở Nội vụ alone; B → A adds it back with the rule that chose it; A → A and
    today's data → B differ only as they should."""
    a, b = await _stored_pair(sessions)
    category, named = await _two_documents(sessions)
    data = RoutingData(shipped())
    forward = await compare(sessions, data, a, b, SINCE)
    assert forward.documents_checked == 2
    assert [c["document_id"] for c in forward.changes] == [category]
    (change,) = forward.changes
    assert change["added"] == [] and [r["id"] for r in change["removed"]] == [ADDED]
    assert "nganh_doc" in change["removed"][0]["why"]
    assert forward.before["directory"] == a and forward.after["directory"] == b
    back = await compare(sessions, data, b, a, SINCE)
    (change,) = back.changes
    assert [r["id"] for r in change["added"]] == [ADDED] and change["removed"] == []
    assert "so_ban_nganh" in {r["rule"] for r in change["added"][0]["reasons"]}
    assert (await compare(sessions, data, a, a, SINCE)).changes == []
    today = await compare(sessions, data, "current", b, SINCE)  # shipped: no unit at all
    assert today.changes == [] and named not in str(today.changes)


async def test_unknown_or_doubled_snapshots_are_refused(sessions: SessionFactory) -> None:
    """An id that is not stored is a 404 naming it; two directories on one side a 422."""
    a, b = await _stored_pair(sessions)
    data = RoutingData(shipped())
    with pytest.raises(ClerkError) as unknown:
        await compare(sessions, data, "f00d", b, SINCE)
    assert unknown.value.status == 404 and "f00d" in unknown.value.message
    with pytest.raises(ClerkError) as doubled:
        await compare(sessions, data, f"{a},{b}", b, SINCE)
    assert doubled.value.status == 422 and "two directory snapshots" in doubled.value.message


async def test_api_and_cli_compare_two_snapshots(
    service: Service, stack: Settings, client: httpx.AsyncClient, tokens: Any
) -> None:
    """POST /v1/audit/replays/compare and `docroute audit replay --from --to` give the same
    per-document difference."""
    a, b = await _stored_pair(service.sessions)
    category, _ = await _two_documents(service.sessions)
    auditor = await tokens(service, Role.AUDITOR)
    answer = await client.post("/v1/audit/replays/compare", headers=auditor,
                               json={"from": a, "to": b, "since": "2026-01-01"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["documents_checked"] == 2 and body["documents_changed"] == 1
    assert [r["id"] for r in body["changes"][0]["removed"]] == [ADDED]
    missing = await client.post("/v1/audit/replays/compare", headers=auditor,
                                json={"from": "nope", "to": b, "since": "2026-01-01"})
    assert missing.status_code == 404
    code, out, err = await _docroute(stack, "audit", "replay", "--from", b, "--to", a,
                                     "--since", "2026-01-01")
    assert code == 0, err
    (change,) = json.loads(out)["changes"]
    assert change["document_id"] == category and [r["id"] for r in change["added"]] == [ADDED]
    code, _, err = await _docroute(stack, "audit", "replay", "--from", a, "--since", "2026-01-01")
    assert code == 2 and "--from and --to go together" in err
