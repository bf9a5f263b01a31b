"""The webhook channel against a real local HTTP server: signed, keyed by delivery id, retried
on 5xx, timeouts and connection errors only, on pooled connections it closes when told."""

from __future__ import annotations

import asyncio
import base64
import datetime
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field

import orjson
import pytest
from aiohttp import web

from consumers.channel import document_payload
from consumers.webhook import DocumentParts, WebhookChannel
from docroute.service import Service
from foundation.channels import set_channel
from foundation.database import SessionFactory, transaction
from foundation.models import AgencyChannel, ChannelKind, Delivery, Document
from foundation.settings import Settings
from foundation.signing import verify
from foundation.webhook_secrets import issue_if_missing, new_secret, rotate, signing_keys
from tests.conftest import free_port, trickling_server

SECRET = "s3cret"
DOCUMENT = Document(id="doc-1", text="Nơi nhận:\n- Sở Nội vụ;", number="1/TB-UBND",
                    date=datetime.date(2024, 1, 2))
DELIVERY = Delivery(id="del-1", document_id="doc-1", agency_id="kh.so-noi-vu",
                    agency_name="Sở Nội vụ", reasons=[{"rule": "named"}])


@dataclass(frozen=True)
class Answer:
    """One scripted answer of the agency's server."""

    status: int = 200
    text: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering


@dataclass(frozen=True)
class Received:
    """One request as the agency's server saw it."""

    headers: Mapping[str, str]
    body: bytes
    peer: tuple[str, int]  # the client's address and port: one port per TCP connection


@dataclass
class Agency:
    """An agency's webhook server: answers from `script` in order (the last answer repeats)
    and records every request; `in_flight_max` is the most requests it held at once."""

    url: str = ""
    script: list[Answer] = field(default_factory=lambda: [Answer()])
    received: list[Received] = field(default_factory=list)
    in_flight: int = 0
    in_flight_max: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        """Record the request, then give the next scripted answer."""
        body = await request.read()
        peer = request.transport.get_extra_info("peername") if request.transport else None
        self.received.append(Received(request.headers.copy(), body, tuple(peer or ("", 0))))
        answer = self.script[min(len(self.received), len(self.script)) - 1]
        self.in_flight += 1
        self.in_flight_max = max(self.in_flight_max, self.in_flight)
        try:
            await asyncio.sleep(answer.delay)
        finally:
            self.in_flight -= 1
        return web.Response(status=answer.status, text=answer.text, headers=answer.headers)


