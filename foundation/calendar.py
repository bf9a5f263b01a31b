"""Working time of a provincial office: working hours, weekends, public holidays.

Vietnam's public holidays (lunar ones included, and the days the government moves) come from
the `holidays` package; a province adds its own days off and make-up working days in the
calendar file. All times are Vietnam time (UTC+7, no daylight saving).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property

import holidays

VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")
Shift = tuple[dt.time, dt.time]
Period = tuple[dt.datetime, dt.datetime]
# Hours of most provincial offices (Quyết định of each UBND tỉnh; configurable per province).
DEFAULT_SHIFTS: tuple[Shift, ...] = (
    (dt.time(7, 30), dt.time(11, 30)),
    (dt.time(13, 30), dt.time(17, 0)),
)


@dataclass(frozen=True)
class WorkingCalendar:
    """When an office works: shifts of each working day; weekends and holidays off."""

    shifts: tuple[Shift, ...] = DEFAULT_SHIFTS
    weekend: frozenset[int] = frozenset({5, 6})  # Saturday, Sunday (date.weekday())
    extra_days_off: frozenset[dt.date] = frozenset()
    extra_working_days: frozenset[dt.date] = frozenset()
    years: tuple[int, ...] = field(default=())

    @cached_property
    def _public_holidays(self) -> holidays.HolidayBase:
        return holidays.country_holidays("VN", years=self.years or None)

    def is_working_day(self, day: dt.date) -> bool:
        """Whether the office works on `day`."""
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off or day.weekday() in self.weekend:
            return False
        return day not in self._public_holidays

    def holiday_name(self, day: dt.date) -> str | None:
        """The public holiday on `day`, if any."""
        name = self._public_holidays.get(day)
        return str(name) if name else None

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The moment `amount` of working time after `start` (time outside shifts not counted)."""
        moment = start.astimezone(VIETNAM)
        left = amount
        for begin, end in self._periods_from(moment):
            usable = end - max(begin, moment)
            if left <= usable:
                return max(begin, moment) + left
            left -= usable
        raise AssertionError("unreachable: the periods never end")  # pragma: no cover

    def end_of_working_day(self, moment: dt.datetime) -> dt.datetime:
        """The end of the working day `moment` falls in; after hours, the end of the next one."""
        begin, _ = next(iter(self._periods_from(moment.astimezone(VIETNAM))))
        return dt.datetime.combine(begin.date(), self.shifts[-1][1], VIETNAM)

    def _periods_from(self, moment: dt.datetime) -> Iterator[Period]:
        """The working periods that end after `moment`, in order, without end."""
        day = moment.date()
        while True:
            if self.is_working_day(day):
                for begin, end in self.shifts:
                    shift = (
                        dt.datetime.combine(day, begin, VIETNAM),
                        dt.datetime.combine(day, end, VIETNAM),
                    )
                    if shift[1] > moment:
                        yield shift
            day += dt.timedelta(days=1)


def calendar_from(data: dict[str, object]) -> WorkingCalendar:
    """A calendar from a mapping (the `calendar:` part of the audit settings file)."""
    shifts = (
        tuple(
            (dt.time.fromisoformat(str(a)), dt.time.fromisoformat(str(b)))
            for a, b in (str(s).split("-") for s in _list(data.get("shifts")))
        )
        or DEFAULT_SHIFTS
    )
    return WorkingCalendar(
        shifts=shifts,
        weekend=frozenset(int(str(d)) for d in _list(data.get("weekend"))) or frozenset({5, 6}),
        extra_days_off=frozenset(_dates(data.get("days_off"))),
        extra_working_days=frozenset(_dates(data.get("working_days"))),
    )


def _list(value: object) -> list[object]:
    return list(value) if isinstance(value, list | tuple) else []


def _dates(value: object) -> list[dt.date]:
    return [d if isinstance(d, dt.date) else dt.date.fromisoformat(str(d)) for d in _list(value)]
