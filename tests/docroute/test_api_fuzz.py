"""Every operation of the OpenAPI schema, fuzzed by schemathesis as each role: no answer ≥ 500.

The service runs for real (uvicorn on a free port, in a thread with its own event loop) on
three stacks, one after the other: SQLite with the in-process queue, PostgreSQL with the
in-process queue, and PostgreSQL with RabbitMQ (queues with a prefix of this run only, deleted
afterwards; a RabbitMQ that cannot be reached fails the tests, nothing is skipped). On each,
with one token per role, schemathesis generates requests from `/openapi.json` (valid ones, and
invalid ones that the API must refuse with a 4xx) and sends them over HTTP as a sender office,
an agency, an auditor, an admin and an anonymous caller. The valid requests include the
schema's examples, which the test gives POST /v1/documents (a real document): the generated
texts are all refused at `EXAMPLES`, and the example is what makes a fuzzed request store a
document that the relay publishes to the stack's queue (on RabbitMQ, for real) and the router
consumes; every document a fuzzed request submitted must end up routed.
Bounded: `EXAMPLES` requests of each kind per operation and role, derandomized (the same
requests on every run), no shrinking; each failure names the operation, role and request.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode

from docroute.api.app import create_app
from docroute.service import Service
from foundation.models import Role
from foundation.settings import Settings
from tests.conftest import (
    AMQP_URL,
    RUN,
    fast_settings,
    free_port,
    pg_database,
    running,
    seed,
    token,
)

# Requests of each kind (valid, invalid) per operation and role; a longer exploration:
# DOCROUTE_FUZZ_EXAMPLES=50 .venv/bin/pytest tests/docroute/test_api_fuzz.py
EXAMPLES = int(os.environ.get("DOCROUTE_FUZZ_EXAMPLES", "4"))
# The admin goes last: its requests may revoke any token (ids are small integers), its own
# included, so the revoke operation also comes last in each run.
ROLES: dict[str, tuple[Role, str | None] | None] = {
    "sender": (Role.SENDER, "kh.ubnd-tinh"),
    "agency": (Role.AGENCY, "kh.so-noi-vu"),
    "auditor": (Role.AUDITOR, None),
    "anonymous": None,
    "admin": (Role.ADMIN, None),
}


@dataclass
class Served:
    """The running API: its address and each role's headers."""

    base_url: str
    headers: dict[str, dict[str, str]]


def _serve(settings: Settings, port: int, ready: Future[dict[str, dict[str, str]]],
           stop: threading.Event) -> None:
    async def main() -> None:
        async with running(settings) as service:
            server = uvicorn.Server(uvicorn.Config(
                create_app(service), host="127.0.0.1", port=port, log_level="warning",
                lifespan="off",
            ))
            task = asyncio.create_task(server.serve())
            while not server.started:
                await asyncio.sleep(0.02)
            ready.set_result(await _tokens(service))
            while not stop.is_set():
                await asyncio.sleep(0.05)
            server.should_exit = True
            await task

    try:
        asyncio.run(main())
    except BaseException as error:  # the test sees why the server did not start
        if not ready.done():
            ready.set_exception(error)
        raise


async def _tokens(service: Service) -> dict[str, dict[str, str]]:
    headers = {}
    for name, role in ROLES.items():
        headers[name] = {} if role is None else await token(service, *role)
    return headers


@pytest.fixture(scope="module")
def stack_settings(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                   pg_template: str) -> Iterator[Settings]:
    """Settings for a SQLite file, or a fresh PostgreSQL database copied from the migrated
    template, with the in-process queue; or that PostgreSQL database with RabbitMQ, on queues
    of this module's run only (`running` deletes them when the service stops)."""
    if request.param == "sqlite":
        folder: Path = tmp_path_factory.mktemp("fuzz")
        yield fast_settings(database_url=f"sqlite+aiosqlite:///{folder}/docroute.sqlite3",
                            log_level="WARNING")
        return
    with pg_database(pg_template, "fuzz_") as url:
        if request.param == "postgresql":
            yield fast_settings(database_url=url, log_level="WARNING")
            return
        yield fast_settings(database_url=url, log_level="WARNING", amqp_url=AMQP_URL,
                            queue_prefix=f"docroute-test-{RUN}-fuzz-{uuid.uuid4().hex[:6]}")


