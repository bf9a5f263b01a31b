"""The one clock the tables use: timezone-aware UTC."""

import datetime


def utcnow() -> datetime.datetime:
    """Now, in UTC, with its timezone attached."""
    return datetime.datetime.now(datetime.UTC)


def iso(value: datetime.datetime | None) -> str | None:
    """A stored time as ISO 8601 with its offset. SQLite returns the UTC times it was given
    without their zone; an answer must not leave a reader guessing which zone they are in."""
    if value is None:
        return None
    aware = value if value.tzinfo else value.replace(tzinfo=datetime.UTC)
    return aware.isoformat()
