"""Benchmark: N documents × M recipients through RabbitMQ + PostgreSQL to a local webhook sink.

Usage: .venv/bin/python -m bench.pipeline [--documents 200] [--recipients 50]
                                             [--delivery-workers 2] [--rounds 3]
                                             [--stall-seconds 60] [--without-scorecard-triggers]

Needs PostgreSQL (trust auth) and RabbitMQ on 127.0.0.1, as the tests do. The API and the
relay run in this process, with the webhook sink; the router and the delivery workers run as
`docroute worker` processes, as in production. Each round prints end-to-end deliveries per
second, p50/p99 from submit to "delivered" (the sink receiving the POST) and the CPU per
delivery of each process while timed (the router, each delivery worker, the API and relay, and
the PostgreSQL and RabbitMQ servers; the sink's own share is taken out).

The documents are submitted by an httpx client in this process, through ASGITransport: that
client stands for the sending offices' own clients, whose CPU is not docroute's. After the
timed run the same client sends the same number of the same submissions to a stub ASGI app
that reads the body and gives back the API's answer at once; that CPU ("client") is taken out
of the API's figure as the sink's is, and printed. What it takes out is the client's and the
transport's work plus the stub's few lines (and the idle relay's polls meanwhile): docroute's
own request handling (its middleware, FastAPI's, the route) stays in the API's figure.

The baseline, measured in the same round against the same sink: the plain-POST floor, the CPU
per POST of one aiohttp client process sending the same number of POSTs with the same body and
headers (16 in flight, as a delivery worker's webhook channel). The ratio is CPU per delivery
(all processes) over CPU per plain POST: how many plain POSTs one delivery costs. The last
line is its median over the rounds (goal, issue 16: <= 3).

`--without-scorecard-triggers` disables the triggers that keep the scorecard's running totals
(migration 0013), to compare. The bench waits for exactly the deliveries the router plans, and
fails with a message naming what it waited for (and what the database holds) when none reaches
the sink for `--stall-seconds` or a worker exits: it never hangs.
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
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import httpx
from sqlalchemy import func
from sqlmodel import col, select

import rules
from docroute.service import Service
from docroute.service_cli import freeze_startup_objects
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.logs import configure_logging
from foundation.models import ChannelKind, Delivery, Document, Role
from foundation.settings import Settings
from foundation.tokens import issue_token
from router.recipients import on_sending_day, sending_day

PG_ADMIN = os.environ.get("DOCROUTE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("DOCROUTE_BENCH_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
_AMQP_PORT = int(AMQP_URL.rsplit(":", 1)[1].split("/")[0])
_PG_PORT = int(PG_ADMIN.rsplit(":", 1)[1].split("/")[0])
DOCROUTE = str(Path(sys.executable).with_name("docroute"))
SENDER = "kh.ubnd-tinh"
DAY = datetime.date(2024, 6, 3)
BENCH_SECRET = "bench-signing-secret"  # docroute refuses to start without one (issue 11)
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
        self.sample: tuple[bytes, bytes] | None = None  # one webhook POST's head and body

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
            if self.sink.sample is None:
                self.sink.sample = (head, self.buffer[end + 4:end + 4 + length])
            self.buffer = self.buffer[end + 4 + length:]
            self.sink.arrived(head)
            self.transport.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")


def bench_document(recipients: int) -> tuple[str, set[str]]:
    """A dated document whose Nơi nhận names agencies one per line, until `recipients`, and
    the agencies the router plans deliveries to for it.

    Planned as the router plans (router.routing): the expansion's recipients as they exist on
    the sending day, today, when a body abolished since DAY (a province merged in 2025) is
    replaced by its successor, which another line may already name."""
    directory, ruleset = rules.default_directory(), rules.default_ruleset()
    today = sending_day()
    head = f"Số: 1/TB-UBND\n\nKhánh Hòa, ngày {DAY.day} tháng {DAY.month} năm {DAY.year}\n\n"
    lines: list[str] = []
    found: set[str] = set()
    candidates = [a for a in directory if a.kind in KINDS and a.valid_on(DAY)]
    for agency in candidates:
        trial = [*lines, f"- {agency.name};"]
        text = head + "THÔNG BÁO\n\nNội dung.\n\nNơi nhận:\n" + "\n".join(trial) + "\n- Lưu: VT.\n"
        expansion = rules.expand(rules.read_document(text), directory, ruleset, sender=SENDER)
        planned, _ = on_sending_day(expansion.to_json(), directory, today)
        ids = {recipient["id"] for recipient in planned}
        if len(ids) > len(found):
            lines, found = trial, ids
        if len(found) >= recipients:
            break
    body = "THÔNG BÁO\n\nNội dung.\n\nNơi nhận:\n" + "\n".join(lines) + "\n- Lưu: VT.\n"
    return head + body, found


# Seconds the workers may take to start (imports, rule files) before the warm-up's deliveries.
STARTUP_SECONDS = 60.0
FLOOR_CONCURRENCY = 16  # Settings.webhook_concurrency, a delivery worker's posts in flight


async def _post_floor(port: int, count: int, head: bytes, body: bytes) -> float:
    """CPU seconds this process spends sending `count` POSTs like `head` and `body`."""
    import aiohttp  # only the floor's child process needs it at the top

    lines = head.decode("latin-1").split("\r\n")
    path = lines[0].split(" ")[1]
    keep = {"content-type", "x-docroute-signature", "x-docroute-timestamp", "user-agent"}
    headers = {k: v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])
               if k.lower() in keep or k.lower().startswith("x-")}
    connector = aiohttp.TCPConnector(limit=FLOOR_CONCURRENCY, limit_per_host=FLOOR_CONCURRENCY)
    async with aiohttp.ClientSession(connector=connector) as client:
        url = f"http://127.0.0.1:{port}{path}"
        queue = iter(range(count))

        async def post_all() -> None:
            for n in queue:
                async with client.post(url, data=body,
                                       headers={**headers, "Idempotency-Key": f"floor-{n}"}) as r:
                    await r.read()

        start = time.process_time()
        await asyncio.gather(*(post_all() for _ in range(FLOOR_CONCURRENCY)))
        return time.process_time() - start


async def plain_post_floor(sink: Sink, count: int) -> tuple[float, float]:
    """(client CPU per POST, sink CPU per POST) of a plain aiohttp client in its own process."""
    assert sink.sample is not None, "the warm-up document reached the sink"
    head, body = sink.sample
    with tempfile.NamedTemporaryFile(suffix=".req") as sample:
        sample.write(len(head).to_bytes(4, "big") + head + body)
        sample.flush()
        posts, started = sink.posts, time.process_time()
        # As a module, like the bench (run as a file, bench/audit.py shadows the audit package).
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bench.pipeline", "--floor", str(sink.port), str(count),
            sample.name, stdout=asyncio.subprocess.PIPE, cwd=Path(__file__).parents[1])
        out, _ = await child.communicate()
        sink_cpu = time.process_time() - started
    if child.returncode != 0:
        raise StalledError(f"the plain-POST floor's client exited with status {child.returncode}")
    assert sink.posts - posts == count, "every plain POST reached the sink"
    return float(out.decode().split()[-1]) / count, sink_cpu / count


def _floor_child(port: str, count: str, sample: str) -> None:
    data = Path(sample).read_bytes()
    size = int.from_bytes(data[:4], "big")
    print(asyncio.run(_post_floor(int(port), int(count), data[4:4 + size], data[4 + size:])))


async def _pg(statement: str, database: str | None = None) -> None:
    dsn = PG_ADMIN if database is None else f"{PG_ADMIN.rsplit('/', 1)[0]}/{database}"
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


def _workers(settings: Settings, delivery_workers: int) -> list[subprocess.Popen[bytes]]:
    env = {**os.environ, "DOCROUTE_DATABASE_URL": settings.database_url,
           "DOCROUTE_AMQP_URL": settings.amqp_url or "",
           "DOCROUTE_QUEUE_PREFIX": settings.queue_prefix, "DOCROUTE_LOG_LEVEL": "WARNING",
           "DOCROUTE_SIGNING_SECRET": BENCH_SECRET, "DOCROUTE_ALLOW_PRIVATE_WEBHOOKS": "true"}
    # DOCROUTE_BENCH_PROFILE=DIR writes a cProfile of each worker there, to find hot spots.
    profile = os.environ.get("DOCROUTE_BENCH_PROFILE")
    commands = []
    for n, stage in enumerate(_stages(delivery_workers)):
        prefix = [sys.executable, "-m", "cProfile", "-o", f"{profile}/{stage}{n}.prof"]
        commands.append([*(prefix if profile else []), DOCROUTE, "worker", stage])
    return [subprocess.Popen(command, env=env) for command in commands]


def _stages(delivery_workers: int) -> list[str]:
    return ["router"] + ["delivery"] * delivery_workers


def _stat(pid: int) -> list[str]:
    """The fields of /proc/PID/stat after the command's name; [] if the process has ended."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return []


