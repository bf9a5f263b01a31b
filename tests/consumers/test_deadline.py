"""A channel's deadline per attempt (one timer for all the attempts in flight) behaves as
`asyncio.timeout` would around each attempt: an attempt past its deadline raises TimeoutError,
one that ends in time is left alone, whatever the others do, and a cancellation that is not
the deadline's goes on as a cancellation."""

from __future__ import annotations

import asyncio

import pytest

from consumers.deadline import Deadline


async def _attempt(deadline: Deadline, seconds: float) -> str:
    """An attempt that takes `seconds`: "done", or "timeout" when its deadline cut it off."""
    try:
        with deadline.attempt():
            await asyncio.sleep(seconds)
    except TimeoutError:
        task = asyncio.current_task()
        assert task is not None and task.cancelling() == 0  # the cancel was taken back
        return "timeout"
    return "done"


async def test_an_attempt_past_its_deadline_raises_timeout_and_one_in_time_does_not() -> None:
    deadline = Deadline(0.1)
    assert await _attempt(deadline, 0.01) == "done"
    assert await _attempt(deadline, 5) == "timeout"
    assert await _attempt(deadline, 0.01) == "done"


async def test_each_attempt_gets_its_own_full_deadline_from_when_it_started() -> None:
    """The timer armed for an attempt that ended early does not cut off a later one before
    that one's own deadline; among attempts in flight, only those that overrun are cut."""
    deadline = Deadline(0.3)
    early = asyncio.ensure_future(_attempt(deadline, 0.01))
    await asyncio.sleep(0.15)
    # Started 0.15 s after `early`: the timer first fires at `early`'s expiry, while these
    # run; the first ends 0.05 s past that, inside its own deadline.
    later = asyncio.ensure_future(_attempt(deadline, 0.2))
    stuck = asyncio.ensure_future(_attempt(deadline, 5))
    assert await asyncio.wait_for(asyncio.gather(early, later, stuck), 3) == [
        "done", "done", "timeout"
    ]


async def test_many_attempts_that_overrun_are_all_cut_off_in_order() -> None:
    deadline = Deadline(0.05)
    outcomes = await asyncio.wait_for(
        asyncio.gather(*(_attempt(deadline, 5 if n % 2 else 0.001) for n in range(20))), 3
    )
    assert outcomes == ["timeout" if n % 2 else "done" for n in range(20)]


async def test_a_cancellation_that_is_not_the_deadlines_stays_a_cancellation() -> None:
    deadline = Deadline(10)
    attempt = asyncio.ensure_future(_attempt(deadline, 5))
    await asyncio.sleep(0.01)
    attempt.cancel()
    with pytest.raises(asyncio.CancelledError):
        await attempt


async def test_a_stop_requested_after_the_deadline_fired_still_stops_the_task() -> None:
    """As asyncio.timeout: when the task is cancelled again (the worker stopping) after the
    deadline cancelled it, the block raises CancelledError, not TimeoutError."""
    deadline = Deadline(0.05)

    async def stubborn() -> None:
        with deadline.attempt():
            try:
                await asyncio.sleep(5)
            except asyncio.CancelledError:
                asyncio.current_task().cancel()  # type: ignore[union-attr]  # a second request
                raise

    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(asyncio.ensure_future(stubborn()), 3)


def test_a_deadline_used_again_in_another_event_loop_still_cuts_off() -> None:
    """A channel outlives an event loop in tests and restarts: a timer armed in a loop that
    is gone must not leave the next loop's attempts without a deadline."""
    deadline = Deadline(0.05)

    async def stop_halfway() -> None:  # leaves an attempt, and the armed timer, behind
        attempt = asyncio.ensure_future(_attempt(deadline, 5))
        await asyncio.sleep(0.01)
        attempt.cancel()

    asyncio.run(stop_halfway())
    assert asyncio.run(_attempt(deadline, 5)) == "timeout"


async def test_an_attempt_needs_a_task() -> None:
    deadline = Deadline(1)
    loop = asyncio.get_running_loop()
    errors: list[BaseException] = []

    def outside_any_task() -> None:
        try:
            deadline.attempt()
        except RuntimeError as error:
            errors.append(error)

    loop.call_soon(outside_any_task)
    await asyncio.sleep(0.01)
    assert len(errors) == 1
