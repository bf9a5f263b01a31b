"""An answer many callers ask for at once and that costs a round trip to get: asked once for
all of them, and kept for a moment.

The API asks such questions on hot or crowded paths: which data is in force (every
submission) and whether the database answers at all (every failed request of a burst).
Asking per caller would add the very load it is about; one asking shared by the callers of
the same moment, and its answer kept `seconds`, bounds it to one per `seconds`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class KeptAnswer(Generic[T]):
    """`get()` gives `ask()`'s answer, asked at most once per `seconds` (from when the asking
    began), callers arriving during an asking sharing it; `forget()` makes the next `get`
    ask afresh, an asking already begun being neither joined nor kept."""

    def __init__(self, ask: Callable[[], Awaitable[T]], seconds: float) -> None:
        self.ask = ask
        self.seconds = seconds
        self._answer: tuple[float, T] | None = None  # since when (monotonic), and what
        self._asking: asyncio.Task[T] | None = None

    async def get(self) -> T:
        """The kept answer while fresh, else the answer of the asking in flight, else a new
        asking's."""
        kept = self._answer
        if kept is not None and time.monotonic() - kept[0] < self.seconds:
            return kept[1]
        if self._asking is None:
            self._asking = asyncio.create_task(self._ask())
        # Shielded: a caller cancelled (its client gone) must not cancel the others' asking.
        return await asyncio.shield(self._asking)

    def forget(self) -> None:
        """What was kept is no longer true (this process changed it)."""
        self._answer = None
        self._asking = None

    async def _ask(self) -> T:
        me, began = asyncio.current_task(), time.monotonic()
        try:
            answer = await self.ask()
            if self._asking is me:  # not forgotten meanwhile
                self._answer = (began, answer)
            return answer
        finally:
            if self._asking is me:
                self._asking = None
