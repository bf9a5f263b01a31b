"""Vietnam time as clerks write it."""

from __future__ import annotations

import datetime as dt

from docroute.web.vietnam_time import vn_date, vn_time


def test_times_are_vietnam_time_in_the_clerks_format() -> None:
    assert vn_time(dt.datetime(2026, 11, 30, 17, 5, tzinfo=dt.UTC)) == "01/12/2026 00:05"
    assert vn_time("2026-03-01T01:30:00+00:00") == "01/03/2026 08:30"
    assert vn_time(dt.datetime(2026, 3, 1, 1, 30)) == "01/03/2026 08:30"  # stored naive = UTC
    assert vn_time(None) == "" and vn_date(None) == ""
    assert vn_date(dt.date(2024, 5, 2)) == "02/05/2024"
