"""An admin rotates an agency's webhook (or edXML URL) secret over HTTP and from the CLI."""

from __future__ import annotations

from typing import Any

import httpx

from docroute.service import Service
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.models import AgencyChannel, ChannelKind, Role
from foundation.webhook_secrets import issue_if_missing, signing_keys
from tests.docroute.test_service_cli import _docroute

AGENCY = "kh.so-noi-vu"
ROTATE = f"/v1/admin/agencies/{AGENCY}/webhook-secret/rotate"


async def test_an_admin_rotates_and_gets_the_new_secret_once(
    embedded_service: Service, embedded_client: httpx.AsyncClient, tokens: Any
) -> None:
    service, client = embedded_service, embedded_client
    admin = await tokens(service, Role.ADMIN)
    assert (await client.post(ROTATE, headers=admin)).status_code == 409  # no webhook yet
    async with transaction(service.sessions) as session:
        old = issue_if_missing(await set_channel(session, AGENCY, ChannelKind.WEBHOOK,
                                                 "https://93.184.216.34/hook"))
    sender = await tokens(service, Role.SENDER, "kh.ubnd-tinh")
    assert (await client.post(ROTATE, headers=sender)).status_code == 403
    answer = await client.post(ROTATE, params={"overlap_hours": 2}, headers=admin)
    assert answer.status_code == 200, answer.text
    new = answer.json()["secret"]
    assert new.startswith("whsec_") and new != old and answer.json()["previous_valid_until"]
    async with service.sessions() as session:
        row = await session.get(AgencyChannel, AGENCY)
    assert row is not None and signing_keys(row, "deployment") == [new, old]


async def test_the_cli_prints_the_secret_when_it_sets_a_webhook_and_when_it_rotates(
    embedded: Any,
) -> None:
    code, out, err = await _docroute(embedded, "agencies", "set-channel", AGENCY, "webhook",
                                     "https://93.184.216.34/hook")
    assert code == 0, err
    assert "webhook secret (shown once" in out and "whsec_" in out
    code, out, err = await _docroute(embedded, "agencies", "rotate-secret", AGENCY,
                                     "--overlap-hours", "1")
    assert code == 0, err
    assert "new webhook secret (shown once): whsec_" in out and "also signs until" in out
    code, _, err = await _docroute(embedded, "agencies", "rotate-secret", "kh.so-y-te")
    assert code == 2 and "has no webhook or edXML URL channel" in err


async def test_the_cli_names_an_edxml_urls_secret_as_its_own(embedded: Any) -> None:
    # Its packets are signed as webhooks are, with a secret of its own: the CLI says whose.
    code, out, err = await _docroute(embedded, "agencies", "set-channel", AGENCY, "edxml",
                                     "https://93.184.216.34/edxml")
    assert code == 0, err
    assert "edxml secret (shown once" in out and "whsec_" in out and "webhook" not in out
    code, out, err = await _docroute(embedded, "agencies", "rotate-secret", AGENCY)
    assert code == 0, err
    assert "new edxml secret (shown once): whsec_" in out
