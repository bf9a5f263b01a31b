"""Dates and moments as clerks write them: Vietnam time, dd/mm/yyyy (HH:MM)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def vn_time(value: dt.datetime | str | None) -> str:
    """A moment as clerks write it, in Vietnam time: dd/mm/yyyy HH:MM."""
    if value is None or value == "":
        return ""
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)  # every stored time is UTC
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def vn_date(value: dt.date | str | None) -> str:
    """A date as dd/mm/yyyy."""
    if value is None or value == "":
        return ""
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return day.strftime("%d/%m/%Y")
