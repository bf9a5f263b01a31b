"""A batch that fails while the database is away is held and handled again, not given back
(that would spend the messages' delivery limit); one that fails while it answers is."""

from __future__ import annotations

from dataclasses import dataclass

from foundation.broker import Envelope
from foundation.broker.batches import handle_held


@dataclass
class Recorded:
    """An envelope that remembers how it was settled."""

    message_id: str
    body: bytes = b"{}"
    outcome: str | None = None

    @property
    def settled(self) -> bool:
        return self.outcome is not None

    async def ack(self) -> None:
        self.outcome = "ack"

    async def reject(self, requeue: bool) -> None:
        self.outcome = "requeue" if requeue else "dead"


async def test_a_batch_failing_during_an_outage_is_held_until_the_database_is_back() -> None:
    """The handler fails twice while the probe says the database is down; the batch is then
    handled again without the message acked first, and nothing is ever requeued."""
    first, second = Recorded("a"), Recorded("b")
    probes = iter([False, True, False, True])  # down, back; down again, back
    calls: list[list[str]] = []

    async def handler(batch: list[Envelope]) -> None:
        calls.append([e.message_id for e in batch])
        if len(calls) == 1:
            await batch[0].ack()  # the first message was done before the outage hit
            raise ConnectionRefusedError("database down")
        if len(calls) == 2:
            raise ConnectionRefusedError("still down")
        for envelope in batch:
            await envelope.ack()

    async def healthy() -> bool:
        return next(probes)

    await handle_held([first, second], handler, healthy)
    assert calls == [["a", "b"], ["b"], ["b"]]
    assert (first.outcome, second.outcome) == ("ack", "ack")


async def test_a_batch_failing_while_the_database_answers_is_given_back() -> None:
    """A poison message (the database answers) is given back, so the delivery limit counts it."""
    poison = Recorded("p")

    async def handler(batch: list[Envelope]) -> None:
        raise ValueError("cannot read this document")

    async def healthy() -> bool:
        return True

    await handle_held([poison], handler, healthy)
    assert poison.outcome == "requeue"


async def test_an_outage_longer_than_the_hold_gives_the_batch_back() -> None:
    """Held at most `hold_at_most` seconds: then the batch goes back (the broker would take
    it back at its consumer timeout anyway)."""
    held = Recorded("h")

    async def handler(batch: list[Envelope]) -> None:
        raise ConnectionRefusedError("down")

    async def healthy() -> bool:
        return False

    await handle_held([held], handler, healthy, hold_at_most=0.0)
    assert held.outcome == "requeue"
