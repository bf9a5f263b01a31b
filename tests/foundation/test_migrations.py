"""The schema comes from the Alembic migrations: they must build exactly what the models say."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection
from sqlmodel import SQLModel

import foundation.models.audit  # noqa: F401  # registers the audit's tables in the metadata
from foundation.database import create_engine
from foundation.migrate import migrate
from foundation.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


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


def test_an_installed_wheel_carries_its_migrations(tmp_path: Path) -> None:
    """A wheel (not only an editable checkout) ships alembic.ini, the environment and every
    migration, so a deployment installed from it can migrate its database."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(tmp_path.glob("docroute-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {p.name for p in (ROOT / "foundation" / "migrations" / "versions").glob("*.py")}
    assert shipped, "the checkout has no migrations to compare with"
    for name in shipped:
        assert f"foundation/migrations/versions/{name}" in names, name
    for needed in ("foundation/alembic.ini", "foundation/migrations/env.py",
                   "foundation/migrations/script.py.mako"):
        assert needed in names, needed
