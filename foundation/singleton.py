"""One runner at a time for a periodic pass that must not run twice at once (the hub rounds,
the edXML outbox's POSTs), whatever number of service processes share the database.

On PostgreSQL the pass holds a session-level advisory lock (`pg_try_advisory_lock`, keyed by
the pass's name) on a connection of its own for as long as it runs: a second process that
tries meanwhile is told at once that the pass is taken and skips its turn; a process that dies
loses its connection and so its lock. On SQLite (the embedded stack: one process) the lock is
held in this process, per database and pass.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
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
