"""Fixtures of the service tests: both stacks, a running service, an API client, a webhook sink.

Two stacks, and every test marked with the `stack` fixture runs on both:
- "embedded": a SQLite file and the in-process queue;
- "real": a fresh PostgreSQL database and RabbitMQ queues with a prefix of this run only.
A stack that cannot be reached makes the test fail: nothing is skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]  # asyncpg ships no type hints
import httpx
import pytest
import uvicorn
from aiosmtpd.controller import Controller
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlmodel import select

from docroute.api.app import create_app
from docroute.service import Service
from foundation.broker.rabbit import RabbitBroker
from foundation.database import SessionFactory, create_engine, transaction
from foundation.migrate import migrate, migrated_sessions
from foundation.models import Delivery, DeliveryState, Document, Role
from foundation.settings import Settings
from foundation.signing import verify
from foundation.tokens import issue_token
from tests.mailbox import Mailbox

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
PG_ADMIN = os.environ.get("DOCROUTE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AMQP_URL = os.environ.get("DOCROUTE_TEST_AMQP", "amqp://guest:guest@127.0.0.1:5672/")
SECRET = "test-signing-secret"
RUN = uuid.uuid4().hex[:8]


def free_port() -> int:
    """A local TCP port that nothing listens on (for a server to start on, or to be refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def seed(prefix: str) -> str:
    """The text of the seed document whose file name starts with the prefix."""
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


async def _pg_admin(*statements: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def _pg_url(name: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return f"{base}/{name}"


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    """A migrated database that each test's database is copied from (fast, and migrations run
    once per session)."""
    name = f"docroute_test_{RUN}_template"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))

    async def migrate_template() -> None:
        engine = create_engine(_pg_url(name))
        await migrate(engine)
        await engine.dispose()

    try:
        asyncio.run(migrate_template())
        yield name
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextlib.contextmanager
def pg_database(template: str, label: str = "") -> Iterator[str]:
    """The URL of a fresh PostgreSQL database copied from the migrated template, dropped
    when the block ends."""
    name = f"docroute_test_{RUN}_{label}{uuid.uuid4().hex[:8]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    try:
        yield _pg_url(name)
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def pg_url(pg_template: str) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, dropped afterwards."""
    with pg_database(pg_template) as url:
        yield url


def fast_settings(**values: Any) -> Settings:
    """Settings with short backoffs, so retry paths finish quickly in tests."""
    defaults: dict[str, Any] = {
        "signing_secret": SECRET, "webhook_backoff_seconds": 0.01, "webhook_attempts": 4,
        "webhook_timeout": 5.0, "relay_idle_seconds": 0.02, "log_format": "console",
        "delivery_limit": 5, "retry_schedule_seconds": [0.05, 0.05], "retry_poll_seconds": 0.02,
        "allow_private_webhooks": True,  # the tests' webhook sinks listen on 127.0.0.1
    }
    return Settings(**{**defaults, **values})


@pytest.fixture(params=["embedded", "real"])
def stack(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings for SQLite + in-process queue, or PostgreSQL + RabbitMQ."""
    if request.param == "embedded":
        return fast_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/docroute.sqlite3")
    return fast_settings(
        database_url=request.getfixturevalue("pg_url"), amqp_url=AMQP_URL,
        queue_prefix=f"docroute-test-{RUN}-{uuid.uuid4().hex[:6]}",
    )


@pytest.fixture
async def sessions(stack: Settings) -> AsyncIterator[SessionFactory]:
    """Sessions on a migrated database of the stack (SQLite file or fresh PostgreSQL)."""
    async with migrated_sessions(stack.database_url) as migrated:
        yield migrated


@pytest.fixture
def embedded(tmp_path: Path) -> Settings:
    """Settings for SQLite + the in-process queue only."""
    return fast_settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/docroute.sqlite3")


@pytest.fixture
def real(pg_url: str) -> Settings:
    """Settings for PostgreSQL + RabbitMQ only."""
    return fast_settings(database_url=pg_url, amqp_url=AMQP_URL,
                         queue_prefix=f"docroute-test-{RUN}-{uuid.uuid4().hex[:6]}")


@contextlib.asynccontextmanager
async def running(settings: Settings, **parts: bool) -> AsyncIterator[Service]:
    """A started service; on RabbitMQ its queues are deleted afterwards."""
    service = Service(settings)
    await service.start(**parts)
    try:
        yield service
    finally:
        if isinstance(service.broker, RabbitBroker):
            with contextlib.suppress(Exception):
                await service.broker.delete_queues()
        await service.stop()


@pytest.fixture
async def service(stack: Settings) -> AsyncIterator[Service]:
    """The whole pipeline running in this process on the chosen stack."""
    async with running(stack) as started:
        yield started


def in_process_client(service: Service) -> httpx.AsyncClient:
    """An httpx client on the service's API, in this process (close it after use)."""
    transport = httpx.ASGITransport(app=create_app(service))
    return httpx.AsyncClient(transport=transport, base_url="http://docroute")


@pytest.fixture
async def client(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the service's API in process."""
    async with in_process_client(service) as http:
        yield http


async def token(service: Service, role: Role, agency: str | None = None) -> dict[str, str]:
    """Authorization headers with a freshly issued token."""
    async with transaction(service.sessions) as session:
        issued = await issue_token(session, role, agency)
    return {"Authorization": f"Bearer {issued}"}


async def wait_settled(service: Service, document_id: str, limit: float = 90) -> list[Delivery]:
    """The document's deliveries once it is routed and none is pending; fails past the limit.

    The limit only stops a hung pipeline from hanging the suite; no test asserts on time.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        async with service.sessions() as session:
            document = await session.get(Document, document_id)
            rows = list((await session.exec(
                select(Delivery).where(Delivery.document_id == document_id)
            )).all())
        if document is not None and document.routed_at is not None and all(
            row.state != DeliveryState.PENDING for row in rows
        ):
            return rows
        if loop.time() > deadline:
            pending = [row.agency_id for row in rows if row.state == DeliveryState.PENDING]
            raise AssertionError(f"document {document_id} not settled; pending: {pending}")
        await asyncio.sleep(0.05)


async def until(check: Callable[[], Any], what: str, limit: float = 60) -> None:
    """Wait until `check()` (maybe async) is true; past the limit fail, naming what was awaited.

    A guard against a hung suite, not a timing assertion: the limit is far above the need.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        result = check()
        if inspect.isawaitable(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"still waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
def eventually() -> Any:
    """`await eventually(check, "what")` waits for a condition, failing loudly if it never holds."""
    return until


@pytest.fixture
def tokens() -> Any:
    """`await tokens(service, role, agency)` gives Authorization headers."""
    return token


@pytest.fixture
def settled() -> Any:
    """`await settled(service, document_id)` waits for the pipeline to finish a document."""
    return wait_settled


@pytest.fixture
async def embedded_service(embedded: Settings) -> AsyncIterator[Service]:
    """The whole pipeline on SQLite and the in-process queue only."""
    async with running(embedded) as started:
        yield started


@pytest.fixture
async def embedded_client(embedded_service: Service) -> AsyncIterator[httpx.AsyncClient]:
    """An API client on the embedded service."""
    async with in_process_client(embedded_service) as http:
        yield http


@pytest.fixture
async def sender_headers(embedded_service: Service) -> dict[str, str]:
    """Headers of a sender token of UBND tỉnh on the embedded service."""
    return await token(embedded_service, Role.SENDER, "kh.ubnd-tinh")


@pytest.fixture
def run_service() -> Any:
    """`async with run_service(settings, **parts) as service:` runs a service in this loop."""
    return running


@pytest.fixture
def api_client() -> Any:
    """`api_client(service)` is an httpx client on the service's API (close it after use)."""
    return in_process_client


@pytest.fixture
def seed_text() -> Any:
    """`seed_text("004")` is the text of that seed document."""
    return seed


@dataclass
class Sink:
    """A local agency webhook server that records what it received, by idempotency key."""

    url: str = ""
    received: list[dict[str, Any]] = field(default_factory=list)
    fail_first: int = 0  # answer 503 to this many requests first
    refuse: set[str] = field(default_factory=set)  # agencies answered with 400
    bad_signatures: int = 0
    payloads: dict[str, dict[str, Any]] = field(default_factory=dict)  # the JSON, by key

    def keys_by_agency(self) -> dict[str, set[str]]:
        """The distinct idempotency keys each agency received."""
        keys: dict[str, set[str]] = {}
        for item in self.received:
            keys.setdefault(item["agency"], set()).add(item["key"])
        return keys

    def app(self) -> FastAPI:
        """The sink's HTTP app."""
        app = FastAPI()

        @app.post("/hook/{agency}")
        async def hook(agency: str, request: Request) -> JSONResponse:
            body = await request.body()
            signature = request.headers.get("x-docroute-signature", "").removeprefix("sha256=")
            if not verify(SECRET, body, signature):
                self.bad_signatures += 1
            if self.fail_first > 0:
                self.fail_first -= 1
                return JSONResponse({"error": "try later"}, status_code=503)
            if agency in self.refuse:
                return JSONResponse({"error": "unknown recipient"}, status_code=400)
            payload = json.loads(body)
            self.payloads[request.headers.get("idempotency-key", "")] = payload
            self.received.append({
                "agency": agency, "key": request.headers.get("idempotency-key"),
                "delivery_id": payload["delivery_id"], "document_id": payload["document"]["id"],
            })
            return JSONResponse({"ok": True})

        return app


def always(directory: Any) -> Callable[[], Awaitable[Any]]:
    """A provider that always answers `directory` (what `EdxmlChannel` asks per packet)."""

    async def provide() -> Any:
        return directory

    return provide


@contextlib.asynccontextmanager
async def serving(app: Any) -> AsyncIterator[int]:
    """The ASGI app served by uvicorn on a free local port, in this event loop: its port."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning",
                            lifespan="off", access_log=False)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    try:
        await until(lambda: server.started or task.done(), "the local server to start")
        if task.done():
            task.result()  # it failed to start: say why
        yield int(server.servers[0].sockets[0].getsockname()[1])
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def sink() -> AsyncIterator[Sink]:
    """A webhook sink served by uvicorn on a free local port, in this event loop."""
    recorder = Sink()
    async with serving(recorder.app()) as port:
        recorder.url = f"http://127.0.0.1:{port}/hook"
        yield recorder


@contextlib.asynccontextmanager
async def trickling_server(first: bytes = b"") -> AsyncIterator[int]:
    """A TCP server that sends `first`, then one byte every 50 ms for as long as the client
    stays: a host that keeps each socket timeout from firing. Yields its port."""

    async def handle(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            writer.write(first)
            while True:
                await asyncio.sleep(0.05)
                writer.write(b"X")
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async with tcp_serving(handle) as port:
        yield port


@contextlib.asynccontextmanager
async def tcp_serving(
    handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]],
) -> AsyncIterator[int]:
    """A TCP server on a free local port that gives each connection to `handle`: its port."""
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    try:
        yield int(server.sockets[0].getsockname()[1])
    finally:
        server.close()


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    """A running SMTP server on a free port, and what it received."""
    port = free_port()
    handler = Mailbox()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()