def _cpu_seconds(pid: int, reaped: bool = False) -> float:
    """User + system CPU time of a process so far (Linux /proc), with, when `reaped`, that of
    its children that ended and were waited for; 0 if it has ended."""
    fields = _stat(pid)
    if not fields:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])
    if reaped:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def _cpu(names: list[str], workers: list[subprocess.Popen[bytes]]) -> dict[str, float]:
    """CPU seconds so far of each worker process, of this one (API, relay and sink), of the
    PostgreSQL server and of RabbitMQ's VM (each the whole shared server: other work on it
    is counted too)."""
    cpu = {name: _cpu_seconds(w.pid) for name, w in zip(names, workers, strict=True)}
    cpu["api+relay+sink"] = time.process_time()
    cpu["postgresql"] = _postgres_cpu()
    cpu["rabbitmq"] = sum(_cpu_seconds(pid) for pid in _pids("beam.smp", _AMQP_PORT))
    return cpu


def _postgres_cpu() -> float:
    """CPU seconds so far of the PostgreSQL server: its postmaster, every process it runs now
    (backends, WAL writer, checkpointer, autovacuum) and those that ended meanwhile (its
    reaped children). Counting only the bench database's backends, as listed once at the
    start, missed every connection a pool opened later (the figure varied 0.012-0.057 ms
    per delivery between rounds of one run) and the writes done outside them."""
    total = 0.0
    for postmaster in _pids("postgres", _PG_PORT):
        total += _cpu_seconds(postmaster, reaped=True)
        for entry in Path("/proc").iterdir():
            fields = _stat(int(entry.name)) if entry.name.isdigit() else []
            if fields and int(fields[1]) == postmaster:
                total += _cpu_seconds(int(entry.name))
    return total


