"""docker-compose.yml: what it runs, and a rehearsal of it on this machine.

No Docker engine runs where these tests run, so the images are never built here. What can
be checked is checked: the services and their wiring, that every `DOCROUTE_*` variable is
one docroute reads, and a rehearsal that starts each docroute service's command exactly as
written, as a process, with the compose environment (hosts and credentials pointed at this
machine's PostgreSQL and RabbitMQ, a port and queue prefix of the test's own), runs the
api's healthcheck command, and routes seed 004 through them to every expected agency once.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from docker.utils.build import exclude_paths

from foundation.broker.nodes import node_urls
from foundation.broker.rabbit import RabbitBroker
from foundation.settings import Settings
from tests.conftest import free_port
from tests.docroute.test_pipeline_end_to_end import SENDER, expected_agencies

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
_DEFAULTED = re.compile(r"\$\{(\w+):-([^}]*)\}")
# `${VAR:?message}`: compose refuses to start without it; the rehearsal supplies one.
_REQUIRED = re.compile(r"\$\{(\w+):\?[^}]*\}")
REHEARSAL_SECRET = "compose-rehearsal-secret-0123456789"


def _compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8")))


def _docroute_services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    return {n: s for n, s in services.items() if s.get("command", [""])[0] == "docroute"}


def _environment(service: dict[str, Any]) -> dict[str, str]:
    """The service's environment with `${VAR:-default}` read as its default."""
    return {k: _REQUIRED.sub(REHEARSAL_SECRET, _DEFAULTED.sub(r"\2", str(v)))
            for k, v in service["environment"].items()}


def test_compose_runs_the_api_the_router_and_two_delivery_workers() -> None:
    """Besides RabbitMQ and PostgreSQL: one API without workers, one router, two delivery
    workers, each on PostgreSQL and every RabbitMQ node by service name, started once all are
    healthy."""
    compose = _compose()
    services = _docroute_services()
    commands = sorted(" ".join(s["command"][1:3]) for s in services.values())
    assert commands == ["serve --host", "worker delivery", "worker delivery", "worker router"]
    api = next(s for s in services.values() if s["command"][1] == "serve")
    assert "--no-workers" in api["command"]
    for service in services.values():
        environment = _environment(service)
        database = urlsplit(environment["DOCROUTE_DATABASE_URL"])
        nodes = [urlsplit(url) for url in node_urls(environment["DOCROUTE_AMQP_URL"])]
        assert database.scheme == "postgresql+asyncpg"
        assert {node.scheme for node in nodes} == {"amqp"}
        hosts = {database.hostname} | {node.hostname for node in nodes}
        assert hosts <= set(compose["services"])
        assert service["depends_on"] == {host: {"condition": "service_healthy"} for host in hosts}


def test_compose_runs_a_three_node_rabbitmq_cluster_that_docroute_lists() -> None:
    """Three RabbitMQ nodes, each its own host name and volume, joined by classic peer
    discovery on those names with one cookie; docroute's URL lists all three."""
    compose = _compose()
    nodes = {n: s for n, s in compose["services"].items() if s["image"].startswith("rabbitmq")}
    assert len(nodes) == 3
    assert {s["hostname"] for s in nodes.values()} == set(nodes)
    assert len({s["volumes"][0].split(":")[0] for s in nodes.values()}) == 3
    assert len({s["environment"]["RABBITMQ_ERLANG_COOKIE"] for s in nodes.values()}) == 1
    config = compose["configs"][nodes["rabbitmq-1"]["configs"][0]["source"]]["content"]
    assert "peer_discovery_backend = classic_config" in config
    assert {f"rabbit@{name}" for name in nodes} == set(re.findall(r"rabbit@[\w-]+", config))
    api = _docroute_services()["api"]
    listed = {urlsplit(u).hostname for u in node_urls(_environment(api)["DOCROUTE_AMQP_URL"])}
    assert listed == set(nodes)


def test_compose_sets_only_settings_docroute_reads() -> None:
    """Every DOCROUTE_* variable names a setting, and the values (defaults filled in) pass
    the same validation `docroute` applies at start-up."""
    known = {f"DOCROUTE_{name.upper()}" for name in Settings.model_fields}
    for name, service in _docroute_services().items():
        environment = _environment(service)
        assert set(environment) - {"PYTHONUNBUFFERED"} <= known, name
        values = {k.removeprefix("DOCROUTE_").lower(): v for k, v in environment.items()}
        assert Settings(**values).amqp_url == environment["DOCROUTE_AMQP_URL"]


