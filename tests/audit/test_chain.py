"""The hash chain names an edited, inserted, deleted or reordered event."""

from __future__ import annotations

from dataclasses import replace

from audit.chain import ChainedEvent, verify
from foundation.history import link


def chain(*statuses: str) -> list[ChainedEvent]:
    """A well-formed chain of status events."""
    out: list[ChainedEvent] = []
    previous = None
    for seq, status in enumerate(statuses, 1):
        content = {"status": status, "at": f"2026-03-0{seq}T09:00:00+07:00"}
        prev_hash, digest = link(seq, content, previous)
        out.append(ChainedEvent(f"e{seq}", seq, content, prev_hash, digest))
        previous = digest
    return out


def anchor(events: list[ChainedEvent]) -> tuple[int, str]:
    """What the delivery row records about its history."""
    return len(events), events[-1].hash


def test_a_whole_chain_verifies() -> None:
    """An untouched chain has no breaks, with or without its anchor."""
    events = chain("queued", "delivered", "01", "03")
    assert verify(events) == []
    assert verify(events, anchor(events)) == []


def test_edited_event_is_named() -> None:
    """Changing a status after the fact breaks that event's own hash."""
    events = chain("queued", "delivered", "01", "03")
    events[2] = replace(events[2], content={**events[2].content, "status": "02"})
    (found,) = verify(events)
    assert (found.event_id, found.kind) == ("e3", "edited")


def test_deleted_event_is_named() -> None:
    """Removing an event in the middle names the gap at the event after it."""
    events = chain("queued", "delivered", "01", "03")
    del events[1]
    (found,) = verify(events)
    assert (found.event_id, found.kind) == ("e3", "deleted")
    assert "#2..#2" in found.detail


def test_inserted_event_is_named() -> None:
    """An event slipped in (even with a correct own hash) does not link to its predecessor."""
    events = chain("queued", "delivered", "03")
    forged_content = {"status": "01", "at": "2026-03-02T10:00:00+07:00"}
    prev_hash, digest = link(3, forged_content, events[1].hash)
    events.insert(2, ChainedEvent("forged", 3, forged_content, prev_hash, digest))
    assert [(b.event_id, b.kind) for b in verify(events)] == [("e3", "inserted")]


def test_reordered_events_are_named() -> None:
    """Swapping two events names the one that now stands out of place."""
    events = chain("queued", "delivered", "01", "03")
    events[1], events[2] = events[2], events[1]
    assert ("e2", "reordered") in [(b.event_id, b.kind) for b in verify(events)]


def test_truncated_tail_is_caught_by_the_anchor() -> None:
    """Deleting the newest event leaves a whole chain; the anchor still catches it."""
    events = chain("queued", "delivered", "01", "03")
    kept = events[:-1]
    assert verify(kept) == []
    (found,) = verify(kept, anchor(events))
    assert found.kind == "truncated"
