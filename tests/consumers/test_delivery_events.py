"""The history rows a delivery worker writes for a batch's outcomes (hashed from one canonical
content per distinct outcome) are exactly the rows `event_row` writes for each delivery, so
the chain verifies as before, whatever the ids and notes."""

from __future__ import annotations

import datetime as dt
import uuid

from consumers.channel import Outcome
from consumers.delivery import _events, _Job
from consumers.delivery_rows import ChannelRow, DeliveryRow
from foundation.history import digest, event_content, event_row
from foundation.models import DeliveryEvent, Document

AT = dt.datetime(2024, 6, 3, 8, 30, 15, 123456, tzinfo=dt.UTC)
DOCUMENT = Document(id="doc-1", text="Nơi nhận: Sở Nội vụ;")


def _job(delivery_id: str, outcome: Outcome, *, count: int = 1, kind: str = "webhook") -> _Job:
    delivery = DeliveryRow(
        id=delivery_id, document_id="doc-1", agency_id="kh.so-noi-vu", agency_name="Sở Nội vụ",
        reasons=[], state="pending", retry_at=None, attempt_rounds=0, redrives=0, faults=0,
        event_count=count, last_hash=None if count == 0 else f"{count:064x}",
    )
    return _Job(delivery, DOCUMENT, ChannelRow(kind=kind), outcome=outcome)


def test_a_batchs_rows_are_event_rows_for_every_outcome_id_and_note() -> None:
    ok = Outcome(True, "webhook answered HTTP 200")
    jobs = [_job(str(uuid.uuid4()), ok, count=n % 4) for n in range(20)]
    jobs += [
        _job(str(uuid.uuid4()), Outcome(False, 'webhook refused with HTTP 410: "gone" — Đã hủy')),
        _job(str(uuid.uuid4()), Outcome(False, "timed out\n\tagain \\ \u2028"), kind="email"),
        _job(str(uuid.uuid4()), ok, kind="inbox"),
        _job("id with \"quotes\" and Đ", ok),  # JSON escapes it: hashed row by row
        _job(str(uuid.uuid4()), Outcome(False, "names delivery-id-placeholder in its note")),
    ]
    rows = _events(jobs, AT)
    assert list(rows) == [job.delivery.id for job in jobs]
    for job in jobs:
        d = job.delivery
        expected = event_row(d.id, d.event_count, d.last_hash, "state", rows[d.id]["value"],
                             note=job.outcome.note if job.outcome else None,
                             actor=f"delivery:{job.kind}", at=AT)
        assert rows[d.id] == expected


def test_each_row_verifies_against_its_own_content() -> None:
    """What `docroute audit verify` recomputes from the stored row gives the stored hash."""
    job = _job(str(uuid.uuid4()), Outcome(True, "webhook answered HTTP 200"), count=3)
    row = _events([job], AT)[job.delivery.id]
    event = DeliveryEvent(**row)
    assert digest(row["seq"], event_content(event), row["prev_hash"]) == row["hash"]
