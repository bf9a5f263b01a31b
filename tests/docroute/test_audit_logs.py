"""Log lines of the pipeline carry the ids an operator searches by."""

from __future__ import annotations

from typing import Any

from structlog.testing import capture_logs

from foundation.models import Role
from foundation.settings import Settings


async def test_routing_and_delivery_events_carry_document_delivery_and_message_ids(
    embedded: Settings, run_service: Any, api_client: Any, tokens: Any, settled: Any,
    seed_text: Any,
) -> None:
    """document_accepted, document_routed and delivered name the document; the last two name
    the message, and delivered names the delivery."""
    with capture_logs() as events:
        async with run_service(embedded) as service, api_client(service) as client:
            headers = await tokens(service, Role.SENDER, "kh.ban-qlda-phat-trien-tinh")
            answer = await client.post("/v1/documents", json={"text": seed_text("000")},
                                       headers=headers)
            [row] = await settled(service, answer.json()["id"])
    by_name = {event["event"]: event for event in events}
    assert by_name["document_accepted"]["document_id"] == row.document_id
    assert by_name["document_routed"]["document_id"] == row.document_id
    assert by_name["document_routed"]["message_id"]
    delivered = by_name["delivered"]
    assert (delivered["delivery_id"], delivered["document_id"]) == (row.id, row.document_id)
    assert delivered["message_id"]
