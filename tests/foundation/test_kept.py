"""A kept answer: one asking shared by the callers of the moment, kept for a while."""

from __future__ import annotations

import asyncio

import pytest

from foundation import kept
from foundation.kept import KeptAnswer


class Asker:
    """Counts its askings; each waits for `release` and answers its own number."""

    def __init__(self) -> None:
        self.asked = 0
        self.release = asyncio.Event()

    async def __call__(self) -> int:
        self.asked += 1
        number = self.asked
        await self.release.wait()
        return number


async def test_callers_of_the_same_moment_share_one_asking() -> None:
    asker = Asker()
    answer = KeptAnswer(asker, seconds=60)
    waiting = [asyncio.ensure_future(answer.get()) for _ in range(10)]
    await asyncio.sleep(0)
    asker.release.set()
    assert await asyncio.gather(*waiting) == [1] * 10
    assert asker.asked == 1
    assert await answer.get() == 1 and asker.asked == 1  # kept


async def test_an_answer_older_than_its_seconds_is_asked_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [100.0]
    monkeypatch.setattr(kept.time, "monotonic", lambda: now[0])
    asker = Asker()
    asker.release.set()
    answer = KeptAnswer(asker, seconds=1.0)
    assert await answer.get() == 1
    now[0] = 100.9
    assert await answer.get() == 1
    now[0] = 101.0  # a second after the asking began
    assert await answer.get() == 2


async def test_forgetting_during_an_asking_neither_keeps_nor_shares_it() -> None:
    asker = Asker()
    answer = KeptAnswer(asker, seconds=60)
    before = asyncio.ensure_future(answer.get())
    await asyncio.sleep(0)
    answer.forget()  # the process changed what is asked about
    after = asyncio.ensure_future(answer.get())
    await asyncio.sleep(0)
    asker.release.set()
    assert (await before, await after) == (1, 2)
    assert await answer.get() == 2 and asker.asked == 2


async def test_a_caller_cancelled_does_not_cancel_the_others_asking() -> None:
    asker = Asker()
    answer = KeptAnswer(asker, seconds=60)
    gone, staying = (asyncio.ensure_future(answer.get()) for _ in range(2))
    await asyncio.sleep(0)
    gone.cancel()
    asker.release.set()
    assert await staying == 1
    assert gone.cancelled() and asker.asked == 1


async def test_an_asking_that_fails_fails_its_callers_and_is_not_kept() -> None:
    calls = 0

    async def failing() -> int:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ConnectionError("no answer")
        return calls

    answer = KeptAnswer(failing, seconds=60)
    with pytest.raises(ConnectionError):
        await answer.get()
    assert await answer.get() == 2
