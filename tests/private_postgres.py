"""A PostgreSQL server of a test's own, so that a test may stop and restart it.

The shared server (127.0.0.1:5432) is never stopped: a fault test starts this one in a
temporary directory on a free port (trust auth, no fsync) from the binaries of the installed
PostgreSQL, as the `postgres` user when run as root (initdb refuses root), and removes it.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import free_port


def _bin(name: str) -> str:
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        raise AssertionError(f"no {name} under /usr/lib/postgresql/*/bin: install postgresql")
    return str(found[-1])


@dataclass
class PrivatePostgres:
    """One private server: its data directory, port and the `pg_ctl` commands on it."""

    root: Path
    port: int

    @property
    def data(self) -> Path:
        """The cluster's data directory."""
        return self.root / "data"

    def url(self, database: str = "postgres") -> str:
        """An asyncpg SQLAlchemy URL of a database on this server."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        command = list(args)
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = (self.root / "server.log")
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise AssertionError(f"{' '.join(args)}: {done.stderr or done.stdout}\n{tail}")

    def init(self) -> None:
        """initdb: a trust-auth cluster owned by the postgres user."""
        self._run(_bin("initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                  "--no-sync", "-E", "UTF8", "--locale=C")

    def start(self) -> None:
        """Start and wait until it accepts connections."""
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "-t", "60", "start")

    def stop(self) -> None:
        """Stop (fast: open connections are cut, as in a real outage)."""
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def restart(self) -> None:
        """Stop and start again."""
        self.stop()
        self.start()

    async def astop(self) -> None:
        """`stop` without blocking the event loop (the service under test keeps running)."""
        await asyncio.to_thread(self.stop)

    async def astart(self) -> None:
        """`start` without blocking the event loop."""
        await asyncio.to_thread(self.start)

    async def arestart(self) -> None:
        """`restart` without blocking the event loop."""
        await asyncio.to_thread(self.restart)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A running private server; stopped and removed afterwards."""
    root = Path(tempfile.mkdtemp(prefix="docroute-pg-"))
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
    server = PrivatePostgres(root, free_port())
    try:
        server.init()
        server.start()
        yield server
    finally:
        if (server.data / "postmaster.pid").exists():
            with suppress(AssertionError):
                server.stop()
        shutil.rmtree(root, ignore_errors=True)
