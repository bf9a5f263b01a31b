"""Applies the Alembic migrations: the schema comes from them, at every start-up."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, text
from sqlalchemy.ext.asyncio import AsyncEngine

from foundation.database import SessionFactory, create_engine, session_factory

# The migrations ship inside this package, so an installed wheel can migrate as well as a checkout.
HERE = Path(__file__).resolve().parent
# Any constant works; all docroute processes must agree on it.
_MIGRATION_LOCK = 7_316_402


def alembic_config() -> Config:
    """The Alembic configuration shipped with the package (`foundation/alembic.ini`)."""
    config = Config(str(HERE / "alembic.ini"))
    config.set_main_option("script_location", str(HERE / "migrations"))
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Bring the database to the newest schema; safe when several processes start at once."""
    async with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # The API and the workers start together; only one of them may migrate at a time.
            await connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
        await connection.run_sync(_upgrade)


@asynccontextmanager
async def migrated_sessions(url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on the database at `url`, migrated first; the engine is closed afterwards
    (for the CLI commands that open the database once)."""
    engine = create_engine(url)
    try:
        await migrate(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