def test_the_build_context_holds_the_project_and_none_of_the_local_state() -> None:
    """The image is built from what `docker build` would send (computed by Docker's SDK from
    .dockerignore): the packages, their data, the migrations and the project file, and no
    virtualenv, embedded database, caches or git history, even where they exist locally."""
    patterns = [
        line.strip() for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    (ROOT / "var").mkdir(exist_ok=True)  # `make run`'s SQLite file lives there
    context = set(exclude_paths(str(ROOT), patterns))
    for needed in ("pyproject.toml", "foundation/alembic.ini", "docroute/cli.py",
                   "consumers/delivery.py", "docroute/api/audit.py",
                   "rules/data/default_rules.yaml",
                   "foundation/migrations/versions/0001_initial_schema.py"):
        assert needed in context, needed
    local_state = (".venv", "var", ".git", ".pytest_cache", "__pycache__", "docroute.egg-info")
    sent = {path for path in context if set(Path(path).parts) & set(local_state)}
    assert sent == set()


def _on_this_machine(service: dict[str, Any], real: Settings, port: int) -> dict[str, str]:
    """The service's environment, pointed at this machine's servers and the test's queues."""
    environment = _environment(service)
    environment.update(
        DOCROUTE_DATABASE_URL=real.database_url, DOCROUTE_AMQP_URL=real.amqp_url or "",
        DOCROUTE_QUEUE_PREFIX=real.queue_prefix, DOCROUTE_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    return {**os.environ, **environment, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}


def _command(service: dict[str, Any], port: int) -> list[str]:
    return [str(port) if part == "8000" else part for part in service["command"]]


async def _ready(url: str, processes: list[subprocess.Popen[bytes]]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            assert all(p.poll() is None for p in processes), "a compose service exited"
            try:
                if (await client.get(f"{url}/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url}/ready never answered 200")


async def _delete_queues(real: Settings) -> None:
    await RabbitBroker(real.amqp_url or "", real.queue_prefix, real.delivery_limit).delete_queues()


async def _stop(processes: list[subprocess.Popen[bytes]]) -> list[int | None]:
    """SIGTERM, as `docker compose stop` sends; the exit codes (None: had to be killed)."""
    for process in processes:
        process.send_signal(signal.SIGTERM)
    codes: list[int | None] = []
    for process in processes:
        try:
            codes.append(await asyncio.to_thread(process.wait, 20))
        except subprocess.TimeoutExpired:
            process.kill()
            codes.append(None)
    return codes


@pytest.fixture
async def rehearsal(real: Settings, tmp_path: Path) -> AsyncIterator[dict[str, Any]]:
    """The compose file's docroute services, started as written on this machine."""
    port = free_port()
    services = _docroute_services()
    processes = [
        subprocess.Popen(_command(s, port), env=_on_this_machine(s, real, port), cwd=ROOT,
                         stdout=(tmp_path / f"{name}.log").open("wb"), stderr=subprocess.STDOUT)
        for name, s in services.items()
    ]
    rig = {"url": f"http://127.0.0.1:{port}", "port": port, "processes": processes,
           "env": _on_this_machine(services["api"], real, port), "stopped": None}
    try:
        await _ready(rig["url"], processes)
        yield rig
    finally:
        if rig["stopped"] is None:
            await _stop(processes)
        await _delete_queues(real)
        for log in tmp_path.glob("*.log"):
            print(f"--- {log.name}\n{log.read_text()[-3000:]}")


def _token(env: dict[str, str], role: str, agency: str | None = None) -> dict[str, str]:
    command = ["docroute", "tokens", "issue", "--role", role]
    command += ["--agency", agency] if agency else []
    issued = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                            check=True)
    return {"Authorization": f"Bearer {issued.stdout.strip()}"}


async def _delivered(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> Any:
    for _ in range(600):
        view = (await client.get(url, headers=headers)).json()
        states = [d["state"] for d in view["deliveries"]]
        if states and all(state == "delivered" for state in states):
            return view
        await asyncio.sleep(0.1)
    raise AssertionError(f"not all delivered: {view}")


async def test_compose_services_as_written_route_seed_004_and_stop_on_sigterm(
    rehearsal: dict[str, Any], seed_text: Any,
) -> None:
    """The api's healthcheck passes; seed 004 submitted to the api reaches each expected
    agency's inbox exactly once through the router and delivery worker processes; every
    service then stops cleanly on SIGTERM."""
    api = _docroute_services()["api"]
    probe = [sys.executable if part == "python" else part for part in api["healthcheck"]["test"]]
    probe = [part.replace(":8000/", f":{rehearsal['port']}/") for part in probe[1:]]
    assert subprocess.run(probe, timeout=30).returncode == 0

    text = seed_text("004")
    sender = _token(rehearsal["env"], "sender", SENDER)
    auditor = _token(rehearsal["env"], "auditor")
    async with httpx.AsyncClient(base_url=rehearsal["url"], timeout=30) as client:
        answer = await client.post("/v1/documents", json={"text": text}, headers=sender)
        assert answer.status_code == 202, answer.text
        view = await _delivered(client, f"/v1/documents/{answer.json()['id']}", auditor)
    agencies = [d["agency_id"] for d in view["deliveries"]]
    assert sorted(agencies) == sorted(expected_agencies(text))
    assert {d["channel"] for d in view["deliveries"]} == {"inbox"}

    rehearsal["stopped"] = await _stop(rehearsal["processes"])
    assert rehearsal["stopped"] == [0] * len(rehearsal["processes"])
