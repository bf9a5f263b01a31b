"""Background passes of a long-running process: one step every few seconds, for ever.

The reminder loop (`audit.reminders`) and the requeueing of due retry rounds
(`consumers.retries`) run this way: a step that fails is logged and the next one tries again,
since the work it left stays in the database.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog

from foundation.database import is_outage

log = structlog.get_logger(__name__)


async def every(seconds: float, step: Callable[[], Awaitable[object]], failure: str) -> None:
    """Run `step` every `seconds` until cancelled; a failed step is logged as `failure`."""
    outage_wait = 0.0
    while True:
        await asyncio.sleep(seconds + outage_wait)
        try:
            await step()
            outage_wait = 0.0
        except Exception as error:  # the loop must outlive a database outage
            if is_outage(error):  # one line, not a traceback per pass, and a growing pause
                outage_wait = min(max(outage_wait * 2, 0.2), 5.0)
                log.warning(failure, database="unreachable", error=repr(error)[:200])
            else:
                log.exception(failure)
