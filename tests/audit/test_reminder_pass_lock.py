"""Two relaying processes sharing one database run the reminder pass one at a time: while one
is in its pass the other skips its turn (and a clerk's one-click send waits for the pass), and
passes run at the same moment send every reminder and escalation once. The second "process" is
a pass on an engine of its own (its own connections, so its own PostgreSQL session for the
advisory lock), as `tests/docroute/test_hub_pollers.py` does for the hub rounds."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import Counter
from typing import Any

from audit.notices import Notice, NoticeSender
from audit.reminders import ReminderRun, run_once, send_pending
from consumers.webhook import WebhookChannel
from foundation.database import SessionFactory, create_engine, session_factory
from foundation.models import AgencyChannel
from foundation.settings import Settings
from tests.audit.conftest import NOW, add_delivery, add_document
from tests.audit.test_reminders import _hooks, notices
from tests.conftest import SECRET

HOUR = dt.timedelta(hours=1)
AGENCIES = ("kh.so-noi-vu", "kh.so-y-te", "kh.so-tu-phap", "kh.so-tai-chinh", "kh.so-xay-dung")


class GatedSender(NoticeSender):
    """The first process's sender: its first notice waits until the test lets it go, so the
    test knows that process is inside its pass."""

    def __init__(self, webhook: WebhookChannel) -> None:
        super().__init__(webhook, SECRET, "127.0.0.1", 1, "docroute@localhost")
        self.inside = asyncio.Event()
        self.go_on = asyncio.Event()

    async def send(self, notice: Notice, channel: AgencyChannel) -> str:
        self.inside.set()
        await self.go_on.wait()
        return await super().send(notice, channel)


async def _late_deliveries(sessions: SessionFactory, sink: Any) -> list[str]:
    doc = await add_document(sessions)
    late = [await add_delivery(sessions, doc, a, due_at=NOW - 9 * HOUR, escalate_at=NOW - HOUR)
            for a in AGENCIES]
    await _hooks(sessions, sink.url, *AGENCIES, "kh.vp-ubnd")
    return [d.id for d in late]


async def test_one_process_holds_the_pass_and_the_other_skips(
    stack: Settings, sessions: SessionFactory, sink: Any
) -> None:
    """While the first process sends, the second's pass and a one-click send skip; the first
    then sends each reminder and escalation once; a later pass of the second sends nothing."""
    late = await _late_deliveries(sessions, sink)
    engine = create_engine(stack.database_url)
    first_hook = WebhookChannel(SECRET, attempts=1, timeout=5.0, allow_private=True)
    second_hook = WebhookChannel(SECRET, attempts=1, timeout=5.0, allow_private=True)
    try:
        gated = GatedSender(first_hook)
        other = session_factory(engine)
        first = asyncio.create_task(run_once(sessions, gated, NOW, "kh.vp-ubnd"))
        await gated.inside.wait()
        assert await run_once(other, notices(second_hook), NOW, "kh.vp-ubnd") == ReminderRun(
            skipped=True)
        assert await send_pending(other, notices(second_hook), NOW) is None
        gated.go_on.set()
        done = await first
        after = await run_once(other, notices(second_hook), NOW + HOUR, "kh.vp-ubnd")
    finally:
        await first_hook.close()
        await second_hook.close()
        await engine.dispose()
    assert (done.reminders_planned, done.escalations_planned, done.sent, done.skipped) == (
        5, 5, 10, False)
    assert (after.reminders_planned, after.escalations_planned, after.sent, after.skipped) == (
        0, 0, 0, False)
    keys = Counter(r["key"] for r in sink.received)
    assert set(keys) == {f"{kind}:{d}" for d in late for kind in ("reminder", "escalation")}
    assert max(keys.values()) == 1


async def test_passes_at_the_same_moment_send_each_notice_once(
    stack: Settings, sessions: SessionFactory, sink: Any
) -> None:
    """Two processes' passes started together, again and again (new deliveries falling due
    between rounds): every notice reaches its agency once, and in each round where both ran,
    at most one did the work."""
    late = await _late_deliveries(sessions, sink)
    engine = create_engine(stack.database_url)
    hooks = [WebhookChannel(SECRET, attempts=1, timeout=5.0, allow_private=True) for _ in range(2)]
    try:
        factories = [sessions, session_factory(engine)]
        runs: list[tuple[ReminderRun, ReminderRun]] = []
        for round_ in range(4):
            if round_ == 2:
                more = await add_document(sessions)
                late += [(await add_delivery(sessions, more, a, due_at=NOW - HOUR)).id
                         for a in AGENCIES[:3]]
            one, two = await asyncio.gather(*(
                run_once(f, notices(h), NOW + round_ * HOUR, "kh.vp-ubnd")
                for f, h in zip(factories, hooks, strict=True)))
            runs.append((one, two))
    finally:
        for hook in hooks:
            await hook.close()
        await engine.dispose()
    keys = Counter(r["key"] for r in sink.received)
    assert max(keys.values()) == 1, [k for k, n in keys.items() if n > 1]
    assert sum(k.startswith("reminder:") for k in keys) == 8
    assert sum(k.startswith("escalation:") for k in keys) == 5
    assert {k.split(":", 1)[1] for k in keys} == set(late)
    assert sum(r.sent for pair in runs for r in pair) == 13
    assert all(min(one.sent, two.sent) == 0 for one, two in runs)
