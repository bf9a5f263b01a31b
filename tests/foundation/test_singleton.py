"""One holder at a time per pass name, across engines (processes) on the same database."""

from __future__ import annotations

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