def _pids(command: str, port: int) -> list[int]:
    """Processes named `command` listening on the TCP port (on this machine)."""
    listening = {line.split()[9] for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
                 if line.split()[3] == "0A" and int(line.split()[1].split(":")[1], 16) == port}
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and (entry / "comm").read_text().strip() == command:
                sockets = {os.readlink(fd).strip("socket:[]") for fd in (entry / "fd").iterdir()
                           if os.readlink(fd).startswith("socket:")}
                if sockets & listening:
                    pids.append(int(entry.name))
        except OSError:  # the process ended while we looked
            continue
    return pids


class StalledError(RuntimeError):
    """Deliveries stopped reaching the sink: the message says what the bench waited for."""


async def _wait_for(sink: Sink, keys: int, what: str, workers: list[subprocess.Popen[bytes]],
                    stall: float) -> None:
    """Until `keys` deliveries in all have reached the sink. StalledError when none arrives for
    `stall` seconds, or when a worker process has exited: the bench fails, never hangs."""
    seen, since = len(sink.arrivals), time.perf_counter()
    while len(sink.arrivals) < keys:
        for worker in workers:
            if worker.poll() is not None:
                command = " ".join(map(str, worker.args[-2:]))  # type: ignore[arg-type]
                raise StalledError(f"waiting for {what}: worker `{command}` exited with status "
                                   f"{worker.returncode}")
        if len(sink.arrivals) > seen:
            seen, since = len(sink.arrivals), time.perf_counter()
        elif time.perf_counter() - since > stall:
            raise StalledError(f"waiting for {what}: {len(sink.arrivals)} of {keys} deliveries "
                               f"reached the sink, none in the last {stall:.0f} s")
        await asyncio.sleep(0.01)


async def _planned(service: Service, agencies: set[str]) -> str:
    """What the database says of the bench's documents and deliveries (after a stall)."""
    async with service.sessions() as session:
        states = (await session.exec(select(Delivery.state, func.count()).group_by(
            col(Delivery.state)))).all()
        planned = set((await session.exec(select(Delivery.agency_id).distinct())).all())
        unrouted = (await session.exec(select(func.count()).where(
            col(Document.routed_at).is_(None)))).one()
    by_state = ", ".join(f"{state} {count}" for state, count in states) or "none"
    return (f"; deliveries in the database: {by_state}; documents not routed: {unrouted}; "
            f"agencies expected but never planned: {sorted(agencies - planned) or 'none'}; "
            f"planned but not expected: {sorted(planned - agencies) or 'none'}")


async def _submit(client: httpx.AsyncClient, headers: dict[str, str], text: str,
                  number: int) -> tuple[str, float]:
    started = time.perf_counter()
    body = {"text": text, "number": f"{number}/TB-BENCH"}
    answer = await client.post("/v1/documents", json=body, headers=headers)
    answer.raise_for_status()
    return answer.json()["id"], started


