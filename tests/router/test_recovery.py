"""After a restart the in-process queue is empty; unfinished work is re-driven from the
database."""

from __future__ import annotations

from typing import Any

from router.models import DeliveryState, Role
from router.settings import Settings


async def test_document_accepted_before_a_restart_is_delivered_after_it(
    embedded: Settings, run_service: Any, api_client: Any, tokens: Any, settled: Any,
    seed_text: Any,
) -> None:
    """A document accepted by a process that stopped before routing it is routed and delivered
    by the next process on the same database."""
    first_parts = {"relay": True, "router": False, "delivery": False}
    async with run_service(embedded, **first_parts) as first, api_client(first) as client:
        headers = await tokens(first, Role.SENDER, "kh.ban-qlda-phat-trien-tinh")
        answer = await client.post("/v1/documents", json={"text": seed_text("000")},
                                   headers=headers)
        assert answer.status_code == 202
    async with run_service(embedded) as second:
        [row] = await settled(second, answer.json()["id"])
    assert (row.agency_id, row.state) == ("kh.so-noi-vu", DeliveryState.DELIVERED)
