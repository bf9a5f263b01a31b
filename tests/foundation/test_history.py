"""Every history row is chained to the one before it, and the delivery anchors the last one."""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import col, select

from docroute.service import Service
from foundation.history import GENESIS, digest, event_content
from foundation.models import Delivery, DeliveryEvent, Role


async def test_history_rows_form_a_hash_chain_anchored_on_the_delivery(
    service: Service, client: httpx.AsyncClient, tokens: Any, settled: Any, seed_text: Any
) -> None:
    """pending, delivered, 01, 03: positions 1..4, each linked to the previous hash, and the
    delivery holds the count and the last hash."""
    sender = await tokens(service, Role.SENDER, "kh.ban-qlda-phat-trien-tinh")
    answer = await client.post("/v1/documents", json={"text": seed_text("000")}, headers=sender)
    [row] = await settled(service, answer.json()["id"])
    agency = await tokens(service, Role.AGENCY, row.agency_id)
    for code in ("01", "03"):
        reported = await client.post(f"/v1/deliveries/{row.id}/status", json={"code": code},
                                     headers=agency)
        assert reported.status_code == 200
    async with service.sessions() as session:
        events = (await session.exec(select(DeliveryEvent).where(
            DeliveryEvent.delivery_id == row.id).order_by(col(DeliveryEvent.id)))).all()
        delivery = await session.get(Delivery, row.id)
    assert delivery is not None
    assert [(e.seq, e.value) for e in events] == [
        (1, "pending"), (2, "delivered"), (3, "01"), (4, "03")
    ]
    previous = GENESIS
    for event in events:
        assert event.prev_hash == previous
        assert event.hash == digest(event.seq, event_content(event), event.prev_hash)
        previous = event.hash
    assert (delivery.event_count, delivery.last_hash) == (4, previous)
    assert delivery.confirmed_at is not None
    categories = sorted({reason["category"] for reason in delivery.reasons})
    assert categories and delivery.categories == "," + ",".join(categories) + ","
