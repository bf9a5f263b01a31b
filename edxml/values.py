"""Simple values as producers write them: dates in both orders, timestamps, integers, text.

Strict on purpose: a lenient date parser turns `30/10/2020` into year 0036 (the notes, §7.1),
so anything that is not one of the observed forms, or not a real day, is refused by name.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from edxml.errors import PacketError

# Vietnam has kept UTC+7 without daylight saving since 1975: a fixed offset is exact.
VIETNAM = dt.timezone(dt.timedelta(hours=7), "ICT")

_YMD = re.compile(r"(\d{4})[/-](\d{1,2})[/-](\d{1,2})")
_DMY = re.compile(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})")
_TIME = re.compile(r"(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?")


def clean(text: str | None) -> str | None:
    """NFC text with surrounding whitespace trimmed; empty is None."""
    if text is None:
        return None
    value = unicodedata.normalize("NFC", text).strip()
    return value or None


def parse_date(text: str | None, where: str) -> dt.date | None:
    """`yyyy/MM/dd`, `dd/MM/yyyy` or ISO `yyyy-MM-dd[T…]`; empty is None; others refused."""
    moment = _parse(text, where)
    return moment.date() if moment else None


def parse_timestamp(text: str | None, where: str) -> dt.datetime | None:
    """A date with an optional time; local Vietnam time unless the text carries a zone."""
    return _parse(text, where)


def _parse(text: str | None, where: str) -> dt.datetime | None:
    value = clean(text)
    if value is None:
        return None
    for pattern, order in ((_YMD, (1, 2, 3)), (_DMY, (3, 2, 1))):
        head = pattern.match(value)
        if head is None:
            continue
        tail = _TIME.fullmatch(value, head.end())
        if tail is None:
            break
        year, month, day = (int(head.group(i)) for i in order)
        hour, minute, second = (int(tail.group(i) or 0) for i in (1, 2, 3))
        try:
            moment = dt.datetime(year, month, day, hour, minute, second)
        except ValueError:
            raise PacketError(f"{where}: {value!r} is not a real date or time") from None
        return moment.replace(tzinfo=_zone(tail.group(4)))
    raise PacketError(
        f"{where}: {value!r} is not a date in a known form "
        "(yyyy/MM/dd, dd/MM/yyyy or yyyy-MM-dd, optionally with HH:mm:ss)"
    )


def _zone(text: str | None) -> dt.tzinfo:
    if not text:
        return VIETNAM
    if text == "Z":
        return dt.UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse_int(text: str | None, where: str) -> int | None:
    """A whole number; empty is None; anything else is refused with the element's name."""
    value = clean(text)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise PacketError(f"{where}: {value!r} is not a whole number") from None


def format_date(day: dt.date) -> str:
    """The writer's date form, `yyyy/MM/dd` (I1/I2)."""
    return day.strftime("%Y/%m/%d")


def format_timestamp(moment: dt.datetime) -> str:
    """The writer's timestamp form, `yyyy/MM/dd HH:mm:ss` in Vietnam local time."""
    local = moment.astimezone(VIETNAM) if moment.tzinfo else moment
    return local.strftime("%Y/%m/%d %H:%M:%S")