@pytest.fixture
async def agency() -> AsyncIterator[Agency]:
    """An aiohttp server on a free port of 127.0.0.1, in this event loop."""
    recorder = Agency()
    app = web.Application()
    app.router.add_post("/hook", recorder.handle)
    # Cancel handlers whose client went away (a timed-out request), so cleanup is quick.
    runner = web.AppRunner(app, access_log=None, handler_cancellation=True, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    recorder.url = f"http://{host}:{port}/hook"
    yield recorder
    await runner.cleanup()


@pytest.fixture
async def make_channel() -> AsyncIterator[Callable[..., WebhookChannel]]:
    """`make_channel(attempts=…, timeout=…, concurrency=…)`: a channel with a tiny backoff,
    closed after the test."""
    made: list[WebhookChannel] = []

    def make(attempts: int = 4, timeout: float = 5.0, concurrency: int = 16) -> WebhookChannel:
        channel = WebhookChannel(SECRET, attempts=attempts, backoff_seconds=0.001,
                                 timeout=timeout, concurrency=concurrency,
                                 allow_private=True)
        made.append(channel)
        return channel

    yield make
    for channel in made:
        await channel.close()


async def test_post_is_signed_and_keyed_by_the_delivery_id(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """The body verifies against the HMAC header, Idempotency-Key is the delivery id, and the
    JSON carries the document and the reasons."""
    outcome = await make_channel().send(DELIVERY, DOCUMENT, agency.url)
    assert outcome.delivered
    assert outcome.note == "webhook answered HTTP 200"
    [request] = agency.received
    assert request.headers["idempotency-key"] == "del-1"
    assert request.headers["content-type"] == "application/json; charset=utf-8"
    signature = request.headers["x-docroute-signature"].removeprefix("sha256=")
    assert verify(SECRET, request.body, signature)
    # Standard Webhooks: HMAC-SHA256 over "id.timestamp.body", base64, after "v1,".
    webhook_id, stamp = request.headers["webhook-id"], request.headers["webhook-timestamp"]
    assert webhook_id == "del-1" and abs(int(stamp) - time.time()) < 3600
    signed = f"{webhook_id}.{stamp}.".encode() + request.body
    expected = base64.b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest())
    assert request.headers["webhook-signature"] == "v1," + expected.decode()
    payload = json.loads(request.body)
    assert payload["delivery_id"] == "del-1"
    assert payload["document"]["number"] == "1/TB-UBND"
    assert payload["reasons"] == [{"rule": "named"}]


async def test_a_missing_url_fails_without_a_request(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """No URL on the channel: failed at once, saying so, and no session is opened."""
    channel = make_channel()
    outcome = await channel.send(DELIVERY, DOCUMENT, None)
    assert not outcome.delivered
    assert outcome.note == "the agency's webhook channel has no URL"
    assert channel.session is None


async def test_5xx_is_retried_until_the_agency_recovers(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """Two 503s then a 200: delivered, after three identical requests (same body, same key)."""
    agency.script = [Answer(503, "try later"), Answer(503, "try later"), Answer(200)]
    outcome = await make_channel().send(DELIVERY, DOCUMENT, agency.url)
    assert outcome.delivered
    assert len(agency.received) == 3
    assert len({request.body for request in agency.received}) == 1
    assert {request.headers["idempotency-key"] for request in agency.received} == {"del-1"}


async def test_5xx_that_never_ends_exhausts_the_attempts(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """Always 503: tried `attempts` times, then failed naming the last status."""
    agency.script = [Answer(503)]
    outcome = await make_channel(attempts=3).send(DELIVERY, DOCUMENT, agency.url)
    assert not outcome.delivered
    assert outcome.note == "webhook failed 3 attempts: HTTP 503"
    assert outcome.retry  # transient: a later round may succeed
    assert len(agency.received) == 3


async def test_4xx_fails_at_once_with_the_agencys_answer(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """A 400 is not retried: the delivery fails with the status and the first 300 characters
    of the body in the reason."""
    agency.script = [Answer(400, "unknown recipient: Sở Nội vụ " + "x" * 400)]
    outcome = await make_channel().send(DELIVERY, DOCUMENT, agency.url)
    assert not outcome.delivered
    prefix = "webhook refused with HTTP 400 | the agency's server answered: "
    assert outcome.note.startswith(prefix + "unknown recipient: Sở Nội vụ")
    assert not outcome.retry
    assert outcome.note == prefix + agency.script[0].text[:300]
    assert len(agency.received) == 1


async def test_timeouts_exhaust_the_attempts_and_fail(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """A server slower than the channel's timeout is tried `attempts` times, then the delivery
    fails saying the retries ran out on a timeout."""
    agency.script = [Answer(200, delay=1.0)]
    outcome = await make_channel(attempts=3, timeout=0.2).send(DELIVERY, DOCUMENT, agency.url)
    assert not outcome.delivered
    assert outcome.note.startswith("webhook failed 3 attempts: ")
    assert "Timeout" in outcome.note
    assert outcome.retry
    assert len(agency.received) == 3


async def test_an_answer_later_than_the_timeout_but_within_the_deadline_is_delivered(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """`timeout` bounds connecting; the answer has the attempt's whole deadline (twice the
    timeout), with no read timeout of its own: one that comes after 0.7 s, under a 0.5 s
    timeout, is delivered at the first attempt."""
    agency.script = [Answer(200, delay=0.7)]
    channel = make_channel(attempts=1, timeout=0.5)
    assert channel.deadline == 1.0
    outcome = await channel.send(DELIVERY, DOCUMENT, agency.url)
    assert outcome.delivered, outcome.note
    assert len(agency.received) == 1


async def test_a_slow_answer_within_the_timeout_is_delivered_once(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """An answer that comes before the timeout is not retried."""
    agency.script = [Answer(200, delay=0.1)]
    outcome = await make_channel(timeout=1.0).send(DELIVERY, DOCUMENT, agency.url)
    assert outcome.delivered
    assert len(agency.received) == 1


async def test_redirect_is_not_followed_and_fails_naming_the_new_url(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """A 301 is not followed (one request, nothing sent to the new host): the delivery fails
    with the Location to set as the channel."""
    agency.script = [Answer(301, headers={"Location": "https://new.example/hook"})]
    outcome = await make_channel().send(DELIVERY, DOCUMENT, agency.url)
    assert not outcome.delivered
    assert outcome.note == (
        "webhook redirected to https://new.example/hook; set that URL as the channel"
    )
    assert len(agency.received) == 1


async def test_a_refused_connection_fails_after_the_attempts(
    make_channel: Callable[..., WebhookChannel]
) -> None:
    """Nothing listens at the URL: the delivery fails once the attempts run out, with a note
    saying the host could not be reached."""
    url = f"http://127.0.0.1:{free_port()}/hook"
    outcome = await make_channel(attempts=3).send(DELIVERY, DOCUMENT, url)
    assert not outcome.delivered
    assert outcome.note.startswith("webhook failed 3 attempts: ClientConnectorError: ")
    assert "Cannot connect to host 127.0.0.1" in outcome.note
    assert outcome.retry


async def test_a_dropped_connection_is_retried(
    make_channel: Callable[..., WebhookChannel]
) -> None:
    """A server that accepts and hangs up at once is connected to `attempts` times, then the
    delivery fails naming the disconnection."""
    connections: list[int] = []

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        writer.close()
        await writer.wait_closed()

    server = await asyncio.start_server(hang_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        outcome = await make_channel(attempts=3).send(
            DELIVERY, DOCUMENT, f"http://127.0.0.1:{port}/hook"
        )
    finally:
        server.close()
        await server.wait_closed()
    assert not outcome.delivered
    assert outcome.note.startswith("webhook failed 3 attempts: ServerDisconnectedError")
    assert len(connections) == 3


async def test_answers_are_read_so_one_connection_serves_every_request(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """503 (with a body), 200, 400 (with a body), 200: every answer is read to the end, so
    the connection goes back to the pool and all four requests arrive on the same one."""
    agency.script = [Answer(503, "busy " * 200), Answer(200, "ok"), Answer(400, "no " * 200),
                     Answer(200, "ok")]
    channel = make_channel()
    assert (await channel.send(DELIVERY, DOCUMENT, agency.url)).delivered  # 503 then 200
    assert not (await channel.send(DELIVERY, DOCUMENT, agency.url)).delivered  # 400
    assert (await channel.send(DELIVERY, DOCUMENT, agency.url)).delivered  # 200
    assert len(agency.received) == 4
    assert len({request.peer for request in agency.received}) == 1


async def test_requests_in_flight_are_limited_to_the_concurrency(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """Eight sends at once through a channel of concurrency 2: the server never holds more
    than two requests, and all eight are delivered (the rest waited for a connection)."""
    agency.script = [Answer(200, delay=0.05)]
    channel = make_channel(concurrency=2, timeout=1.0)
    outcomes = await asyncio.gather(
        *(channel.send(DELIVERY, DOCUMENT, agency.url) for _ in range(8))
    )
    assert all(outcome.delivered for outcome in outcomes)
    assert len(agency.received) == 8
    assert agency.in_flight_max == 2


async def test_close_closes_the_session_and_a_later_send_opens_a_new_one(
    agency: Agency, make_channel: Callable[..., WebhookChannel]
) -> None:
    """No session before the first send; `close` closes it (and is safe to repeat); the next
    send opens a fresh session on a new connection."""
    channel = make_channel()
    assert channel.session is None
    await channel.close()  # nothing to close yet
    assert (await channel.send(DELIVERY, DOCUMENT, agency.url)).delivered
    first = channel.session
    assert first is not None and not first.closed
    await channel.close()
    assert first.closed
    assert channel.session is None
    await channel.close()
    assert (await channel.send(DELIVERY, DOCUMENT, agency.url)).delivered
    second = channel.session
    assert second is not None and second is not first and not second.closed
    assert agency.received[0].peer != agency.received[1].peer


async def test_service_stop_closes_the_webhook_session(agency: Agency, embedded: Settings) -> None:
    """The service builds the webhook channel from its settings and closes its session on
    `stop`."""
    service = Service(embedded)
    channel = service.channels["webhook"]
    assert isinstance(channel, WebhookChannel)
    assert (channel.attempts, channel.timeout) == (embedded.webhook_attempts,
                                                   embedded.webhook_timeout)
    assert channel.concurrency == embedded.webhook_concurrency
    assert (await channel.send(DELIVERY, DOCUMENT, agency.url)).delivered
    session = channel.session
    assert session is not None
    await service.stop()
    assert session.closed


async def test_a_server_that_trickles_its_answer_cannot_hold_the_worker() -> None:
    """Headers a byte at a time never end on their own; the attempt's deadline ends it, and
    the round is reported as worth a later round."""
    async with trickling_server(b"HTTP/1.1 200 OK\r\nX-Slow: ") as port:
        channel = WebhookChannel(SECRET, attempts=2, backoff_seconds=0.001, timeout=0.2,
                                 allow_private=True)
        try:
            outcome = await channel.send(DELIVERY, DOCUMENT, f"http://127.0.0.1:{port}/hook")
        finally:
            await channel.close()
    assert (outcome.delivered, outcome.retry) == (False, True)
    assert outcome.note.startswith("webhook failed 2 attempts: TimeoutError")


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
async def test_an_internal_address_is_refused_when_sending_unless_allowed(
    agency: Agency, host: str
) -> None:
    """Private targets not allowed: a name that resolves to loopback, or a loopback IP, is
    refused at send time with a final failure naming the address, and nothing is posted;
    allowed, the same URL is delivered."""
    url = agency.url.replace("127.0.0.1", host)
    strict = WebhookChannel(SECRET, attempts=1)
    allowed = WebhookChannel(SECRET, attempts=1, allow_private=True)
    try:
        refused = await strict.send(DELIVERY, DOCUMENT, url)
        assert not refused.delivered and not refused.retry
        assert f"'{host}'" in refused.note and "127.0.0.1" in refused.note
        assert "DOCROUTE_ALLOW_PRIVATE_WEBHOOKS" in refused.note
        assert agency.received == []
        assert (await allowed.send(DELIVERY, DOCUMENT, url)).delivered
        assert len(agency.received) == 1
    finally:
        await strict.close()
        await allowed.close()


# Per-agency webhook secrets (issue 11): issued with the channel, rotated with an overlap in
# which the old and the new secret both sign, verified the way the README tells agencies to.

AGENCY, OTHER = "kh.so-noi-vu", "kh.so-y-te"


def verified(secret: str, headers: Mapping[str, str], body: bytes) -> bool:
    """The README's verification example, with a `whsec_...` secret as the bytes it encodes."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    msg_id, stamp = headers["webhook-id"], headers["webhook-timestamp"]
    if abs(time.time() - int(stamp)) > 300:
        return False
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest()
    expected = "v1," + base64.b64encode(mac).decode()
    return any(hmac.compare_digest(expected, s) for s in headers["webhook-signature"].split())


async def _webhook(sessions: SessionFactory, agency_id: str, url: str) -> str:
    async with transaction(sessions) as session:
        secret = issue_if_missing(await set_channel(session, agency_id, ChannelKind.WEBHOOK, url))
    assert secret is not None and secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    return secret


async def _row(sessions: SessionFactory, agency_id: str) -> AgencyChannel:
    async with sessions() as session:
        row = await session.get(AgencyChannel, agency_id)
    assert row is not None
    return row


async def _post(sessions: SessionFactory, agency: Agency, agency_id: str) -> Received:
    channel = WebhookChannel(SECRET, attempts=1, allow_private=True)
    try:
        outcome = await channel.send_to(DELIVERY, DOCUMENT, await _row(sessions, agency_id))
    finally:
        await channel.close()
    assert outcome.delivered, outcome.note
    return agency.received[-1]


async def test_each_agency_verifies_with_its_own_secret_and_not_another(
    sessions: SessionFactory, agency: Agency
) -> None:
    mine = await _webhook(sessions, AGENCY, agency.url)
    theirs = await _webhook(sessions, OTHER, agency.url)
    assert mine != theirs
    request = await _post(sessions, agency, AGENCY)
    assert verified(mine, request.headers, request.body)
    assert not verified(theirs, request.headers, request.body)
    assert len(request.headers["webhook-signature"].split()) == 1
    # Stored so the workers can sign, read back as a SecretStr: never shown by repr.
    row = await _row(sessions, AGENCY)
    assert mine not in repr(row) and row.secret is not None
    async with transaction(sessions) as session:  # set again: the secret stays
        again = await set_channel(session, AGENCY, ChannelKind.WEBHOOK, agency.url + "?v=2")
        assert issue_if_missing(again) is None


async def test_after_a_rotation_both_secrets_verify_during_the_overlap_then_only_the_new(
    sessions: SessionFactory, agency: Agency
) -> None:
    old = await _webhook(sessions, AGENCY, agency.url)
    async with transaction(sessions) as session:
        _, new = await rotate(session, AGENCY, datetime.timedelta(hours=1))
    during = await _post(sessions, agency, AGENCY)
    assert len(during.headers["webhook-signature"].split()) == 2
    assert verified(new, during.headers, during.body)
    assert verified(old, during.headers, during.body)

    row = await _row(sessions, AGENCY)
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(hours=2)
    assert signing_keys(row, SECRET, later) == [new]
    async with transaction(sessions) as session:  # a rotation whose overlap is over
        _, newest = await rotate(session, AGENCY, datetime.timedelta(0))
    after = await _post(sessions, agency, AGENCY)
    assert verified(newest, after.headers, after.body)
    assert not verified(new, after.headers, after.body)
    assert not verified(old, after.headers, after.body)


async def test_a_channel_without_its_own_secret_rotates_away_from_the_deployment_secret(
    sessions: SessionFactory, agency: Agency
) -> None:
    """A webhook set before per-agency secrets signs with DOCROUTE_SIGNING_SECRET; its first
    rotation keeps that one signing through the overlap."""
    async with transaction(sessions) as session:
        await set_channel(session, AGENCY, ChannelKind.WEBHOOK, agency.url)
    row = await _row(sessions, AGENCY)
    assert signing_keys(row, SECRET) == [SECRET]
    async with transaction(sessions) as session:
        _, new = await rotate(session, AGENCY, datetime.timedelta(hours=1))
    assert signing_keys(await _row(sessions, AGENCY), SECRET) == [new, SECRET]


def _reference_parts(
    delivery: Delivery, document: Document, keys: list[str], stamp: str
) -> tuple[bytes, dict[str, str]]:
    """The body and signature headers as the channel wrote them before it kept each
    document's encoded part: the whole payload encoded per POST, each key decoded per POST."""
    body = orjson.dumps(document_payload(delivery, document))
    signatures = []
    for key in keys:
        raw = base64.b64decode(key.removeprefix("whsec_")) if key.startswith("whsec_") \
            else key.encode()
        digest = hmac.new(raw, f"{delivery.id}.{stamp}.".encode() + body, hashlib.sha256)
        signatures.append("v1," + base64.b64encode(digest.digest()).decode())
    x_sig = hmac.new(keys[0].encode(), body, hashlib.sha256).hexdigest()
    return body, {"webhook-signature": " ".join(signatures), "X-Docroute-Signature":
                  "sha256=" + x_sig}


def test_request_parts_are_byte_for_byte_the_whole_payloads_encoding() -> None:
    """The body built around a document's cached part, and its signatures, are exactly what
    encoding the whole payload per delivery gave, for every recipient of the document."""
    channel = WebhookChannel(SECRET)
    document = Document(id="doc-9", text="Nơi nhận:\n- \"Sở\" Nội vụ;\t\u2028 ✓", number="9/QĐ",
                        date=datetime.date(2024, 6, 3), issuer="UBND", subject="Về việc",
                        urgency="Khẩn", sender="kh.ubnd")
    keys = [new_secret(), "plain-secret"]
    for n in range(3):
        delivery = Delivery(id=f"del-{n}", document_id="doc-9", agency_id=f"kh.a{n}",
                            agency_name="A", reasons=[{"rule": "named", "line": n, "x": None}])
        body, headers = channel.request_parts(delivery, document, keys)
        expected_body, expected = _reference_parts(delivery, document, keys,
                                                   headers["webhook-timestamp"])
        assert body == expected_body
        assert headers["webhook-signature"] == expected["webhook-signature"]
        assert headers["X-Docroute-Signature"] == expected["X-Docroute-Signature"]


def test_document_parts_are_kept_per_document_object_only() -> None:
    """The same object gives the part encoded once; another object with the same id (a
    later batch's read, maybe changed) is encoded again; the oldest parts are dropped."""
    parts = DocumentParts(size=2)
    first = Document(id="doc-1", text="one")
    assert parts(first) is parts(first)
    changed = Document(id="doc-1", text="two")
    assert orjson.loads(orjson.dumps(parts(changed)))["text"] == "two"
    assert parts(changed) is parts(changed)
    others = [Document(id=f"doc-{n}", text=str(n)) for n in (2, 3)]
    held = parts(changed)
    for other in others:
        parts(other)
    assert parts(changed) is not held  # dropped after two newer documents, encoded again
    assert orjson.dumps(parts(changed)) == orjson.dumps(held)
