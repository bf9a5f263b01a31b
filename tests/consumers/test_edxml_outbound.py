"""edXML packets POSTed to an agency's own system are signed as that agency's webhooks are:
with its channel's own secret (not the deployment's, shared by every agency), both secrets
while a rotation overlaps, read when sent; a row queued without its agency (before migration
0018) with the deployment's secret, as before."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from consumers.channel import Signed
from consumers.edxml_channel import EdxmlChannel
from consumers.edxml_outbound import PacketPoster
from consumers.webhook import WebhookChannel
from foundation.channels import set_channel
from foundation.database import SessionFactory, transaction
from foundation.errors import ClerkError
from foundation.hub_outbox import queue_outbound
from foundation.models import AgencyChannel, ChannelKind, Delivery, Document
from foundation.signing import sign, standard_signature
from foundation.webhook_secrets import issue_if_missing, rotate
from rules import default_directory
from tests.conftest import always, serving

DEPLOYMENT = "deployment-secret"
AGENCY = "kh.so-y-te"
BODY = b'<?xml version="1.0" encoding="UTF-8"?><edXML/>'


class Taken:
    """One POST the agency's system took: its headers (lower-cased names) and body."""

    def __init__(self, headers: dict[str, str], body: bytes) -> None:
        self.headers = headers
        self.body = body

    def signatures(self) -> list[str]:
        """The `v1,` signatures of `webhook-signature`, one per signing secret."""
        return self.headers["webhook-signature"].split(" ")

    def signed_with(self, secret: str) -> bool:
        """Whether one of the signatures is `secret`'s, as a receiver checks it."""
        expected = standard_signature(secret, self.headers["webhook-id"],
                                      self.headers["webhook-timestamp"], self.body)
        return expected in self.signatures()


@pytest.fixture
async def system() -> AsyncIterator[tuple[str, list[Taken]]]:
    """A local agency system taking edXML: its URL and every POST it took."""
    taken: list[Taken] = []
    app = FastAPI()

    @app.post("/edxml")
    async def take(request: Request) -> JSONResponse:
        taken.append(Taken({k.lower(): v for k, v in request.headers.items()},
                           await request.body()))
        return JSONResponse({"ok": True})

    async with serving(app) as port:
        yield f"http://127.0.0.1:{port}/edxml", taken


async def _own_secret(sessions: SessionFactory, url: str) -> str:
    """Set the agency's channel to its edXML system at `url`; the secret issued for it."""
    async with transaction(sessions) as session:
        secret = issue_if_missing(await set_channel(session, AGENCY, ChannelKind.EDXML, url))
    assert secret is not None and secret != DEPLOYMENT
    return secret


async def _queue(sessions: SessionFactory, key: str, url: str, agency: str | None) -> None:
    async with transaction(sessions) as session:
        assert await queue_outbound(session, key, "status", BODY, target=url, agency_id=agency)


async def _pass(sessions: SessionFactory) -> dict[str, int]:
    poster = PacketPoster(sessions, WebhookChannel(DEPLOYMENT, attempts=1, allow_private=True),
                          (0,))
    try:
        return await poster.run_once()
    finally:
        await poster.poster.close()


async def test_a_packet_is_signed_with_the_agencys_own_secret(
    sessions: SessionFactory, system: tuple[str, list[Taken]]
) -> None:
    url, taken = system
    own = await _own_secret(sessions, url)
    await _queue(sessions, "status-1", url, AGENCY)
    assert await _pass(sessions) == {"sent": 1, "retrying": 0, "failed": 0}
    (post,) = taken
    assert post.signed_with(own) and not post.signed_with(DEPLOYMENT)
    assert len(post.signatures()) == 1
    assert post.headers["x-docroute-signature"] == "sha256=" + sign(own, BODY)
    # The other headers as before: keyed by the row id, the packet's kind named.
    assert post.headers["webhook-id"] == post.headers["idempotency-key"] == "status-1"
    assert post.headers["x-edxml-message-type"] == "status"
    assert post.headers["content-type"].startswith("application/xml")


