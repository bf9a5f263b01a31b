"""A channel's deadline per attempt, kept with one timer for all its attempts in flight.

`with deadline.attempt():` raises TimeoutError in the block once `seconds` have passed since
it was entered, as `asyncio.timeout(seconds)` does. Each `asyncio.timeout` pushes a timer
handle on the event loop's heap (ordered by a Python `__lt__`) and cancels it again: about
8 us per POST, a visible share of a delivery worker's CPU. Every attempt of a channel has the
same deadline, so they expire in the order they were entered: they wait in one queue, and
one timer at a time is armed, at the expiry of the oldest attempt still running. An attempt
that ends costs no timer at all; the armed one, when it fires, skips the attempts that
ended and is armed again for the next one still running.
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType
from typing import Any


class Deadline:
    """The deadline of every attempt of one channel: `seconds` after each one starts."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._running: deque[Attempt] = deque()  # in the order they expire
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def attempt(self) -> Attempt:
        """A context for one attempt, in the current task: cancelled at its deadline, and
        then raising TimeoutError where the block was."""
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("Deadline.attempt() is used inside a task")
        return Attempt(self, task)

    def _enter(self, attempt: Attempt) -> float:
        """Queue the attempt; return its expiry (the loop's clock)."""
        loop = attempt.task.get_loop()
        if loop is not self._loop:  # a channel used again in another loop (tests, restarts)
            self._running.clear()
            self._loop, self._timer = loop, None
        running = self._running
        while running and running[0].ended:  # keep the queue to the attempts in flight
            running.popleft()
        expires = loop.time() + self.seconds
        running.append(attempt)
        if self._timer is None:
            self._timer = loop.call_at(expires, self._expire)
        return expires

    def _expire(self) -> None:
        """Cut off the attempts whose deadline has passed; arm the timer for the next."""
        self._timer = None
        loop, running = self._loop, self._running
        assert loop is not None
        now = loop.time()
        while running:
            first = running[0]
            if first.ended:
                running.popleft()
            elif first.expires <= now:
                running.popleft()
                first.cut_off()
            else:
                self._timer = loop.call_at(first.expires, self._expire)
                return


class Attempt:
    """One attempt under a `Deadline` (a context manager, entered once)."""

    __slots__ = ("_cancelling", "_deadline", "ended", "expired", "expires", "task")

    def __init__(self, deadline: Deadline, task: asyncio.Task[Any]) -> None:
        self._deadline = deadline
        self.task = task
        self.expires = 0.0
        self.ended = False
        self.expired = False
        self._cancelling = 0

    def __enter__(self) -> Attempt:
        self._cancelling = self.task.cancelling()
        self.expires = self._deadline._enter(self)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.ended = True
        # As asyncio.timeout: the cancellation was this deadline's own unless another one
        # was requested meanwhile (the worker stopping), which then goes on.
        if self.expired and self.task.uncancel() <= self._cancelling and (
            kind is asyncio.CancelledError
        ):
            raise TimeoutError from error

    def cut_off(self) -> None:
        """The deadline passed while the attempt was running: cancel its task."""
        self.expired = True
        self.task.cancel()
