"""Benchmark: N documents × M recipients through RabbitMQ + PostgreSQL to a local webhook sink.

Usage: .venv/bin/python -m bench.pipeline [--documents 200] [--recipients 50]
                                             [--delivery-workers 2] [--rounds 3]

Needs PostgreSQL (trust auth) and RabbitMQ on 127.0.0.1, as the tests do. The API and the
relay run in this process, with the webhook sink; the router and the delivery workers run as
`docroute worker` processes, as in production. Each round prints end-to-end deliveries per
second, p50/p99 from submit to "delivered" (the sink receiving the POST), the raw aio-pika
ceiling measured just before and just after (persistent publishes with confirms plus consumes
with manual acks), their ratio, and the CPU each process used while timed; the last line is
the median ratio over the rounds.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import os
import signal
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import httpx
from sqlmodel import col, select

import rules
from docroute.service import Service
from docroute.service_cli import freeze_startup_objects
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.logs import configure_logging
from foundation.models import ChannelKind, Delivery, Role
from foundation.settings import Settings
from foundation.tokens import issue_token

PG_ADMIN = os.environ.get("DOCROUTE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("DOCROUTE_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
DOCROUTE = str(Path(sys.executable).with_name("docroute"))
SENDER = "kh.ubnd-tinh"
DAY = datetime.date(2024, 6, 3)
KINDS = ("so", "ban", "dvsn", "nganh_doc", "doan_the", "bao_chi", "mttq", "ubnd_huyen")


class Sink:
    """A minimal HTTP/1.1 keep-alive server: records when each Idempotency-Key arrived.

    It stands for the agencies' servers, whose CPU is not docroute's: a bare asyncio protocol,
    so that it takes as little of this machine as it can.
    """

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.posts = 0
        self.port = 0

    async def start(self) -> None:
        """Listen on a free local port."""
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _SinkProtocol(self), "127.0.0.1", 0,
                                          backlog=1024)
        self.port = server.sockets[0].getsockname()[1]

    def arrived(self, head: bytes) -> None:
        """Record one request from its header block."""
        self.posts += 1
        start = head.lower().find(b"\r\nidempotency-key:")
        key = head[start + 18:head.find(b"\r\n", start + 2)].strip() if start >= 0 else b""
        self.arrivals.setdefault(key.decode("latin-1"), time.perf_counter())


class _SinkProtocol(asyncio.Protocol):
    """One connection: requests may arrive split or several at once."""

    def __init__(self, sink: Sink) -> None:
        self.sink = sink
        self.buffer = b""
        self.transport: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while (end := self.buffer.find(b"\r\n\r\n")) >= 0:
            head = self.buffer[:end]
            start = head.lower().find(b"\r\ncontent-length:")
            length = int(head[start + 17:head.find(b"\r\n", start + 2)]) if start >= 0 else 0
            if len(self.buffer) < end + 4 + length:
                return  # the body is still coming
            self.buffer = self.buffer[end + 4 + length:]
            self.sink.arrived(head)
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")


def bench_document(recipients: int) -> tuple[str, set[str]]:
    """A dated document whose Nơi nhận names agencies one per line, until `recipients`."""
    directory, ruleset = rules.default_directory(), rules.default_ruleset()
    head = f"Số: 1/TB-UBND\n\nKhánh Hòa, ngày {DAY.day} tháng {DAY.month} năm {DAY.year}\n\n"
    lines: list[str] = []
    found: set[str] = set()
    candidates = [a for a in directory if a.kind in KINDS and a.valid_on(DAY)]
    for agency in candidates:
        trial = [*lines, f"- {agency.name};"]
        text = head + "THÔNG BÁO\n\nNội dung.\n\nNơi nhận:\n" + "\n".join(trial) + "\n- Lưu: VT.\n"
        expansion = rules.expand(rules.read_document(text), directory, ruleset, sender=SENDER)
        ids = {recipient.id for recipient in expansion.recipients}
        if len(ids) > len(found):
            lines, found = trial, ids
        if len(found) >= recipients:
            break
    body = "THÔNG BÁO\n\nNội dung.\n\nNơi nhận:\n" + "\n".join(lines) + "\n- Lưu: VT.\n"
    return head + body, found


async def raw_ceiling(count: int) -> float:
    """Messages/s for persistent publishes with confirms and consumes with manual acks."""
    connection = await aio_pika.connect_robust(AMQP_URL)
    publisher = await connection.channel(publisher_confirms=True)
    consumer = await connection.channel()
    await consumer.set_qos(prefetch_count=300)
    name = f"docroute-bench-raw-{uuid.uuid4().hex[:8]}"
    queue = await consumer.declare_queue(name, durable=True, arguments={"x-queue-type": "quorum"})
    done = asyncio.Event()
    acked = 0

    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
        nonlocal acked
        await message.ack()
        acked += 1
        if acked == count:
            done.set()

    tag = await queue.consume(on_message)
    body = b"x" * 300
    started = time.perf_counter()
    for first in range(0, count, 500):  # a window of confirms in flight, as the relay does
        await asyncio.gather(*(
            publisher.default_exchange.publish(
                aio_pika.Message(body, message_id=str(n),
                                 delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=name, mandatory=True,
            )
            for n in range(first, min(first + 500, count))
        ))
    await done.wait()
    elapsed = time.perf_counter() - started
    await queue.cancel(tag)  # before the delete, which would cancel it with a warning
    await queue.delete(if_unused=False, if_empty=False)
    await connection.close()
    return count / elapsed


async def _pg(statement: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _workers(settings: Settings, delivery_workers: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DOCROUTE_DATABASE_URL": settings.database_url,
           "DOCROUTE_AMQP_URL": settings.amqp_url or "",
           "DOCROUTE_QUEUE_PREFIX": settings.queue_prefix, "DOCROUTE_LOG_LEVEL": "WARNING"}
    # DOCROUTE_BENCH_PROFILE=DIR writes a cProfile of each worker there, to find hot spots.
    profile = os.environ.get("DOCROUTE_BENCH_PROFILE")
    commands = []
    for n, stage in enumerate(_stages(delivery_workers)):
        prefix = [sys.executable, "-m", "cProfile", "-o", f"{profile}/{stage}{n}.prof"]
        commands.append([*(prefix if profile else []), DOCROUTE, "worker", stage])
    return [subprocess.Popen(command, env=env) for command in commands]


def _stages(delivery_workers: int) -> list[str]:
    return ["router"] + ["delivery"] * delivery_workers


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc); 0 if it has ended."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu(names: list[str], workers: list[subprocess.Popen[bytes]]) -> dict[str, float]:
    """CPU seconds so far of each worker process, of this one (API, relay and sink), and of
    the servers (every process named postgres or beam.smp, RabbitMQ's VM)."""
    cpu = {name: _cpu_seconds(w.pid) for name, w in zip(names, workers, strict=True)}
    cpu["api+relay+sink"] = time.process_time()
    for server, command in (("postgresql", "postgres"), ("rabbitmq", "beam.smp")):
        cpu[server] = sum(_cpu_seconds(pid) for pid in _pids(command))
    return cpu


def _pids(command: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == command:
                pids.append(int(entry.name))
        except OSError:  # the process ended while we looked
            continue
    return pids


async def _wait_for(sink: Sink, keys: int) -> None:
    while len(sink.arrivals) < keys:
        await asyncio.sleep(0.01)


async def _submit(client: httpx.AsyncClient, headers: dict[str, str], text: str,
                  number: int) -> tuple[str, float]:
    started = time.perf_counter()
    body = {"text": text, "number": f"{number}/TB-BENCH"}
    answer = await client.post("/v1/documents", json=body, headers=headers)
    answer.raise_for_status()
    return answer.json()["id"], started


@dataclass
class Stream:
    """What one timed run produced: when it began and ended, and when each document went in."""

    begun: float
    ended: float
    submitted: dict[str, float]
    cpu: dict[str, float]


async def _bench_settings() -> Settings:
    database = f"docroute_bench_{uuid.uuid4().hex[:8]}"
    await _pg(f'CREATE DATABASE "{database}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return Settings(database_url=f"{base}/{database}", amqp_url=AMQP_URL,
                    queue_prefix=f"docroute-bench-{uuid.uuid4().hex[:6]}", log_level="WARNING")


async def _sender_token(service: Service, agencies: set[str], sink: Sink) -> dict[str, str]:
    async with transaction(service.sessions) as session:
        for agency in agencies:
            url = f"http://127.0.0.1:{sink.port}/{agency}"
            await set_channel(session, agency, ChannelKind.WEBHOOK, url)
        token = await issue_token(session, Role.SENDER, SENDER)
    return {"Authorization": f"Bearer {token}"}


async def _stream(service: Service, sink: Sink, text: str, agencies: set[str],
                  documents: int, delivery_workers: int) -> Stream:
    """Start the workers, warm up with one document, then time `documents` more."""
    from docroute.api.app import create_app  # after main() has fixed the import path

    headers = await _sender_token(service, agencies, sink)
    workers = _workers(service.settings, delivery_workers)
    try:
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            await _submit(client, headers, text, 0)  # warm-up: workers connected, caches hot
            await _wait_for(sink, len(agencies))
            stages = _stages(delivery_workers)
            names = [f"{stage}#{n}" for n, stage in enumerate(stages)]
            before = _cpu(names, workers)
            begun = time.perf_counter()
            submitted = await asyncio.gather(*(
                _submit(client, headers, text, n) for n in range(1, documents + 1)
            ))
            await _wait_for(sink, (documents + 1) * len(agencies))
            after = _cpu(names, workers)
        # Only the timed part: start-up (imports, rule files, calendars) is left out.
        cpu = {name: after[name] - before[name] for name in after}
        return Stream(begun, max(sink.arrivals.values()), dict(submitted), cpu)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(timeout=30)


async def _latencies(service: Service, sink: Sink, stream: Stream) -> list[float]:
    """Seconds from each document's submit to each of its deliveries reaching the sink."""
    async with service.sessions() as session:
        rows = (await session.exec(select(Delivery.id, Delivery.document_id).where(
            col(Delivery.document_id).in_(list(stream.submitted))))).all()
    return sorted(sink.arrivals[d] - stream.submitted[doc] for d, doc in rows)


async def run(documents: int, recipients: int, delivery_workers: int) -> dict[str, Any]:
    """Run the pipeline benchmark and the raw ceiling; return the figures."""
    text, agencies = bench_document(recipients)
    settings = await _bench_settings()
    configure_logging(settings)
    sink = Sink()
    await sink.start()
    service = Service(settings)
    await service.start(relay=True, router=False, delivery=False)
    freeze_startup_objects()  # as `docroute serve` does for the API and the relay
    try:
        # The ceiling is measured just before and just after the pipeline run, and averaged:
        # on this shared machine one measurement moves by ±10%.
        count = max(10_000, documents * len(agencies) // 2)
        ceilings = [await raw_ceiling(count)]
        stream = await _stream(service, sink, text, agencies, documents, delivery_workers)
        latencies = await _latencies(service, sink, stream)
        ceilings.append(await raw_ceiling(count))
    finally:
        await service.broker.delete_queues()  # type: ignore[attr-defined]  # RabbitBroker here
        await service.stop()
        database = settings.database_url.rsplit("/", 1)[1]
        await _pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    rate = documents * len(agencies) / (stream.ended - stream.begun)
    return {
        "documents": documents, "recipients": len(agencies),
        "deliveries": documents * len(agencies),
        "resent_posts": sink.posts - len(sink.arrivals), "deliveries_per_s": rate,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "raw_ceiling_msgs_per_s": statistics.mean(ceilings), "ceilings": ceilings,
        "ratio": rate / statistics.mean(ceilings), "cpu_seconds": stream.cpu,
    }


def _print(figures: dict[str, Any]) -> None:
    print(f"{figures['documents']} documents × {figures['recipients']} recipients = "
          f"{figures['deliveries']} deliveries (resent POSTs: {figures['resent_posts']})")
    print(f"end to end:        {figures['deliveries_per_s']:8.0f} deliveries/s")
    print(f"submit→delivered:  p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms")
    before, after = figures["ceilings"]
    print(f"raw aio-pika:      {figures['raw_ceiling_msgs_per_s']:8.0f} msgs/s "
          "(persistent publish with confirms + consume with ack, same run; "
          f"{before:.0f} before and {after:.0f} after the pipeline)")
    print(f"ratio:             {figures['ratio']:.2f}")
    cpu = ", ".join(f"{name} {seconds:.1f}s" for name, seconds in figures["cpu_seconds"].items())
    print(f"CPU while timed:   {cpu}")


def main() -> None:
    """Parse the arguments, run each round, print its figures and the median ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--recipients", type=int, default=50)
    parser.add_argument("--delivery-workers", type=int, default=2)
    # This machine is shared: both figures move by ±10% from run to run, so several rounds
    # (each a pipeline run followed by its own ceiling) and their median say more than one.
    parser.add_argument("--rounds", type=int, default=3)
    options = parser.parse_args()
    ratios = []
    for round_ in range(1, options.rounds + 1):
        figures = asyncio.run(run(options.documents, options.recipients, options.delivery_workers))
        print(f"-- round {round_} of {options.rounds}")
        _print(figures)
        ratios.append(figures["ratio"])
    print(f"== median ratio over {len(ratios)} rounds: {statistics.median(ratios):.2f} "
          f"(lowest {min(ratios):.2f}, highest {max(ratios):.2f}; goal 0.5)")


if __name__ == "__main__":
    main()
