"""The one clock the tables use: timezone-aware UTC."""

import datetime


def utcnow() -> datetime.datetime:
    """Now, in UTC, with its timezone attached."""
    return datetime.datetime.now(datetime.UTC)
