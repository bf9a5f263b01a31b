"""End to end, on SQLite + in-process queue and on PostgreSQL + RabbitMQ: submit, route,
deliver, confirm."""

from __future__ import annotations

from typing import Any

import httpx

import rules
from docroute.service import Service
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import ChannelKind, DeliveryState, Role
from router.recipients import on_sending_day, sending_day

SENDER = "kh.ubnd-tinh"


def expected_agencies(text: str) -> set[str]:
    """The agencies the rules engine names for the text, asked directly, as they exist on the
    sending day (a 2023 document's abolished communes are sent to their successors)."""
    document = rules.read_document(text)
    directory = rules.default_directory()
    expansion = rules.expand(document, directory, rules.default_ruleset(), sender=SENDER)
    chosen, _ = on_sending_day(expansion.to_json(), directory, sending_day())
    return {recipient["id"] for recipient in chosen}


async def _use_webhooks(service: Service, agencies: list[str], url: str) -> None:
    async with transaction(service.sessions) as session:
        for agency in agencies:
            await set_channel(session, agency, ChannelKind.WEBHOOK, f"{url}/{agency}")


async def test_seed_004_reaches_each_expected_agency_once_and_shows_who_confirmed(
    service: Service, client: httpx.AsyncClient, sink: Any, tokens: Any, settled: Any,
    seed_text: Any,
) -> None:
    """Every agency the rules name gets exactly one delivery (webhook or inbox), and the
    document then lists who confirmed and who did not."""
    text = seed_text("004")
    expected = expected_agencies(text)
    assert len(expected) > 10
    by_webhook = sorted(expected)[:8]
    await _use_webhooks(service, by_webhook, sink.url)
    sender = await tokens(service, Role.SENDER, SENDER)

    answer = await client.post("/v1/documents", json={"text": text}, headers=sender)
    assert answer.status_code == 202, answer.text
    document_id = answer.json()["id"]
    rows = await settled(service, document_id)

    assert sorted(row.agency_id for row in rows) == sorted(expected)
    assert all(row.state == DeliveryState.DELIVERED for row in rows)
    delivery_of = {row.agency_id: row.id for row in rows}
    assert sink.keys_by_agency() == {agency: {delivery_of[agency]} for agency in by_webhook}
    assert sink.bad_signatures == 0

    by_inbox = sorted(expected - set(by_webhook))[0]
    agency = await tokens(service, Role.AGENCY, by_inbox)
    inbox = (await client.get("/v1/inbox", headers=agency)).json()
    assert [item["document"]["id"] for item in inbox["deliveries"]] == [document_id]

    confirmers = {by_webhook[0], by_inbox}
    for confirmer in confirmers:
        headers = await tokens(service, Role.AGENCY, confirmer)
        url = f"/v1/deliveries/{delivery_of[confirmer]}/status"
        reported = await client.post(url, json={"code": "03"}, headers=headers)
        assert reported.status_code == 200, reported.text

    auditor = await tokens(service, Role.AUDITOR)
    view = (await client.get(f"/v1/documents/{document_id}", headers=auditor)).json()
    assert set(view["summary"]["confirmed"]) == confirmers
    assert set(view["summary"]["not_confirmed"]) == expected - confirmers
    assert view["summary"]["deliveries"] == len(expected)