def _stub_api(answer: bytes) -> Any:
    """An ASGI app that reads the request's body and gives back `answer` (202, JSON)."""
    async def app(_scope: dict[str, Any], receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 202,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(answer)).encode())]})
        await send({"type": "http.response.body", "body": answer})
    return app


async def client_cpu(headers: dict[str, str], text: str, documents: int,
                     answer: bytes) -> float:
    """CPU seconds the bench's httpx client (with ASGITransport) spends submitting
    `documents` documents as the timed run does, all at once, to a stub that answers at
    once with the API's `answer`: the sending offices' part, not docroute's."""
    transport = httpx.ASGITransport(app=_stub_api(answer))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
        await _submit(client, headers, text, 0)
        started = time.process_time()
        await asyncio.gather(*(_submit(client, headers, text, n)
                               for n in range(1, documents + 1)))
        return time.process_time() - started


@dataclass
class Stream:
    """What one timed run produced: when it began and ended, and when each document went in."""

    begun: float
    ended: float
    submitted: dict[str, float]
    cpu: dict[str, float]
    client_cpu: float  # the bench's own client's CPU seconds for as many submissions


async def _bench_settings() -> Settings:
    database = f"docroute_bench_{uuid.uuid4().hex[:8]}"
    await _pg(f'CREATE DATABASE "{database}"')
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return Settings(database_url=f"{base}/{database}", amqp_url=AMQP_URL,
                    queue_prefix=f"docroute-bench-{uuid.uuid4().hex[:6]}", log_level="WARNING",
                    signing_secret=BENCH_SECRET, allow_private_webhooks=True)


async def _sender_token(service: Service, agencies: set[str], sink: Sink) -> dict[str, str]:
    async with transaction(service.sessions) as session:
        for agency in agencies:
            url = f"http://127.0.0.1:{sink.port}/{agency}"
            await set_channel(session, agency, ChannelKind.WEBHOOK, url)
        token = await issue_token(session, Role.SENDER, SENDER)
    return {"Authorization": f"Bearer {token}"}


async def _stream(service: Service, sink: Sink, text: str, agencies: set[str],
                  documents: int, delivery_workers: int, stall: float) -> Stream:
    """Start the workers, warm up with one document, then time `documents` more."""
    from docroute.api.app import create_app  # after main() has fixed the import path

    headers = await _sender_token(service, agencies, sink)
    workers = _workers(service.settings, delivery_workers)
    try:
        transport = httpx.ASGITransport(app=create_app(service))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            warm_up = await client.post("/v1/documents", headers=headers,  # workers connected,
                                        json={"text": text, "number": "0/TB-BENCH"})  # caches hot
            warm_up.raise_for_status()
            # The workers start meanwhile (imports, rule files): the warm-up may wait longer.
            await _wait_for(sink, len(agencies), f"the warm-up document's {len(agencies)} "
                            "deliveries", workers, STARTUP_SECONDS + stall)
            stages = _stages(delivery_workers)
            names = [f"{stage}#{n}" for n, stage in enumerate(stages)]
            before = _cpu(names, workers)
            begun = time.perf_counter()
            submitted = await asyncio.gather(*(
                _submit(client, headers, text, n) for n in range(1, documents + 1)
            ))
            await _wait_for(sink, (documents + 1) * len(agencies),
                            f"{documents} documents × {len(agencies)} deliveries", workers, stall)
            after = _cpu(names, workers)
        # Only the timed part: start-up (imports, rule files, calendars) is left out.
        cpu = {name: after[name] - before[name] for name in after}
        offices = await client_cpu(headers, text, documents, warm_up.content)
        return Stream(begun, max(sink.arrivals.values()), dict(submitted), cpu, offices)
    except StalledError as stalled:
        raise StalledError(str(stalled) + await _planned(service, agencies)) from None
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


