"""The scorecard's running totals: per agency and due day, kept by triggers on `delivery`.

A trigger appends each change of a delivery's contribution to `scorecard_change` (its old
contribution subtracted, its new one added; rows are only ever appended, so concurrent
writers never wait on each other), and `foundation.scorecard_days.fold` moves those rows into
`scorecard_day` now and then. The sum of both tables is exact at every commit; the scorecard
(`audit.reports.scorecard`) reads them instead of every delivery. `awaiting` counts the
deliveries not failed that still wait for their delivery or confirmation: they become missing
when their due day has passed. A delivery without a deadline counts under `NO_DUE_DAY`.
"""

import datetime

from sqlmodel import Field, SQLModel

NO_DUE_DAY = datetime.date(9999, 12, 31)


class ScorecardDay(SQLModel, table=True):
    """One agency's deliveries due on one day, folded."""

    __tablename__ = "scorecard_day"

    agency_id: str = Field(primary_key=True, max_length=100)
    due_day: datetime.date = Field(primary_key=True)
    # The greatest name any of these deliveries had: max() over the rows as long as no
    # delivery is deleted or renamed, which docroute never does.
    agency_name: str = Field(max_length=300)
    deliveries: int = 0
    received: int = 0
    confirmed_on_time: int = 0
    confirmed_late: int = 0
    rejected: int = 0
    failed: int = 0
    awaiting: int = 0


class ScorecardChange(SQLModel, table=True):
    """A change not folded yet: signed counts for one agency and due day."""

    __tablename__ = "scorecard_change"

    id: int | None = Field(default=None, primary_key=True)
    agency_id: str = Field(max_length=100)
    due_day: datetime.date
    agency_name: str = Field(max_length=300)
    deliveries: int = 0
    received: int = 0
    confirmed_on_time: int = 0
    confirmed_late: int = 0
    rejected: int = 0
    failed: int = 0
    awaiting: int = 0
