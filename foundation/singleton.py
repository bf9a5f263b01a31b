"""One runner at a time for a periodic pass that must not run twice at once (the hub rounds,
the edXML outbox's POSTs), whatever number of service processes share the database.

On PostgreSQL the pass holds a session-level advisory lock (`pg_try_advisory_lock`, keyed by
the pass's name) on a connection of its own for as long as it runs: a second process that
tries meanwhile is told at once that the pass is taken and skips its turn; a process that dies
loses its connection and so its lock. On a SQLite file the lock is a lock file beside it
(`<database>.<pass>.lock`, an OS lock that goes with its holder's process too): the embedded
service and a clerk's `docroute audit remind` on the same file are two processes, and each
held a lock of its own in memory. An in-memory SQLite database, which no other process can
open, keeps the lock in this process.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from filelock import FileLock, Timeout
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = structlog.get_logger(__name__)
_held_here: set[tuple[str, str]] = set()


def lock_key(name: str) -> int:
    """The advisory lock's key for a pass: a signed 64-bit number from its name."""
    return int.from_bytes(hashlib.sha256(f"docroute:{name}".encode()).digest()[:8], "big",
                          signed=True)


@asynccontextmanager
async def only_one(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """Yields True when this caller holds the pass `name` (until the block ends), False when
    another holder has it."""
    if engine.dialect.name != "postgresql":
        async with _sqlite_pass(engine, name) as held:
            yield held
        return
    key = lock_key(name)
    async with engine.connect() as connection:
        got = (await connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                        {"key": key})).scalar()
        await connection.commit()
        if not got:
            yield False
            return
        try:
            yield True
        finally:
            try:
                await connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                await connection.commit()
            except Exception:  # the lock goes with the connection: drop it rather than pool it
                log.warning("advisory_unlock_failed", lock=name)
                await connection.invalidate()


@asynccontextmanager
async def _sqlite_pass(engine: AsyncEngine, name: str) -> AsyncIterator[bool]:
    """`only_one` on SQLite: a lock file beside a database file, else (in memory) this
    process's own record of the passes it holds."""
    database = engine.url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:"):
        here = (engine.url.render_as_string(hide_password=True), name)
        if here in _held_here:
            yield False
            return
        _held_here.add(here)
        try:
            yield True
        finally:
            _held_here.discard(here)
        return
    # A lock object of its own for each use (filelock's default), with its own descriptor, so
    # that a second holder in this same process is refused as one in another process is
    # (flock locks a descriptor, not a process).
    lock = FileLock(f"{database}.{name}.lock", timeout=0, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()
