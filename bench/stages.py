"""Benchmark: CPU per document of the API and of the router, each running alone.

Usage: .venv/bin/python -m bench.stages [--documents 400] [--recipients 50]

bench/pipeline.py runs every stage at once, and on a small machine they slow each other
down; this bench runs the first two stages one after the other in this process, on
PostgreSQL and RabbitMQ as the pipeline does, to say what each costs by itself:

1. the API and its relay: the documents of bench/pipeline.py submitted through
   `POST /v1/documents` (ASGI, 200 at a time) and published to the documents queue, with no
   router running. The bench's own client is measured apart, against a stub app, and left
   out, as bench/pipeline.py does;
2. the router and its relay: a router started on those queued documents, timed until every
   document is routed (its deliveries planned, their messages in the outbox and published);
   a router that routes nothing for a minute fails the bench with a message.

The baseline of the same run is the rules engine alone on the same text: reading the
document (`router.recipients.read`, which the API and the router each do) and expanding it,
per document. The last line reads
`stages: api <a> ms, router <r> ms, read <p> ms, read+expand <e> ms per document of <n> recipients`.
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
    _sender_token,
    _submit,
    bench_document,
    client_cpu,
)
from docroute.service import Service
from docroute.service_cli import freeze_startup_objects
from foundation.logs import configure_logging
from foundation.models import Document
from router import recipients

CHUNK = 200  # submissions in flight at once, as bench/pipeline.py sends them
RELAY_SECONDS = 2.0  # for the relay to publish the last submissions before the API stops
STALL_SECONDS = 60.0  # the router routing nothing for this long fails the bench: no hang


async def _unrouted(service: Service) -> int:
    async with service.sessions() as session:
        query = select(func.count()).select_from(Document).where(col(Document.routed_at).is_(None))
        return (await session.exec(query)).one()


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


async def _router(settings: Any, documents: int) -> float:
    """CPU seconds of a router (and its relay) routing every queued document."""
    router = Service(settings)
    await router.start(relay=True, router=True, delivery=False)
    freeze_startup_objects()  # as `docroute worker router` does
    try:
        started = time.process_time()
        left, progress = await _unrouted(router), time.monotonic()
        while left:
            await asyncio.sleep(0.05)
            now_left = await _unrouted(router)
            if now_left < left:
                left, progress = now_left, time.monotonic()
            elif time.monotonic() - progress > STALL_SECONDS:
                raise SystemExit(f"bench.stages: the router routed none of the {left} "
                                 f"documents left in {STALL_SECONDS:.0f} s")
        return time.process_time() - started
    finally:
        await router.broker.delete_queues()  # type: ignore[attr-defined]  # RabbitBroker here
        await router.stop()


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


async def run(documents: int, recipients_: int) -> dict[str, float]:
    """Time the API, then the router, on one fresh database; return seconds per document."""
    text, agencies = bench_document(recipients_)
    settings = await _bench_settings()
    configure_logging(settings)
    sink = Sink()
    await sink.start()
    api = Service(settings)
    await api.start(relay=True, router=False, delivery=False)
    freeze_startup_objects()
    try:
        headers = await _sender_token(api, agencies, sink)
        api_cpu = await _api(api, headers, text, documents)
        await api.stop()
        router_cpu = await _router(settings, documents + 1)  # with the warm-up's document
    finally:
        await _pg(f'DROP DATABASE IF EXISTS "{settings.database_url.rsplit("/", 1)[1]}" '
                  "WITH (FORCE)")
    read, expand = rules_alone(text, documents)
    return {"api": api_cpu / documents, "router": router_cpu / (documents + 1),
            "read": read, "expand": expand, "recipients": len(agencies)}


def main() -> None:
    """Run once and print the figures, per document and per delivery."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=400)
    parser.add_argument("--recipients", type=int, default=50)
    options = parser.parse_args()
    figures = asyncio.run(run(options.documents, options.recipients))
    count = figures["recipients"]
    for name in ("api", "router", "read", "expand"):
        ms = 1000 * figures[name]
        print(f"{name:7s} {ms:6.3f} ms CPU per document, {1000 * ms / count:5.1f} us per delivery")
    print(f"stages: api {1000 * figures['api']:.3f} ms, router {1000 * figures['router']:.3f} ms, "
          f"read {1000 * figures['read']:.3f} ms, read+expand {1000 * figures['expand']:.3f} ms "
          f"per document of {count:.0f} recipients")


if __name__ == "__main__":
    main()
