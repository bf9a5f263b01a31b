"""The embedded default (`docroute serve`: SQLite and the in-process queue) SIGKILLed while
documents are being routed and delivered: the next start finishes everything, and every
agency holds exactly one copy of each document (lost / duplicated / unexpected = 0 / 0 / 0)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import col, func, select

from docroute.service import Service
from foundation.channels import set_channel
from foundation.database import transaction
from foundation.migrate import migrated_sessions
from foundation.models import ChannelKind, Delivery, DeliveryState, Document, Role
from foundation.settings import Settings
from foundation.tokens import issue_token
from tests.conftest import SECRET, free_port
from tests.docroute.test_faults import ZERO, Harness
from tests.docroute.test_pipeline_end_to_end import SENDER, expected_agencies

DOCROUTE = str(Path(sys.executable).with_name("docroute"))
DOCUMENTS = 8


class Serve:
    """`docroute serve` as a child process on one SQLite file."""

    def __init__(self, settings: Settings, logs: Path) -> None:
        self.settings = settings
        self.logs = logs
        self.port = free_port()
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self) -> None:
        """Start it and wait until /ready answers."""
        env = {**os.environ, "DOCROUTE_DATABASE_URL": self.settings.database_url,
               "DOCROUTE_SIGNING_SECRET": SECRET, "DOCROUTE_DEVELOPMENT": "true",
               "DOCROUTE_WEBHOOK_BACKOFF_SECONDS": "0.01", "DOCROUTE_LOG_LEVEL": "WARNING",
               "DOCROUTE_ALLOW_PRIVATE_WEBHOOKS": "true"}
        log = (self.logs / f"serve-{self.starts}.log").open("wb")
        self.starts += 1
        self.process = await asyncio.create_subprocess_exec(
            DOCROUTE, "serve", "--port", str(self.port), env=env, stdout=log,
            stderr=subprocess.STDOUT,
        )
        async with httpx.AsyncClient() as client:
            for _ in range(600):
                try:
                    if (await client.get(f"{self.url}/ready")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError("docroute serve did not become ready")

    @property
    def url(self) -> str:
        """Where its API listens."""
        return f"http://127.0.0.1:{self.port}"

    async def kill(self) -> None:
        """SIGKILL it."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        assert await self.process.wait() == -signal.SIGKILL


@pytest.fixture
async def serve(embedded: Settings, tmp_path: Path) -> AsyncIterator[Serve]:
    """The server, stopped at the end."""
    server = Serve(embedded, tmp_path)
    try:
        yield server
    finally:
        if server.process is not None and server.process.returncode is None:
            server.process.send_signal(signal.SIGTERM)
            await server.process.wait()


async def _unfinished(settings: Settings) -> int:
    async with migrated_sessions(settings.database_url) as sessions, sessions() as session:
        unrouted = await session.exec(
            select(func.count()).select_from(Document).where(col(Document.routed_at).is_(None)))
        pending = await session.exec(select(func.count()).select_from(Delivery).where(
            col(Delivery.state) == DeliveryState.PENDING))
        return int(unrouted.one()) + int(pending.one())


async def test_embedded_default_killed_while_work_is_in_flight_loses_nothing(
    embedded: Settings, serve: Serve, sink: Any, seed_text: Any, settled: Any, tmp_path: Path,
    eventually: Any,
) -> None:
    """`docroute serve` SIGKILLed as soon as the first agency received a document (so with
    documents still being routed and delivered), then started again: everything is finished,
    and no agency holds a lost, second or unexpected copy."""
    agencies = expected_agencies(seed_text("004"))
    async with migrated_sessions(embedded.database_url) as sessions, transaction(
        sessions
    ) as session:
        for agency in agencies:
            await set_channel(session, agency, ChannelKind.WEBHOOK, f"{sink.url}/{agency}")
        token = await issue_token(session, Role.SENDER, SENDER)
    headers = {"Authorization": f"Bearer {token}"}
    await serve.start()
    ids = []
    async with httpx.AsyncClient(base_url=serve.url) as client:
        for n in range(1, DOCUMENTS + 1):
            body = {"text": seed_text("004"), "number": f"{n}/TB-KILL", "date": "2023-03-01"}
            answer = await client.post("/v1/documents", json=body, headers=headers)
            assert answer.status_code == 202, answer.text
            ids.append(answer.json()["id"])
    await eventually(lambda: sink.received, "the first delivery")
    await serve.kill()
    assert await _unfinished(embedded) > 0, "the kill came after all work was done"
    await serve.start()
    reader = Service(embedded)
    try:
        rig = Harness(reader, httpx.AsyncClient(), sink, tmp_path, agencies, [])
        assert await rig.count(settled, ids) == ZERO
    finally:
        await reader.engine.dispose()
