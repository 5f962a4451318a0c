"""Date parsing and the arithmetic of docs/rules.md: month/year steps and Civil Code periods."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from functools import lru_cache

from dateutil.relativedelta import relativedelta

from monitor.errors import BadValue

_ISO = re.compile(r"^\s*(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\s*$")
_CHINESE = re.compile(r"^\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?\s*$")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse_date(value: object) -> dt.date:
    """Accept ``2023-10-15``, ``2023/10/15``, ``2023年10月15日``, a date or datetime, or an Excel serial.

    Raises ValueError with the offending value quoted.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        serial = float(value)
        if serial != int(serial) or not 1 <= serial <= 2958465:
            raise BadValue("{value!r} is not a date", value=value)
        return _EXCEL_EPOCH + dt.timedelta(days=int(serial))
    text = str(value).strip()
    match = _ISO.match(text) or _CHINESE.match(text)
    if match is None:
        if text.isdigit() and 4 < len(text) <= 7:  # an Excel serial that went through a CSV
            return parse_date(int(text))
        raise BadValue("{text!r} is not a date (expected YYYY-MM-DD or 2023年10月15日)", text=text)
    year, month, day = (int(g) for g in match.groups())
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise BadValue("{text!r} is not a date: no such day", text=text) from None


@lru_cache(maxsize=1 << 16)
def add_months(day: dt.date, months: int) -> dt.date:
    """2025-01-31 + 1 month = 2025-02-28 (relativedelta clamps to the month's last day)."""
    result: dt.date = day + relativedelta(months=months)
    return result


def anniversary(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; that of a February 29 in a common year is March 1 (docs/rules.md,
    "Validity and renewal review"): 2024-02-29 + 3 years gives 2027-03-01."""
    if (day.month, day.day) == (2, 29) and not calendar.isleap(day.year + years):
        return dt.date(day.year + years, 3, 1)
    return day.replace(year=day.year + years)


def last_day_in_force(first_day: dt.date, years: int) -> dt.date:
    """The last day of a period of ``years`` from ``first_day``: the day before its anniversary, as the list
    notices write it ("有效期为2023年7月10日至2026年7月9日"). 2025-03-01 gives 2028-02-29, 2024-02-29 gives 2027-02-28."""
    return anniversary(first_day, years) - dt.timedelta(days=1)


def default_valid_until(certified_on: dt.date, years: int) -> dt.date:
    """Last day in force of a certification on ``certified_on``: 2023-07-10 -> 2026-07-09."""
    return last_day_in_force(certified_on, years)


def extended(valid_until: dt.date, years: int) -> dt.date:
    """The last day after a passing review: a new period from the day after the old last day, so 2026-07-09
    becomes 2029-07-09 and 2025-02-28 becomes 2028-02-29."""
    return last_day_in_force(valid_until + dt.timedelta(days=1), years)


@lru_cache(maxsize=256)
def month_day(text: str) -> tuple[int, int]:
    """Parse ``MM-DD`` (a fixed yearly due day); February 29 is refused, it does not recur."""
    match = re.fullmatch(r"(\d{2})-(\d{2})", text)
    if match is None:
        raise BadValue("{text!r} is not a month-day (expected MM-DD)", text=text)
    month, day = int(match.group(1)), int(match.group(2))
    try:
        dt.date(2023, month, day)
    except ValueError:
        raise BadValue("{text!r} is not a day every year has", text=text) from None
    return month, day
