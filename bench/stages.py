"""Benchmark: CPU of the API, the router and the delivery worker, each running alone.

Usage: .venv/bin/python -m bench.stages [--documents 400] [--recipients 50]

bench/pipeline.py runs every stage at once, and on a small machine they slow each other
down; this bench runs the three stages one after the other in this process, on PostgreSQL
and RabbitMQ as the pipeline does, to say what each costs by itself:

1. the API and its relay: the documents of bench/pipeline.py submitted through
   `POST /v1/documents` (ASGI, 200 at a time) and published to the documents queue, with no
   router running. The bench's own client is measured apart, against a stub app, and left
   out, as bench/pipeline.py does;
2. the router and its relay: a router started on those queued documents, timed until every
   document is routed (its deliveries planned, their messages in the outbox and published);
3. a delivery worker: started on those queued deliveries, timed until every one is
   delivered to a webhook sink running in a child process (the agencies' CPU is not
   docroute's), with the settings `docroute worker delivery` runs with.

Beside each stage, the CPU the PostgreSQL server spent while it ran (the whole server, as
bench/pipeline.py counts it: its start-up's queries and the bench's polls included), per
delivery. A stage that makes no progress for a minute fails the bench with a message: it
never hangs.

The baselines of the same run: the rules engine alone on the same text, reading the document
(`router.recipients.read`, which the API and the router each do) and expanding it, per
document; and the plain-POST floor against the same sink, per delivery: as many plain aiohttp
POSTs from this process of one delivery's signed body and headers (`bench.webhook_post.plain`,
16 in flight). The last line reads
`stages: api <a> ms, router <r> ms, read <p> ms, read+expand <e> ms per document of <n>
recipients; delivery <d> us, plain POST <f> us per delivery` (on one line).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import httpx
from sqlalchemy import func
from sqlmodel import col, select

from bench.pipeline import (
    SENDER,
    Sink,
    _bench_settings,
    _pg,
    _postgres_cpu,
    _sender_token,
    _submit,
    bench_document,
    client_cpu,
)
from bench.webhook_post import plain, sink_process
from consumers.delivery_rows import read_deliveries, read_documents
from consumers.webhook import WebhookChannel
from docroute.service import Service
from docroute.service_cli import freeze_startup_objects
from foundation.broker.factory import make_broker
from foundation.logs import configure_logging
from foundation.models import Delivery, DeliveryState, Document, OutboxMessage
from foundation.settings import Settings
from router import recipients

CHUNK = 200  # submissions in flight at once, as bench/pipeline.py sends them
RELAY_SECONDS = 2.0  # for the relay to publish the last submissions before the API stops
STALL_SECONDS = 60.0  # a stage doing nothing for this long fails the bench: no hang
# How often a stage's end is looked for (a count query): often enough that the stage does
# not idle long, rarely enough that the polls' own CPU stays well under 1% of the figures.
POLL_SECONDS = 0.2


async def _unrouted(service: Service) -> int:
    """Documents not routed yet, and outbox rows not published yet."""
    async with service.sessions() as session:
        documents = (await session.exec(select(func.count()).select_from(Document)
                                        .where(col(Document.routed_at).is_(None)))).one()
        messages = (await session.exec(select(func.count()).select_from(OutboxMessage)
                                       .where(col(OutboxMessage.sent_at).is_(None)))).one()
        return documents + messages


async def _undelivered(service: Service) -> int:
    async with service.sessions() as session:
        query = select(func.count()).select_from(Delivery).where(
            col(Delivery.state) != DeliveryState.DELIVERED)
        return (await session.exec(query)).one()


async def _until_none(service: Service, left: Any, what: str) -> float:
    """CPU seconds until `left(service)` is 0; fails after STALL_SECONDS without progress."""
    started = time.process_time()
    count, progress = await left(service), time.monotonic()
    while count:
        await asyncio.sleep(POLL_SECONDS)
        now = await left(service)
        if now < count:
            count, progress = now, time.monotonic()
        elif time.monotonic() - progress > STALL_SECONDS:
            raise SystemExit(f"bench.stages: {count} {what} left, none done in "
                             f"{STALL_SECONDS:.0f} s")
    return time.process_time() - started


async def _api(service: Service, headers: dict[str, str], text: str, documents: int) -> float:
    """CPU seconds of submitting `documents` documents and relaying them, client left out."""
    from docroute.api.app import create_app  # after main() has fixed the import path

    transport = httpx.ASGITransport(app=create_app(service))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await _submit(client, headers, text, 0)  # caches hot, as the pipeline's warm-up
        started = time.process_time()
        for first in range(1, documents + 1, CHUNK):
            last = min(first + CHUNK, documents + 1)
            await asyncio.gather(*(_submit(client, headers, text, n) for n in range(first, last)))
        await asyncio.sleep(RELAY_SECONDS)  # the relay publishes the last ones
        spent = time.process_time() - started
    return spent - await client_cpu(headers, text, documents, b'{"id": "stub"}')


async def _router(settings: Settings) -> float:
    """CPU seconds of a router (and its relay) routing every queued document."""
    router = Service(settings)
    await router.start(relay=True, router=True, delivery=False)
    freeze_startup_objects()  # as `docroute worker router` does
    try:
        return await _until_none(router, _unrouted, "documents to route or messages to publish")
    finally:
        await router.stop()


async def _deliveries(settings: Settings, port: int) -> tuple[float, float, int]:
    """CPU seconds of a delivery worker sending every planned delivery, CPU seconds of as
    many plain POSTs of one of their bodies to the same sink, and how many deliveries."""
    worker = Service(settings)
    await worker.start(relay=False, router=False, delivery=True)
    freeze_startup_objects()  # as `docroute worker delivery` does
    try:
        count = await _undelivered(worker)
        sending = await _until_none(worker, _undelivered, "deliveries to send")
        async with worker.sessions() as session:
            ids = set((await session.exec(select(Delivery.id).limit(1))).all())
            delivery, _ = (await read_deliveries(session, ids)).popitem()[1]
            documents = await read_documents(session, {delivery.document_id}, whole=False)
        body, headers = WebhookChannel(settings.signing_secret.get_secret_value()
                                       if settings.signing_secret else "").request_parts(
            delivery, documents[delivery.document_id])
        floor = await plain(f"http://127.0.0.1:{port}/agency", count, body, headers)
        return sending, floor, count
    finally:
        await worker.stop()


async def _delete_queues(settings: Settings) -> None:
    """The bench's queues (their names carry its own prefix), whatever stage it stopped at."""
    broker = make_broker(settings)
    await broker.start()
    try:
        await broker.delete_queues()  # type: ignore[attr-defined]  # RabbitBroker here
    finally:
        await broker.close()


