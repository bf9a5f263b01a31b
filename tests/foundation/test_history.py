"""Every history row is chained to the one before it, and the delivery anchors the last one."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from typing import Any

import httpx
from sqlmodel import col, select

from docroute.service import Service
from foundation.history import (
    GENESIS,
    canonical,
    digest,
    event_content,
    event_row,
    event_rows,
)
from foundation.models import Delivery, DeliveryEvent, DeliveryState, Role


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


def _standard(content: dict[str, Any]) -> str:
    """The canonical form as the standard library's encoder writes it (its definition)."""
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def test_the_canonical_form_is_the_standard_encoders_for_every_character() -> None:
    """Every code point (controls, quotes, backslashes, U+2028, astral ones), None, and the
    contents the fast path does not take (numbers, a lone surrogate, a non-ASCII key) give
    the text the standard library writes, so no history hash changes."""
    content = {"delivery_id": "d", "kind": "state", "value": "delivered", "note": None,
               "actor": "delivery:webhook", "at": "2024-06-03T10:00:00.000001Z"}
    assert canonical(content) == _standard(content)
    step = 512
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for first in range(0, len(points), step):
        text = "".join(points[first:first + step])
        sample = {**content, "note": text, "actor": text[::-1]}
        assert canonical(sample) == _standard(sample)
    for odd in ({"note": 5, "at": 1.5}, {"note": "\ud800"}, {"nốt": "x", "a": None}):
        assert canonical({**content, **odd}) == _standard({**content, **odd})
    assert digest(3, content, GENESIS) == hashlib.sha256(
        f"3\n{GENESIS}\n{_standard(content)}".encode()).hexdigest()


def test_event_rows_are_the_rows_event_row_writes() -> None:
    """One canonical content for all the rows, each delivery's id put in its place: the same
    rows, hashes included, as `event_row` writes one by one, whatever the note, the actor and
    the ids (plain or not, the placeholder itself among them)."""
    at = dt.datetime(2026, 3, 10, 8, 30, 1, 123456, tzinfo=dt.UTC)
    plain = [str(uuid.uuid4()) for _ in range(20)]
    notes: list[str | None] = [
        None, "planned by rules r1 as of 2026-03-10", 'quotes " and \\ and\nnew line',
        "Sở Nội vụ tỉnh Khánh Hòa", "delivery-id-placeholder",
    ]
    for ids in (plain, ["x", "delivery-id-placeholder", "é", 'a"b', ""], []):
        for note in notes:
            for actor in (None, "router", "delivery-id-placeholder"):
                made = event_rows([(d, 0, None) for d in ids], "state", DeliveryState.PENDING,
                                  note, actor, at)
                assert made == [event_row(d, 0, None, "state", DeliveryState.PENDING, note,
                                          actor, at) for d in ids]
                chains = [(d, n % 3, None if n % 3 == 0 else f"{n:064x}")
                          for n, d in enumerate(ids)]
                made = event_rows(chains, "state", DeliveryState.DELIVERED, note, actor, at)
                assert made == [event_row(*chain, "state", DeliveryState.DELIVERED, note,
                                          actor, at) for chain in chains]
