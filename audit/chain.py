"""Tamper-evident history: each status event carries the hash of the one before it.

An event's hash covers its position, its content and the previous event's hash, so editing,
inserting, reordering or deleting an event breaks the chain at a place `verify` can name.
Deleting the newest events leaves a shorter chain that is still whole; the owner of the chain
(the delivery) therefore keeps an *anchor*: the count and the hash of its last event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from foundation.history import GENESIS, digest


@dataclass(frozen=True)
class ChainedEvent:
    """One event as stored: its id, its position (1, 2, ...), its content and its hashes."""

    id: str
    seq: int
    content: Mapping[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class ChainBreak:
    """Where a chain is broken, and how."""

    event_id: str
    seq: int
    kind: str  # edited | inserted | deleted | reordered | truncated
    detail: str

    def __str__(self) -> str:
        return f"event {self.event_id} (#{self.seq}): {self.kind}: {self.detail}"


def verify(
    events: Sequence[ChainedEvent], anchor: tuple[int, str] | None = None
) -> list[ChainBreak]:
    """Every break in a chain given in stored order; `anchor` is (count, last hash)."""
    breaks: list[ChainBreak] = []
    previous = GENESIS
    expected_seq = 1
    for event in events:
        if digest(event.seq, event.content, event.prev_hash) != event.hash:
            breaks.append(
                ChainBreak(event.id, event.seq, "edited", "its content no longer matches its hash")
            )
        if event.seq > expected_seq and event.prev_hash != previous:
            breaks.append(
                ChainBreak(
                    event.id,
                    event.seq,
                    "deleted",
                    f"events #{expected_seq}..#{event.seq - 1} are missing",
                )
            )
        elif event.seq == expected_seq - 1:
            breaks.append(
                ChainBreak(
                    event.id,
                    event.seq,
                    "inserted",
                    f"position #{event.seq} is taken twice: an event was put before it",
                )
            )
        elif event.seq < expected_seq:
            breaks.append(
                ChainBreak(
                    event.id,
                    event.seq,
                    "reordered",
                    f"position #{event.seq} comes after #{expected_seq - 1}",
                )
            )
        elif event.prev_hash != previous:
            breaks.append(
                ChainBreak(
                    event.id, event.seq, "inserted", "it does not link to the event before it"
                )
            )
        previous = event.hash
        expected_seq = max(expected_seq, event.seq + 1)
    breaks.extend(_against_anchor(events, anchor))
    return breaks


def _against_anchor(
    events: Sequence[ChainedEvent], anchor: tuple[int, str] | None
) -> list[ChainBreak]:
    """Compare the chain's end with what its owner recorded (breaks inside are found above)."""
    if anchor is None:
        return []
    count, last_hash = anchor
    last = events[-1] if events else None
    if last is not None and last.hash == last_hash:
        return []
    end = last.seq if last else 0
    where = (last.id, end) if last else ("-", 0)
    if end < count:
        return [
            ChainBreak(
                *where,
                "truncated",
                f"the owner records {count} events ending in {last_hash[:12]}…; "
                f"the history ends at #{end}",
            )
        ]
    if end > count:
        return [
            ChainBreak(
                *where,
                "inserted",
                f"the owner records {count} events; the history goes on to #{end}",
            )
        ]
    return [
        ChainBreak(
            *where, "edited", "the last event's hash differs from the one its owner recorded"
        )
    ]
