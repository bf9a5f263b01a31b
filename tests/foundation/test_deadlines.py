"""Receipt deadlines in working time: hours, weekends, Vietnamese public holidays."""

from __future__ import annotations

import datetime as dt

import pytest

from foundation.calendar import VIETNAM, WorkingCalendar, calendar_from
from foundation.deadlines import DEFAULT_POLICY, policy_from

CAL = WorkingCalendar()


def at(text: str) -> dt.datetime:
    """A Vietnam-time moment from 'YYYY-MM-DD HH:MM'."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=VIETNAM)


def test_normal_document_is_due_at_the_end_of_the_day() -> None:
    """A normal document arriving Tuesday 09:00 must be confirmed by Tuesday 17:00."""
    assert DEFAULT_POLICY.receipt_deadline(at("2026-03-03 09:00"), None, CAL) == at(
        "2026-03-03 17:00"
    )


def test_after_hours_and_weekend_move_to_the_next_working_day() -> None:
    """Arriving Friday 18:00, a normal document is due Monday 17:00."""
    assert DEFAULT_POLICY.receipt_deadline(at("2026-03-06 18:00"), "normal", CAL) == at(
        "2026-03-09 17:00"
    )


def test_working_hours_skip_lunch_and_nights() -> None:
    """'Khẩn' (4 working hours) arriving 10:30 skips the lunch break: due 16:30."""
    # 10:30-11:30 is one hour; 13:30-16:30 the other three.
    assert DEFAULT_POLICY.receipt_deadline(at("2026-03-03 10:30"), "khan", CAL) == at(
        "2026-03-03 16:30"
    )
    # 2 working hours from 16:30: half an hour today, 1.5 hours next morning.
    assert DEFAULT_POLICY.receipt_deadline(at("2026-03-03 16:30"), "thuong_khan", CAL) == at(
        "2026-03-04 09:00"
    )


def test_hoa_toc_counts_clock_time() -> None:
    """'Hỏa tốc' is due two clock hours later, even on a Sunday night."""
    assert DEFAULT_POLICY.receipt_deadline(at("2026-03-08 22:00"), "hoa_toc", CAL) == at(
        "2026-03-09 00:00"
    )


def test_lunar_new_year_is_not_working_time() -> None:
    """Tết 2026 (16-20 February) is skipped: a document of Friday 13/2 16:00 is due 23/2."""
    assert not CAL.is_working_day(dt.date(2026, 2, 17))
    assert CAL.holiday_name(dt.date(2026, 2, 17)) is not None
    assert DEFAULT_POLICY.receipt_deadline(at("2026-02-13 17:30"), None, CAL) == at(
        "2026-02-23 17:00"
    )


def test_province_days_off_and_make_up_days() -> None:
    """A province's extra day off and make-up Saturday change the working days."""
    cal = calendar_from(
        {
            "days_off": ["2026-03-04"],
            "working_days": ["2026-03-07"],
            "shifts": ["08:00-12:00", "13:00-17:00"],
        }
    )
    assert not cal.is_working_day(dt.date(2026, 3, 4))
    assert cal.is_working_day(dt.date(2026, 3, 7))
    assert cal.add_working_time(at("2026-03-03 16:00"), dt.timedelta(hours=2)) == at(
        "2026-03-05 09:00"
    )


def test_escalation_comes_a_working_day_after_the_deadline() -> None:
    """The second deadline is one working day (7.5 working hours) after the first."""
    assert DEFAULT_POLICY.escalation_deadline(at("2026-03-03 17:00"), CAL) == at("2026-03-04 17:00")


def test_policy_file_errors_name_the_setting() -> None:
    """A bad allowance in the settings is refused with the setting's path."""
    custom = policy_from({"allowances": {"khan": {"working": 2}}})
    assert custom.receipt_deadline(at("2026-03-03 09:00"), "khan", CAL) == at("2026-03-03 11:00")
    with pytest.raises(ValueError, match=r"deadlines\.allowances\.khan"):
        policy_from({"allowances": {"khan": {"weeks": 2}}})
    with pytest.raises(ValueError, match="unknown urgency 'soon'"):
        policy_from({"allowances": {"soon": "end_of_day"}})
