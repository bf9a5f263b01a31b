"""The schema comes from the Alembic migrations: they must build exactly what the models say."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import audit.models  # noqa: F401  # registers the audit's tables in the metadata
from router.database import create_engine
from router.migrate import migrate
from router.settings import Settings


def _differences(connection: Connection) -> list[object]:
    return list(compare_metadata(MigrationContext.configure(connection), SQLModel.metadata))


async def test_migrated_schema_matches_the_models_on_each_stack(stack: Settings) -> None:
    """After every migration, Alembic finds no table, column, index or constraint that the
    models and the database disagree on (a model change without its migration fails here)."""
    engine = create_engine(stack.database_url)
    try:
        await migrate(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_differences) == []
    finally:
        await engine.dispose()