def _routed(base_url: str, document_id: str, headers: dict[str, str], limit: float = 60) -> None:
    """Wait until the document is routed; past the limit (a guard against a hung pipeline, not
    a timing assertion) fail, showing its last view."""
    deadline = time.monotonic() + limit
    while True:
        view = requests.get(f"{base_url}/v1/documents/{document_id}", headers=headers, timeout=60)
        assert view.status_code == 200, view.text
        if view.json()["routed"]:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"document {document_id} not routed: {view.text}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def served(stack_settings: Settings) -> Iterator[Served]:
    """The service on the stack, served over HTTP, with one document sent and routed (so some
    generated ids and listings meet real rows, and the stack's queue is known to carry messages
    from the relay to the router before any fuzzing: on RabbitMQ, a broker that took the
    publishes but never delivered them would otherwise go unseen)."""
    port = free_port()
    ready: Future[dict[str, dict[str, str]]] = Future()
    stop = threading.Event()
    thread = threading.Thread(target=_serve, args=(stack_settings, port, ready, stop),
                              daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{port}"
        headers = ready.result(timeout=120)
        sent = requests.post(f"{base}/v1/documents", json={"text": seed("004")},
                             headers=headers["sender"], timeout=60)
        assert sent.status_code == 202, sent.text
        _routed(base, sent.json()["id"], headers["sender"])
        yield Served(base, headers)
    finally:
        stop.set()
        thread.join(timeout=60)


@pytest.fixture(scope="module")
def schema(served: Served) -> Any:
    """The API's own OpenAPI schema, as served, with one example: a real document for the
    JSON body of POST /v1/documents. At `EXAMPLES` generated requests, no generated text is
    taken (the first is the empty one, refused with a 422), so without it no request of the
    fuzz would be stored and published; `_fuzz` sends it too, as each role."""
    answer = requests.get(f"{served.base_url}/openapi.json", timeout=60)
    assert answer.status_code == 200, answer.text
    raw = answer.json()
    body = raw["paths"]["/v1/documents"]["post"]["requestBody"]["content"]["application/json"]
    body["example"] = {"text": seed("003")}  # not the fixture's 004: that would be a duplicate
    return schemathesis.openapi.from_dict(raw)


def _fuzz(operation: Any, mode: GenerationMode, base_url: str, headers: dict[str, str],
          session: requests.Session) -> list[str]:
    """Send the operation's requests of one kind (valid ones: also the schema's examples, which
    `as_strategy` never draws); the ids of the documents they submitted."""
    submitted: list[str] = []
    strategies = [operation.as_strategy(generation_mode=mode)]
    if mode == GenerationMode.POSITIVE:
        strategies += operation.get_strategies_from_examples()
    for strategy in strategies:

        @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(case=strategy)
        def run(case: Any) -> None:
            response = case.call(base_url=base_url, session=session, headers=headers, timeout=60)
            case.validate_response(response, checks=[not_a_server_error])
            if (operation.method.upper(), operation.path) == ("POST", "/v1/documents") \
                    and response.status_code == 202:
                submitted.append(response.json()["id"])

        run()
    return submitted


@pytest.mark.parametrize("stack_settings", ["sqlite", "postgresql", "postgresql-rabbitmq"],
                         indirect=True, scope="module")
@pytest.mark.parametrize("role", list(ROLES))
def test_no_operation_answers_a_server_error(served: Served, schema: Any, role: str) -> None:
    """As `role`, every operation, with valid and invalid requests: never a 5xx; and the
    documents it submitted are routed (on RabbitMQ: published, consumed by the router)."""
    failures: list[str] = []
    submitted: list[str] = []
    operations = sorted((result.ok() for result in schema.get_all_operations()),
                        key=lambda operation: operation.path.endswith("/revoke"))
    assert len(operations) >= 25  # the whole API, not an empty or partial schema
    with requests.Session() as session:
        for operation in operations:
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                try:
                    submitted += _fuzz(operation, mode, served.base_url, served.headers[role],
                                       session)
                except Unsatisfiable:
                    continue  # no invalid request exists for it (GET /health takes nothing)
                except (Exception, BaseExceptionGroup) as error:  # reported together
                    failures.append(f"{operation.label} [{mode.value}] as {role}: {error}")
    assert not failures, "\n\n".join(failures)
    if role == "sender":  # the schema's example, at least, is taken: the queue is exercised
        assert submitted, "no fuzzed request submitted a document"
    for document_id in submitted:
        _routed(served.base_url, document_id, served.headers[role])