async def test_a_rotation_after_queueing_signs_with_both_secrets_while_it_overlaps(
    sessions: SessionFactory, system: tuple[str, list[Taken]]
) -> None:
    url, taken = system
    old = await _own_secret(sessions, url)
    await _queue(sessions, "status-1", url, AGENCY)
    async with transaction(sessions) as session:  # rotated once the packet waits
        _, new = await rotate(session, AGENCY, dt.timedelta(hours=1))
    assert await _pass(sessions) == {"sent": 1, "retrying": 0, "failed": 0}
    (post,) = taken
    assert post.signed_with(new) and post.signed_with(old) and not post.signed_with(DEPLOYMENT)
    assert len(post.signatures()) == 2
    assert post.headers["x-docroute-signature"] == "sha256=" + sign(new, BODY)

    # Once the overlap is over, the new secret alone.
    async with transaction(sessions) as session:
        row = await session.get(AgencyChannel, AGENCY)
        assert row is not None
        row.previous_until = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        session.add(row)
    await _queue(sessions, "status-2", url, AGENCY)
    assert await _pass(sessions) == {"sent": 1, "retrying": 0, "failed": 0}
    assert taken[1].signatures() == [standard_signature(
        new, "status-2", taken[1].headers["webhook-timestamp"], BODY)]


async def test_a_row_without_its_agency_or_an_agency_without_a_secret_signs_as_the_deployment(
    sessions: SessionFactory, system: tuple[str, list[Taken]]
) -> None:
    url, taken = system
    await _own_secret(sessions, url)
    await _queue(sessions, "queued-before-0018", url, None)  # as rows queued before 0018
    await _queue(sessions, "no-channel-row", url, "kh.so-tai-chinh")  # no secret of its own
    assert await _pass(sessions) == {"sent": 2, "retrying": 0, "failed": 0}
    assert sorted(p.headers["webhook-id"] for p in taken) == ["no-channel-row",
                                                              "queued-before-0018"]
    for post in taken:
        assert post.signatures() == [standard_signature(
            DEPLOYMENT, post.headers["webhook-id"], post.headers["webhook-timestamp"], BODY)]


async def test_a_delivery_posted_to_an_edxml_system_is_signed_with_the_agencys_secrets(
    sessions: SessionFactory, system: tuple[str, list[Taken]]
) -> None:
    """The document's own packet, POSTed by the delivery worker (`send_to`, the channel being
    a signing one), as the outbox's packets are."""
    url, taken = system
    old = await _own_secret(sessions, url)
    async with transaction(sessions) as session:
        _, new = await rotate(session, AGENCY, dt.timedelta(hours=1))
    async with sessions() as session:
        channel = await session.get(AgencyChannel, AGENCY)
    assert channel is not None
    poster = WebhookChannel(DEPLOYMENT, allow_private=True)
    edxml = EdxmlChannel(sessions, always(default_directory()), poster)
    assert isinstance(edxml, Signed)  # so the delivery worker sends with `send_to`
    document = Document(id="d-1", text="Số: 15/UBND-VP\n...", number="15/UBND-VP",
                        date=dt.date(2025, 3, 4), subject="V/v thử", doc_type="công văn",
                        sender="kh.ubnd-tinh", expansion={"lines": []})
    delivery = Delivery(id="dl-1", document_id="d-1", agency_id=AGENCY, agency_name=AGENCY)
    try:
        outcome = await edxml.send_to(delivery, document, channel)
    finally:
        await poster.close()
    assert outcome.delivered, outcome.note
    (post,) = taken
    assert post.signed_with(new) and post.signed_with(old) and not post.signed_with(DEPLOYMENT)
    assert post.headers["webhook-id"] == post.headers["idempotency-key"] == "dl-1"


async def test_an_edxml_url_channel_is_issued_a_secret_and_rotated_the_hub_is_not(
    sessions: SessionFactory,
) -> None:
    """An agency's edXML system at a URL gets a secret of its own when the channel is set, as
    a webhook does, and an admin may rotate it; `edxml hub` is not POSTed to: neither."""
    async with transaction(sessions) as session:
        row = await set_channel(session, AGENCY, ChannelKind.EDXML, "https://93.184.216.34/x")
        first = issue_if_missing(row)
        hub = await set_channel(session, "kh.so-tai-chinh", ChannelKind.EDXML, "hub")
        assert issue_if_missing(hub) is None
    assert first is not None and first.startswith("whsec_")
    async with transaction(sessions) as session:
        _, new = await rotate(session, AGENCY, dt.timedelta(hours=1))
    assert new != first
    with pytest.raises(ClerkError) as refused:
        async with transaction(sessions) as session:
            await rotate(session, "kh.so-tai-chinh", dt.timedelta(hours=1))
    assert refused.value.status == 409
