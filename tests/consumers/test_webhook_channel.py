"""The webhook channel: signed, keyed by delivery id, retried on 5xx and timeouts only."""

from __future__ import annotations

import datetime
import json

import httpx

from consumers.webhook import WebhookChannel
from router.models import Delivery, Document
from router.signing import verify

SECRET = "s3cret"
DOCUMENT = Document(id="doc-1", text="Nơi nhận:\n- Sở Nội vụ;", number="1/TB-UBND",
                    date=datetime.date(2024, 1, 2))
DELIVERY = Delivery(id="del-1", document_id="doc-1", agency_id="kh.so-noi-vu",
                    agency_name="Sở Nội vụ", reasons=[{"rule": "named"}])


def _channel(handler: httpx.MockTransport, attempts: int = 4) -> WebhookChannel:
    client = httpx.AsyncClient(transport=handler)
    return WebhookChannel(client, SECRET, attempts=attempts, backoff_seconds=0.001)


async def test_post_is_signed_and_keyed_by_the_delivery_id() -> None:
    """The body verifies against the HMAC header and Idempotency-Key is the delivery id."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    outcome = await _channel(httpx.MockTransport(answer)).send(DELIVERY, DOCUMENT, "http://a/h")
    assert outcome.delivered
    [request] = seen
    assert request.headers["idempotency-key"] == "del-1"
    signature = request.headers["x-docroute-signature"].removeprefix("sha256=")
    assert verify(SECRET, request.content, signature)
    payload = json.loads(request.content)
    assert payload["document"]["number"] == "1/TB-UBND"
    assert payload["reasons"] == [{"rule": "named"}]


async def test_5xx_is_retried_until_the_agency_recovers() -> None:
    """Two 503s then a 200: delivered, after three identical requests."""
    answers = iter([503, 503, 200])
    bodies: list[bytes] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(request.content)
        return httpx.Response(next(answers))

    outcome = await _channel(httpx.MockTransport(answer)).send(DELIVERY, DOCUMENT, "http://a/h")
    assert outcome.delivered
    assert len(bodies) == 3 and len(set(bodies)) == 1


async def test_4xx_fails_at_once_with_the_agencys_answer() -> None:
    """A 400 is not retried: the delivery fails with the status and body in the reason."""
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(400, text="unknown recipient")

    outcome = await _channel(httpx.MockTransport(answer)).send(DELIVERY, DOCUMENT, "http://a/h")
    assert not outcome.delivered
    assert "HTTP 400" in outcome.note and "unknown recipient" in outcome.note
    assert len(calls) == 1


async def test_timeouts_exhaust_the_attempts_and_fail() -> None:
    """A server that always times out is tried `attempts` times, then the delivery fails."""
    calls: list[int] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        raise httpx.ReadTimeout("slow agency", request=request)

    outcome = await _channel(httpx.MockTransport(answer), attempts=3).send(
        DELIVERY, DOCUMENT, "http://a/h"
    )
    assert not outcome.delivered
    assert "gave up after 3 attempts" in outcome.note
    assert len(calls) == 3


async def test_redirect_is_not_followed_and_fails_naming_the_new_url() -> None:
    """A 301 is not followed: the delivery fails with the Location to set as the channel."""

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(301, headers={"location": "https://new.example/hook"})

    outcome = await _channel(httpx.MockTransport(answer)).send(DELIVERY, DOCUMENT, "http://a/h")
    assert not outcome.delivered
    assert "https://new.example/hook" in outcome.note
