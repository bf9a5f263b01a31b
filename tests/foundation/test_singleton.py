"""One holder at a time per pass name, across engines (processes) on the same database."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from foundation.database import create_engine
from foundation.settings import Settings
from foundation.singleton import lock_key, only_one


async def test_a_pass_has_one_holder_across_engines(stack: Settings) -> None:
    one, two = create_engine(stack.database_url), create_engine(stack.database_url)
    try:
        async with only_one(one, "hub-rounds") as first:
            assert first
            async with only_one(two, "hub-rounds") as second:
                assert not second  # taken by the other "process"
            async with only_one(two, "edxml-outbox") as other_pass:
                assert other_pass  # another pass is another lock
        async with only_one(two, "hub-rounds") as after:
            assert after  # released when the first holder's block ended
    finally:
        await one.dispose()
        await two.dispose()


def test_lock_keys_are_stable_and_fit_a_bigint() -> None:
    keys = {lock_key(name) for name in ("hub-rounds", "edxml-outbox")}
    assert len(keys) == 2
    assert all(-(2**63) <= key < 2**63 for key in keys)


# Another process: is the pass free for it? Prints True or False.
_OTHER_PROCESS = """
import asyncio, sys
from foundation.database import create_engine
from foundation.singleton import only_one

async def main() -> None:
    engine = create_engine(sys.argv[1])
    async with only_one(engine, "reminders") as held:
        print(held)
    await engine.dispose()

asyncio.run(main())
"""


def _free_in_another_process(url: str) -> bool:
    answer = subprocess.run([sys.executable, "-c", _OTHER_PROCESS, url], capture_output=True,
                            text=True, timeout=60, cwd=Path(__file__).parents[2], check=True)
    return {"True": True, "False": False}[answer.stdout.strip()]


async def test_a_pass_on_a_sqlite_file_has_one_holder_across_processes(tmp_path: Path) -> None:
    """The embedded service and a CLI command on the same SQLite file are two processes: while
    this one holds the pass, the other is refused it; once released, the other gets it."""
    url = f"sqlite+aiosqlite:///{tmp_path}/docroute.sqlite3"
    engine = create_engine(url)
    try:
        async with only_one(engine, "reminders") as held:
            assert held
            assert not _free_in_another_process(url)
        assert _free_in_another_process(url)
    finally:
        await engine.dispose()
