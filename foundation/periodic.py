"""Background passes of a long-running process: one step every few seconds, for ever.

The reminder loop (`audit.reminders`) and the requeueing of due retry rounds
(`consumers.retries`) run this way: a step that fails is logged and the next one tries again,
since the work it left stays in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)


async def every(seconds: float, step: Callable[[], Awaitable[object]], failure: str) -> None:
    """Run `step` every `seconds` until cancelled; a failed step is logged as `failure`."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await step()
        except Exception:  # the loop must outlive a database hiccup; the next pass retries
            log.exception(failure)