async def run(documents: int, recipients: int, delivery_workers: int,
              stall: float = 60.0, triggers: bool = True) -> dict[str, Any]:
    """Run the pipeline and, against the same sink, the plain-POST floor; return the figures."""
    text, agencies = bench_document(recipients)
    settings = await _bench_settings()
    configure_logging(settings)
    sink = Sink()
    await sink.start()
    service = Service(settings)
    await service.start(relay=True, router=False, delivery=False)
    if not triggers:  # to measure what the scorecard's triggers (migration 0013) cost
        await _pg("; ".join(f"ALTER TABLE delivery DISABLE TRIGGER delivery_scorecard_{name}"
                            for name in ("planned", "changed", "deleted")),
                  settings.database_url.rsplit("/", 1)[1])
    freeze_startup_objects()  # as `docroute serve` does for the API and the relay
    try:
        stream = await _stream(service, sink, text, agencies, documents, delivery_workers, stall)
        latencies = await _latencies(service, sink, stream)
        post_cpu, sink_cpu = await plain_post_floor(sink, documents * len(agencies))
    finally:
        await service.broker.delete_queues()  # type: ignore[attr-defined]  # RabbitBroker here
        await service.stop()
        database = settings.database_url.rsplit("/", 1)[1]
        await _pg(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    deliveries = documents * len(agencies)
    rate = deliveries / (stream.ended - stream.begun)
    # CPU per delivery of each process; the sink's share (measured by the floor) is the
    # agencies', not docroute's, and the bench's client's the sending offices': both come
    # out of this process's figure.
    per = {name: 1000 * cpu / deliveries for name, cpu in stream.cpu.items()}
    client_ms = 1000 * stream.client_cpu / deliveries
    per["api+relay"] = per.pop("api+relay+sink") - 1000 * sink_cpu - client_ms
    total = sum(per.values())
    return {
        "documents": documents, "recipients": len(agencies), "deliveries": deliveries,
        "resent_posts": sink.posts - len(sink.arrivals), "deliveries_per_s": rate,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
        "cpu_ms": per, "total_ms": total, "floor_ms": 1000 * post_cpu,
        "sink_ms": 1000 * sink_cpu, "client_ms": client_ms, "ratio": total / (1000 * post_cpu),
    }


def _print(figures: dict[str, Any]) -> None:
    print(f"{figures['documents']} documents × {figures['recipients']} recipients = "
          f"{figures['deliveries']} deliveries (resent POSTs: {figures['resent_posts']})")
    print(f"end to end:        {figures['deliveries_per_s']:8.0f} deliveries/s")
    print(f"submit→delivered:  p50 {figures['p50_ms']:.0f} ms, p99 {figures['p99_ms']:.0f} ms")
    cpu = ", ".join(f"{name} {ms:.3f}" for name, ms in figures["cpu_ms"].items())
    print(f"CPU ms/delivery:   {cpu}")
    print(f"                   all processes {figures['total_ms']:.3f} ms per delivery (the "
          f"bench's own submitting client, {figures['client_ms']:.3f} ms, left out of api+relay)")
    print(f"plain-POST floor:  {figures['floor_ms']:.3f} ms CPU per POST (one aiohttp client, "
          f"same sink, body and headers, same run; the sink's own {figures['sink_ms']:.3f} ms "
          "per POST is left out of both)")
    print(f"ratio:             {figures['ratio']:.1f} plain POSTs of CPU per delivery (goal <= 3)")


def main() -> None:
    """Parse the arguments, run each round, print its figures and the median ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=200)
    parser.add_argument("--recipients", type=int, default=50)
    parser.add_argument("--delivery-workers", type=int, default=2)
    # This machine is shared: the figures move by ±10% from run to run, so several rounds
    # (each a pipeline run followed by its own floor) and their median say more than one.
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stall-seconds", type=float, default=60.0,
                        help="fail when no delivery reaches the sink for this long (the warm-up "
                             f"gets {STARTUP_SECONDS:.0f} s more, for the workers to start)")
    parser.add_argument("--without-scorecard-triggers", action="store_true",
                        help="disable the scorecard's triggers on delivery (to compare)")
    parser.add_argument("--floor", nargs=3, help=argparse.SUPPRESS)  # the floor's child
    options = parser.parse_args()
    if options.floor:
        _floor_child(*options.floor)
        return
    rounds = []
    for round_ in range(1, options.rounds + 1):
        try:
            figures = asyncio.run(run(options.documents, options.recipients,
                                      options.delivery_workers, options.stall_seconds,
                                      not options.without_scorecard_triggers))
        except StalledError as stalled:
            sys.exit(f"bench.pipeline: round {round_} stalled, {stalled}")
        print(f"-- round {round_} of {options.rounds}")
        _print(figures)
        rounds.append(figures)
    ratios = [f["ratio"] for f in rounds]
    print(f"pipeline: CPU per delivery {statistics.median(f['total_ms'] for f in rounds):.3f} ms, "
          f"plain POST {statistics.median(f['floor_ms'] for f in rounds):.3f} ms, "
          f"ratio {statistics.median(ratios):.1f} (median of {len(ratios)} rounds; lowest "
          f"{min(ratios):.1f}, highest {max(ratios):.1f}; goal <= 3)")


if __name__ == "__main__":
    main()
