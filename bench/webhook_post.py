"""Benchmark: what the webhook channel costs over a plain aiohttp POST, with no pipeline around.

Usage: .venv/bin/python -m bench.webhook_post [--posts 5000] [--rounds 3]

bench/pipeline.py measures every process at once on a shared machine, where the processes
also slow each other down. This one isolates the delivery worker's send path: a webhook
sink runs in a child process (its CPU is the agencies', not docroute's), and this process
sends the same number of POSTs to it, 16 in flight as a delivery worker's channel, three
ways, each measured in CPU seconds of this process:

- plain: one aiohttp session posting a body signed once, only the Idempotency-Key changing
  (the pipeline bench's plain-POST floor, in this process);
- channel: `WebhookChannel.send_to` for each delivery, as a worker sends it: the payload
  around the document's encoded part, its two HMAC signatures (Standard Webhooks and the
  older `X-Docroute-Signature`), the address check, the concurrency slots and the deadline;
- signing: `WebhookChannel.request_parts` alone, no network: the body and headers.

The document and the delivery are as the pipeline bench's: its 50-recipient document and a
reason as the router writes it. The last line reads
`webhook_post: plain <a> us, channel <b> us (<b/a>x plain), signing <s> us per POST`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import aiohttp

from bench.pipeline import BENCH_SECRET, DAY, FLOOR_CONCURRENCY, SENDER, Sink, bench_document
from consumers.delivery_rows import ChannelRow, DeliveryRow
from consumers.webhook import WebhookChannel
from foundation.models import Document

REASON = {"line": 1, "rule": "named", "rules_version": "2026.11.1", "category": "so",
          "confidence": "exact", "text": "'Sở Tài chính' names Sở Tài chính tỉnh Khánh Hòa"}


def _document() -> Document:
    text, _ = bench_document(50)
    return Document(id="bench-document", text=text, number="1/TB-UBND", date=DAY,
                    issuer="UBND tỉnh Khánh Hòa", subject="Nội dung", sender=SENDER)


def _deliveries(count: int, tag: str) -> list[DeliveryRow]:
    return [DeliveryRow(f"{tag}-{n}", "bench-document", f"agency-{n % 50}", "Sở Tài chính",
                        [REASON], "pending", None, 0, 0, 0, 1, "0" * 64) for n in range(count)]


async def _in_flight(count: int, send: Callable[[int], Awaitable[object]]) -> float:
    """CPU seconds to call `send(n)` for n < count, FLOOR_CONCURRENCY at a time."""
    numbers = iter(range(count))

    async def lane() -> None:
        for n in numbers:
            await send(n)

    started = time.process_time()
    await asyncio.gather(*(lane() for _ in range(FLOOR_CONCURRENCY)))
    return time.process_time() - started


async def plain(url: str, count: int, body: bytes, headers: dict[str, str]) -> float:
    """CPU seconds of `count` plain POSTs of `body` (the floor)."""
    connector = aiohttp.TCPConnector(limit=FLOOR_CONCURRENCY, limit_per_host=FLOOR_CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as client:

        async def post(n: int) -> None:
            async with client.post(url, data=body,
                                   headers={**headers, "Idempotency-Key": f"plain-{n}"}) as r:
                await r.read()
                assert r.status < 300, f"the sink answered HTTP {r.status}"

        return await _in_flight(count, post)


async def channel(url: str, count: int, document: Document, tag: str) -> float:
    """CPU seconds of `count` deliveries sent by the webhook channel as a worker sends them."""
    webhook = WebhookChannel(BENCH_SECRET, allow_private=True, concurrency=FLOOR_CONCURRENCY)
    target = ChannelRow(kind="webhook", target=url)
    deliveries = _deliveries(count, tag)
    try:
        async def send(n: int) -> None:
            outcome = await webhook.send_to(deliveries[n], document, target)
            assert outcome.delivered, outcome.note

        return await _in_flight(count, send)
    finally:
        await webhook.close()


def signing(count: int, document: Document) -> float:
    """CPU seconds of `count` bodies and signed headers, no network."""
    webhook = WebhookChannel(BENCH_SECRET)
    deliveries = _deliveries(count, "signing")
    started = time.process_time()
    for delivery in deliveries:
        webhook.request_parts(delivery, document, (BENCH_SECRET,))
    return time.process_time() - started


async def measure(port: int, count: int, rounds: int) -> dict[str, list[float]]:
    """Microseconds of CPU per POST of each way, one figure per round (after a warm-up)."""
    url = f"http://127.0.0.1:{port}/agency"
    document = _document()
    body, headers = WebhookChannel(BENCH_SECRET).request_parts(
        _deliveries(1, "sample")[0], document, (BENCH_SECRET,))
    await plain(url, count // 10, body, headers)
    await channel(url, count // 10, document, "warm")
    figures: dict[str, list[float]] = {"plain": [], "channel": [], "signing": []}
    for round_ in range(rounds):
        figures["plain"].append(1e6 * await plain(url, count, body, headers) / count)
        figures["channel"].append(1e6 * await channel(url, count, document, f"r{round_}") / count)
        figures["signing"].append(1e6 * signing(count, document) / count)
    return figures


@contextlib.contextmanager
def sink_process() -> Iterator[int]:
    """A webhook sink in a child process (its CPU is the agencies', not this process's):
    its port, while the block runs."""
    sink = subprocess.Popen([sys.executable, "-m", "bench.webhook_post", "--sink"],
                            stdout=subprocess.PIPE, cwd=Path(__file__).parents[1])
    try:
        assert sink.stdout is not None
        yield int(sink.stdout.readline())
    finally:
        sink.kill()
        sink.wait()


async def _sink_forever() -> None:
    sink = Sink()
    await sink.start()
    print(sink.port, flush=True)
    await asyncio.Event().wait()


def main() -> None:
    """Start the sink's process, measure each way, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--sink", action="store_true", help=argparse.SUPPRESS)  # the child
    options = parser.parse_args()
    if options.sink:
        asyncio.run(_sink_forever())
        return
    with sink_process() as port:
        figures = asyncio.run(measure(port, options.posts, options.rounds))
    for name, values in figures.items():
        print(f"{name:8s} {statistics.median(values):6.1f} us CPU per POST (rounds: "
              + ", ".join(f"{v:.1f}" for v in values) + ")")
    a, b, s = (statistics.median(figures[name]) for name in ("plain", "channel", "signing"))
    print(f"webhook_post: plain {a:.1f} us, channel {b:.1f} us ({b / a:.2f}x plain), "
          f"signing {s:.1f} us per POST ({options.posts} posts, "
          f"median of {options.rounds} rounds)")


if __name__ == "__main__":
    main()