def rules_alone(text: str, documents: int) -> tuple[float, float]:
    """CPU seconds per document of reading the text, and of reading and expanding it."""
    routing = recipients.shipped()
    started = time.process_time()
    for _ in range(documents):
        recipients.read(text)
    read = (time.process_time() - started) / documents
    started = time.process_time()
    for _ in range(documents):
        routing.expand(recipients.read(text), SENDER, None)
    return read, (time.process_time() - started) / documents


async def run(documents: int, recipients_: int, port: int) -> dict[str, float]:
    """Time the API, the router, then a delivery worker, on one fresh database, the webhook
    sink listening on `port`; return seconds per document and per delivery."""
    text, agencies = bench_document(recipients_)
    settings = await _bench_settings()
    configure_logging(settings)
    sink = Sink()
    sink.port = port  # the child's: the channels point there
    api = Service(settings)
    await api.start(relay=True, router=False, delivery=False)
    freeze_startup_objects()
    try:
        headers = await _sender_token(api, agencies, sink)
        server = [_postgres_cpu()]  # PostgreSQL's CPU so far, then after each stage
        api_cpu = await _api(api, headers, text, documents)
        await api.stop()
        server.append(_postgres_cpu())
        router_cpu = await _router(settings)
        server.append(_postgres_cpu())
        sending, floor, deliveries = await _deliveries(settings, port)
        server.append(_postgres_cpu())
    finally:
        await _delete_queues(settings)
        await _pg(f'DROP DATABASE IF EXISTS "{settings.database_url.rsplit("/", 1)[1]}" '
                  "WITH (FORCE)")
    read, expand = rules_alone(text, documents)
    # The router routed the warm-up's document too.
    return {"api": api_cpu / documents, "router": router_cpu / (documents + 1),
            "read": read, "expand": expand, "recipients": len(agencies),
            "delivery": sending / deliveries, "floor": floor / deliveries,
            **{f"postgresql {stage}": (after - before) / deliveries for stage, before, after
               in zip(("api", "router", "delivery"), server, server[1:], strict=False)}}


def main() -> None:
    """Run once and print the figures, per document and per delivery."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=400)
    parser.add_argument("--recipients", type=int, default=50)
    options = parser.parse_args()
    with sink_process() as port:
        figures = asyncio.run(run(options.documents, options.recipients, port))
    count = figures["recipients"]
    for name in ("api", "router", "read", "expand"):
        ms = 1000 * figures[name]
        print(f"{name:8s} {ms:6.3f} ms CPU per document, {1000 * ms / count:5.1f} us per delivery")
    for name in ("delivery", "floor"):
        print(f"{name:8s} {1e6 * figures[name]:6.1f} us CPU per delivery")
    server = ", ".join(f"{name.split()[1]} {1e6 * value:.1f}" for name, value in figures.items()
                       if name.startswith("postgresql "))
    print(f"PostgreSQL server, while each stage ran: {server} us CPU per delivery")
    print(f"stages: api {1000 * figures['api']:.3f} ms, router {1000 * figures['router']:.3f} ms, "
          f"read {1000 * figures['read']:.3f} ms, read+expand {1000 * figures['expand']:.3f} ms "
          f"per document of {count:.0f} recipients; delivery {1e6 * figures['delivery']:.1f} us, "
          f"plain POST {1e6 * figures['floor']:.1f} us per delivery")


if __name__ == "__main__":
    main()
